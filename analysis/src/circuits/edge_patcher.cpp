#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>
#include <utility>

#include "attnscope/analysis/circuits/circuit_selection.h"
#include "attnscope/capture/transformer_model.h"
#include "edge_patcher_impl.h"

namespace attnscope::analysis::circuits {
namespace {

std::string pairLabel(size_t index) {
    return "prompt pair " + std::to_string(index + 1);
}

void validatePair(const TokenPair& pair, size_t index, const capture::ModelConfig& config) {
    if (pair.clean.empty())
        throw std::invalid_argument(pairLabel(index) + ": the clean prompt is empty");
    if (pair.clean.size() != pair.corrupted.size())
        throw std::invalid_argument(
            pairLabel(index) + ": the clean prompt has " + std::to_string(pair.clean.size()) +
            " tokens, the corrupted one " + std::to_string(pair.corrupted.size()) +
            " (they must have equal lengths)");
    if (static_cast<int64_t>(pair.clean.size()) > config.maxPositions)
        throw std::invalid_argument(pairLabel(index) + ": " + std::to_string(pair.clean.size()) +
                                    " tokens exceed the model's context of " +
                                    std::to_string(config.maxPositions));
    auto check = [&](int64_t id, const char* what) {
        if (id < 0 || id >= config.vocabSize)
            throw std::invalid_argument(pairLabel(index) + ": " + what + " token id " +
                                        std::to_string(id) + " is out of range (vocabulary of " +
                                        std::to_string(config.vocabSize) + ")");
    };
    for (int64_t id : pair.clean)
        check(id, "clean");
    for (int64_t id : pair.corrupted)
        check(id, "corrupted");
    check(pair.answer, "answer");
    check(pair.wrong, "wrong");
}

at::Tensor idTensor(const std::vector<const std::vector<int64_t>*>& rows) {
    const auto t = static_cast<int64_t>(rows.front()->size());
    at::Tensor ids = at::empty({static_cast<int64_t>(rows.size()), t}, at::kLong);
    for (size_t i = 0; i < rows.size(); ++i)
        std::copy(rows[i]->begin(), rows[i]->end(),
                  ids[static_cast<int64_t>(i)].data_ptr<int64_t>());
    return ids;
}

// Groups pairs by length (a batch needs one length) into batches of at most `size`.
std::vector<PairBatch> makeBatches(const std::vector<TokenPair>& pairs, int64_t size) {
    std::map<size_t, std::vector<int64_t>> byLength;
    for (size_t i = 0; i < pairs.size(); ++i)
        byLength[pairs[i].clean.size()].push_back(static_cast<int64_t>(i));
    std::vector<PairBatch> batches;
    for (const auto& [length, indices] : byLength) {
        for (size_t from = 0; from < indices.size(); from += static_cast<size_t>(size)) {
            PairBatch batch;
            const size_t to = std::min(indices.size(), from + static_cast<size_t>(size));
            batch.pairIndex.assign(indices.begin() + static_cast<std::ptrdiff_t>(from),
                                   indices.begin() + static_cast<std::ptrdiff_t>(to));
            std::vector<const std::vector<int64_t>*> clean, corrupted;
            std::vector<int64_t> answer, wrong;
            for (int64_t i : batch.pairIndex) {
                clean.push_back(&pairs[static_cast<size_t>(i)].clean);
                corrupted.push_back(&pairs[static_cast<size_t>(i)].corrupted);
                answer.push_back(pairs[static_cast<size_t>(i)].answer);
                wrong.push_back(pairs[static_cast<size_t>(i)].wrong);
            }
            batch.clean = idTensor(clean);
            batch.corrupted = idTensor(corrupted);
            batch.answer = at::tensor(answer, at::kLong);
            batch.wrong = at::tensor(wrong, at::kLong);
            batches.push_back(std::move(batch));
        }
    }
    return batches;
}

}  // namespace

at::Tensor EdgePatcher::Impl::metricPerPair(const PairBatch& batch,
                                            const at::Tensor& logits) const {
    if (kl) {
        at::Tensor logProbs = at::log_softmax(logits, -1);
        return (batch.cleanLogProbs.exp() * (batch.cleanLogProbs - logProbs)).sum(-1);
    }
    return logits.gather(1, batch.answer.unsqueeze(1)).squeeze(1) -
           logits.gather(1, batch.wrong.unsqueeze(1)).squeeze(1);
}

at::Tensor EdgePatcher::Impl::forward(const PairBatch& batch, const std::vector<uint8_t>* kept,
                                      at::Tensor* outputs) {
    EdgeForwardRequest request;
    request.ids = batch.clean;
    request.kept = kept;
    request.ablated = batch.ablated;
    request.outputs = outputs;
    return edgeForward(model, graph, request);
}

double EdgePatcher::Impl::evaluate(const std::vector<uint8_t>* kept) {
    at::NoGradGuard noGrad;
    double sum = 0.0;
    for (const PairBatch& batch : batches)
        sum += metricPerPair(batch, forward(batch, kept)).sum().item<double>();
    ++forwards;
    return sum / static_cast<double>(pairs);
}

EdgePatcher::EdgePatcher(capture::TransformerModel& model, std::vector<TokenPair> pairs,
                         EdgePatchingOptions options, const capture::Progress& progress)
    : m_impl(std::make_unique<Impl>(model, std::move(options))) {
    Impl& s = *m_impl;
    const auto& config = model.config();
    if (s.options.ablation != "resample" && s.options.ablation != "zero" &&
        s.options.ablation != "mean")
        throw std::invalid_argument("unknown ablation '" + s.options.ablation +
                                    "' (expected resample, zero or mean)");
    if (s.options.metric != "logit-diff" && s.options.metric != "kl")
        throw std::invalid_argument("unknown circuit metric '" + s.options.metric +
                                    "' (expected logit-diff or kl)");
    if (s.options.batchSize < 1) throw std::invalid_argument("batch size must be at least 1");
    if (pairs.empty()) throw std::invalid_argument("no prompt pairs: give at least one");
    for (size_t i = 0; i < pairs.size(); ++i)
        validatePair(pairs[i], i, config);
    for (size_t i = 0; i < s.options.meanReference.size(); ++i)
        validatePair(s.options.meanReference[i], i, config);
    s.kl = s.options.metric == "kl";
    s.graph = EdgeGraph(static_cast<int>(config.nLayers), static_cast<int>(config.nHeads),
                        static_cast<int>(config.nKvHeads));
    s.pairs = static_cast<int64_t>(pairs.size());
    s.batches = makeBatches(pairs, s.options.batchSize);

    at::NoGradGuard noGrad;
    const int64_t senders = s.graph.logitsNode();
    const int64_t D = config.dModel;
    const auto ablation = s.options.ablation;
    at::Tensor shared;  // z′ for zero and mean ablation, the same for every batch
    if (ablation == "zero") shared = at::zeros({senders, 1, 1, D}, model.tensorOptions());
    if (ablation == "mean") {
        const auto& reference = s.options.meanReference.empty() ? pairs : s.options.meanReference;
        auto lengthOf = [](const TokenPair& p) { return p.clean.size(); };
        bool oneLength = true;
        for (const std::vector<TokenPair>* list : {&std::as_const(pairs), &reference})
            for (const TokenPair& p : *list)
                oneLength = oneLength && lengthOf(p) == lengthOf(pairs.front());
        at::Tensor sum;
        int64_t count = 0;
        for (PairBatch& batch : makeBatches(reference, s.options.batchSize)) {
            at::Tensor outputs;
            s.forward(batch, nullptr, &outputs);  // [senders, batch, pos, D]
            at::Tensor part = oneLength ? outputs.sum(1, true) : outputs.sum({1, 2}, true);
            count += oneLength ? outputs.size(1) : outputs.size(1) * outputs.size(2);
            sum = sum.defined() ? sum + part : part;
        }
        shared = sum / static_cast<double>(count);
    }
    s.full = 0.0;
    for (size_t i = 0; i < s.batches.size(); ++i) {
        progress.check();
        progress.report(static_cast<double>(i) / static_cast<double>(s.batches.size()),
                        "caching clean and corrupted runs");
        PairBatch& batch = s.batches[i];
        at::Tensor cleanLogits = s.forward(batch, nullptr);
        batch.cleanLogProbs = at::log_softmax(cleanLogits, -1);
        s.full += s.metricPerPair(batch, cleanLogits).sum().item<double>();
        if (shared.defined()) {
            batch.ablated = shared;
        } else {
            EdgeForwardRequest request;
            request.ids = batch.corrupted;
            request.outputs = &batch.ablated;
            edgeForward(model, s.graph, request);
        }
    }
    s.full /= static_cast<double>(s.pairs);
    const std::vector<uint8_t> none(static_cast<size_t>(s.graph.edgeCount()), 0);
    s.empty = s.evaluate(&none);
    s.forwards = 0;
    progress.report(1.0, "cached clean and corrupted runs");
}

EdgePatcher::~EdgePatcher() = default;

const EdgeGraph& EdgePatcher::graph() const {
    return m_impl->graph;
}
const EdgePatchingOptions& EdgePatcher::options() const {
    return m_impl->options;
}
capture::TransformerModel& EdgePatcher::model() const {
    return m_impl->model;
}
int64_t EdgePatcher::pairCount() const {
    return m_impl->pairs;
}
int64_t EdgePatcher::forwardCount() const {
    return m_impl->forwards;
}
double EdgePatcher::fullModel() const {
    return m_impl->full;
}
double EdgePatcher::emptyCircuit() const {
    return m_impl->empty;
}

double EdgePatcher::faithfulness(double circuitMetric) const {
    return (circuitMetric - m_impl->empty) / (m_impl->full - m_impl->empty);
}

static void checkEdgeVector(const EdgeGraph& graph, size_t size, const char* what) {
    if (static_cast<int64_t>(size) != graph.edgeCount())
        throw std::invalid_argument(std::string(what) + " has " + std::to_string(size) +
                                    " entries; the graph has " + std::to_string(graph.edgeCount()) +
                                    " edges");
}

double EdgePatcher::evaluate(const std::vector<uint8_t>& keptEdges) {
    checkEdgeVector(m_impl->graph, keptEdges.size(), "the kept-edge list");
    return m_impl->evaluate(&keptEdges);
}

at::Tensor EdgePatcher::circuitLogits(const std::vector<uint8_t>& keptEdges) {
    checkEdgeVector(m_impl->graph, keptEdges.size(), "the kept-edge list");
    at::NoGradGuard noGrad;
    at::Tensor out;
    for (const PairBatch& batch : m_impl->batches) {
        at::Tensor logits = m_impl->forward(batch, &keptEdges);
        if (!out.defined()) out = at::empty({m_impl->pairs, logits.size(1)}, logits.options());
        out.index_copy_(0, at::tensor(batch.pairIndex, at::kLong), logits);
    }
    return out;
}

std::vector<FaithfulnessPoint> EdgePatcher::faithfulnessCurve(const std::vector<float>& scores,
                                                              bool absolute,
                                                              const capture::Progress& progress) {
    checkEdgeVector(m_impl->graph, scores.size(), "the score list");
    const auto& grid = faithfulnessGridPercent();
    const int64_t total = m_impl->graph.edgeCount();
    std::vector<FaithfulnessPoint> curve;
    for (size_t i = 0; i < grid.size(); ++i) {
        progress.check();
        progress.report(static_cast<double>(i) / static_cast<double>(grid.size()),
                        "faithfulness at " + std::to_string(grid[i]) + "% of edges");
        FaithfulnessPoint point;
        point.edges = std::llround(grid[i] / 100.0 * static_cast<double>(total));
        point.fraction = static_cast<double>(point.edges) / static_cast<double>(total);
        const auto kept = selectTopEdges(m_impl->graph, scores, point.edges, absolute);
        point.faithfulness = faithfulness(m_impl->evaluate(&kept));
        curve.push_back(point);
    }
    progress.report(1.0, "faithfulness curve done");
    return curve;
}

}  // namespace attnscope::analysis::circuits
