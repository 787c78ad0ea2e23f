#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>
#include <utility>

#include "attnscope/analysis/circuits/circuit_selection.h"
#include "attnscope/capture/load_error.h"
#include "attnscope/capture/transformer_model.h"
#include "edge_patcher_impl.h"

namespace attnscope::analysis::circuits {
namespace {

// Elements of the largest tensor of a forward that stacks single-edge removals: the inputs of
// one layer's receivers, each formed on its own [receivers, variants · pairs, pos, D]. 2^20
// (4 MiB in float32) ran the demo model's exact scores fastest: 1.5-1.9x one removal per
// forward, against 1.3x for 2^23 at 5x the peak memory.
constexpr int64_t kVariantElements = int64_t{1} << 20;

std::vector<PairBatch> makeBatches(const std::vector<PromptPair>& pairs, int64_t size) {
    std::vector<PairBatch> batches;
    for (PromptBatch& b : stackPromptPairs(pairs, size))
        batches.push_back({std::move(b), {}, {}});
    return batches;
}

void validatePairs(const std::vector<PromptPair>& pairs, const capture::ModelConfig& config,
                   const std::string& source) {
    validatePromptPairs(pairs, config.vocabSize, source);
    for (size_t i = 0; i < pairs.size(); ++i)
        if (static_cast<int64_t>(pairs[i].clean.size()) > config.maxPositions)
            throw capture::InputError(source +
                                      (pairs[i].line > 0 ? ", line " + std::to_string(pairs[i].line)
                                                         : ", pair " + std::to_string(i + 1)) +
                                      ": " + std::to_string(pairs[i].clean.size()) +
                                      " tokens exceed the model's context of " +
                                      std::to_string(config.maxPositions));
}

}  // namespace

at::Tensor EdgePatcher::Impl::metricPerPair(const PairBatch& batch,
                                            const at::Tensor& logits) const {
    return kl ? klToClean(logits, batch.cleanLogProbs)
              : logitDifference(logits, batch.answer, batch.wrong);
}

at::Tensor EdgePatcher::Impl::forward(const PairBatch& batch, const std::vector<uint8_t>* kept,
                                      at::Tensor* outputs, bool atPositions) {
    EdgeForwardRequest request;
    request.ids = batch.clean;
    (atPositions ? request.keptAt : request.kept) = kept;
    request.ablated = batch.ablated;
    request.outputs = outputs;
    return edgeForward(model, graph, request);
}

int64_t EdgePatcher::Impl::requireOneLength(const std::string& what) const {
    if (positions == 0)
        throw capture::InputError(what + " need prompt pairs of one token length (one position " +
                                  "axis), but these pairs have " + std::to_string(shortest) +
                                  " to " + std::to_string(longest) + " tokens");
    return positions;
}

double EdgePatcher::Impl::evaluate(const std::vector<uint8_t>* kept, at::Tensor* logits,
                                   bool atPositions) {
    at::NoGradGuard noGrad;
    double sum = 0.0;
    for (const PairBatch& batch : batches) {
        const at::Tensor batchLogits = forward(batch, kept, nullptr, atPositions);
        sum += metricPerPair(batch, batchLogits).sum().item<double>();
        if (!logits) continue;
        if (!logits->defined())
            *logits = at::empty({pairs, batchLogits.size(1)}, batchLogits.options());
        logits->index_copy_(0, at::tensor(batch.pairIndex, at::kLong), batchLogits);
    }
    ++forwards;
    return sum / static_cast<double>(pairs);
}

EdgePatcher::EdgePatcher(capture::TransformerModel& model, const std::vector<PromptPair>& pairs,
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
    validatePairs(pairs, config, "prompt pairs");
    if (!s.options.meanReference.empty())
        validatePairs(s.options.meanReference, config, "mean-ablation reference");
    s.kl = s.options.metric == "kl";
    s.graph = EdgeGraph(static_cast<int>(config.nLayers), static_cast<int>(config.nHeads),
                        static_cast<int>(config.nKvHeads));
    s.pairs = static_cast<int64_t>(pairs.size());
    const auto [shortest, longest] = std::minmax_element(
        pairs.begin(), pairs.end(),
        [](const PromptPair& a, const PromptPair& b) { return a.clean.size() < b.clean.size(); });
    s.shortest = static_cast<int64_t>(shortest->clean.size());
    s.longest = static_cast<int64_t>(longest->clean.size());
    s.positions = s.shortest == s.longest ? s.shortest : 0;
    s.batches = makeBatches(pairs, s.options.batchSize);

    at::NoGradGuard noGrad;
    const int64_t senders = s.graph.logitsNode();
    const int64_t D = config.dModel;
    const auto ablation = s.options.ablation;
    at::Tensor shared;  // z′ for zero and mean ablation, the same for every batch
    if (ablation == "zero") shared = at::zeros({senders, 1, 1, D}, model.tensorOptions());
    if (ablation == "mean") {
        const auto& reference = s.options.meanReference.empty() ? pairs : s.options.meanReference;
        auto lengthOf = [](const PromptPair& p) { return p.clean.size(); };
        bool oneLength = true;
        for (const std::vector<PromptPair>* list : {&pairs, &reference})
            for (const PromptPair& p : *list)
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

double EdgePatcher::evaluate(const std::vector<uint8_t>& keptEdges, at::Tensor* logits) {
    checkEdgeVector(m_impl->graph, keptEdges.size(), "the kept-edge list");
    if (logits) *logits = at::Tensor();
    return m_impl->evaluate(&keptEdges, logits);
}

int64_t EdgePatcher::positionCount() const {
    return m_impl->positions;
}

double EdgePatcher::evaluateAtPositions(const std::vector<uint8_t>& keptCells, at::Tensor* logits) {
    const int64_t positions = m_impl->requireOneLength("per-position edge patching");
    const int64_t cells = m_impl->graph.edgeCount() * positions;
    if (static_cast<int64_t>(keptCells.size()) != cells)
        throw std::invalid_argument(
            "the kept (edge, position) list has " + std::to_string(keptCells.size()) +
            " entries; the graph has " + std::to_string(m_impl->graph.edgeCount()) + " edges at " +
            std::to_string(positions) + " positions (" + std::to_string(cells) + ")");
    if (logits) *logits = at::Tensor();
    return m_impl->evaluate(&keptCells, logits, true);
}

std::vector<double> EdgePatcher::singleEdgeRemovals(const capture::Progress& progress) {
    Impl& s = *m_impl;
    const EdgeGraph& graph = s.graph;
    at::NoGradGuard noGrad;
    // Edges grouped by the stage their forwards start at: the edges of one group share
    // forwards, as variants stacked on the batch axis.
    std::vector<std::vector<int64_t>> byStage(static_cast<size_t>(2 * graph.layers() + 1));
    for (int r = 0; r < static_cast<int>(graph.receivers().size()); ++r)
        for (int u = 0; u < graph.senderCount(r); ++u)
            byStage[static_cast<size_t>(receiverStage(graph, r))].push_back(graph.firstEdge(r) + u);
    std::vector<double> sums(static_cast<size_t>(graph.edgeCount()), 0.0);
    const double total =
        static_cast<double>(graph.edgeCount()) * static_cast<double>(s.batches.size());
    int64_t done = 0;
    for (const PairBatch& batch : s.batches) {
        EdgeForwardRequest clean;
        clean.ids = batch.clean;
        at::Tensor outputs;
        std::vector<at::Tensor> stages;
        clean.outputs = &outputs;
        clean.stageInputs = &stages;
        edgeForward(s.model, graph, clean);
        // z′_u − z_u [senders, batch, pos, D], in place of the clean outputs
        const at::Tensor delta = outputs.neg_().add_(batch.ablated);
        // Variants per forward: enough rows to keep the GEMMs of a small model efficient, few
        // enough that a large one runs one variant at a time.
        const auto& config = s.model.config();
        const int64_t elements =
            batch.clean.numel() * config.dModel * (config.nHeads + 2 * config.nKvHeads);
        const int64_t perForward = std::clamp<int64_t>(kVariantElements / elements, 1, 64);
        for (int stage = 0; stage < static_cast<int>(byStage.size()); ++stage) {
            const std::vector<int64_t>& edges = byStage[static_cast<size_t>(stage)];
            for (size_t from = 0; from < edges.size(); from += static_cast<size_t>(perForward)) {
                const size_t to = std::min(edges.size(), from + static_cast<size_t>(perForward));
                const auto variants = static_cast<int64_t>(to - from);
                progress.check();
                progress.report(static_cast<double>(done) / total,
                                "exact patching: " + graph.edgeName(edges[from]));
                EdgeForwardResume resume;
                resume.stage = stage;
                resume.resid = stages[static_cast<size_t>(stage)].repeat({variants, 1, 1});
                for (size_t k = from; k < to; ++k) {
                    resume.receivers.push_back(graph.edgeReceiver(edges[k]));
                    resume.extras.push_back(delta[graph.edgeSender(edges[k])]);
                }
                EdgeForwardRequest patched;
                patched.ids = batch.clean.repeat({variants, 1});
                patched.resume = &resume;
                const at::Tensor logits =
                    edgeForward(s.model, graph, patched).view({variants, batch.clean.size(0), -1});
                for (int64_t k = 0; k < variants; ++k)
                    sums[static_cast<size_t>(edges[from + static_cast<size_t>(k)])] +=
                        s.metricPerPair(batch, logits[k]).sum().item<double>();
                done += variants;
            }
        }
    }
    for (double& sum : sums)
        sum /= static_cast<double>(s.pairs);
    s.forwards += graph.edgeCount();
    return sums;
}

at::Tensor EdgePatcher::circuitLogits(const std::vector<uint8_t>& keptEdges) {
    at::Tensor out;
    evaluate(keptEdges, &out);
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
