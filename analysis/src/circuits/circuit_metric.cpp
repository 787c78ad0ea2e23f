#include "attnscope/analysis/circuits/circuit_metric.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <map>

#include "attnscope/capture/load_error.h"

namespace attnscope::analysis::circuits {

using capture::InputError;

CircuitMetricKind parseCircuitMetric(const std::string& name) {
    std::string n = name;
    std::replace(n.begin(), n.end(), '_', '-');
    if (n == "logit-diff") return CircuitMetricKind::LogitDiff;
    if (n == "normalized-logit-diff") return CircuitMetricKind::NormalizedLogitDiff;
    if (n == "kl") return CircuitMetricKind::Kl;
    if (n == "answer-prob") return CircuitMetricKind::AnswerProbability;
    throw InputError("unknown circuit metric '" + name +
                     "' (known: logit-diff, normalized-logit-diff, kl, answer-prob)");
}

const char* circuitMetricName(CircuitMetricKind kind) {
    switch (kind) {
        case CircuitMetricKind::LogitDiff:
            return "logit-diff";
        case CircuitMetricKind::NormalizedLogitDiff:
            return "normalized-logit-diff";
        case CircuitMetricKind::Kl:
            return "kl";
        case CircuitMetricKind::AnswerProbability:
            return "answer-prob";
    }
    return "?";
}

at::Tensor logitDifference(const at::Tensor& logits, const at::Tensor& answer,
                           const at::Tensor& wrong) {
    const auto device = logits.device();
    return logits.gather(1, answer.to(device).unsqueeze(1)).squeeze(1) -
           logits.gather(1, wrong.to(device).unsqueeze(1)).squeeze(1);
}

at::Tensor normalizedLogitDifference(const at::Tensor& logits, const at::Tensor& answer,
                                     const at::Tensor& wrong, double cleanLogitDiff,
                                     double corruptedLogitDiff) {
    const double span = cleanLogitDiff - corruptedLogitDiff;
    if (span == 0.0)
        throw InputError(
            "normalised logit difference: the clean and corrupted runs have the "
            "same logit difference, so it is undefined");
    return (logitDifference(logits, answer, wrong) - corruptedLogitDiff) / span;
}

at::Tensor klToClean(const at::Tensor& logits, const at::Tensor& cleanLogProbs) {
    const at::Tensor logProbs = at::log_softmax(logits.to(at::kFloat), -1);
    const at::Tensor clean = cleanLogProbs.to(logProbs.device());
    return (clean.exp() * (clean - logProbs)).sum(-1);
}

at::Tensor answerProbability(const at::Tensor& logits, const at::Tensor& answer) {
    return at::softmax(logits.to(at::kFloat), -1)
        .gather(1, answer.to(logits.device()).unsqueeze(1))
        .squeeze(1);
}

std::vector<PromptBatch> stackPromptPairs(const std::vector<PromptPair>& pairs, int64_t maxBatch) {
    if (pairs.empty()) throw InputError("no prompt pairs to stack");
    if (maxBatch < 1) throw InputError("the batch size must be at least 1");
    std::map<size_t, std::vector<int64_t>> byLength;
    for (size_t i = 0; i < pairs.size(); ++i) {
        if (pairs[i].clean.size() != pairs[i].corrupted.size() || pairs[i].clean.empty())
            throw InputError("prompt pair " + std::to_string(i + 1) +
                             ": clean and corrupted prompts need equal, non-zero lengths");
        byLength[pairs[i].clean.size()].push_back(static_cast<int64_t>(i));
    }
    std::vector<PromptBatch> batches;
    for (const auto& [length, indices] : byLength) {
        const auto t = static_cast<int64_t>(length);
        // Batches of one length as even as they can be (100 pairs at most 32 a batch: 4 × 25,
        // not 32, 32, 32, 4), so that no forward runs on a sliver of rows.
        const size_t count = indices.size(), most = static_cast<size_t>(maxBatch);
        const size_t parts = (count + most - 1) / most, base = count / parts;
        const size_t longer = count % parts;  // the first `longer` batches take one more
        for (size_t part = 0; part < parts; ++part) {
            const size_t from = part * base + std::min(part, longer);
            const size_t to = from + base + (part < longer ? 1 : 0);
            PromptBatch b;
            b.pairIndex.assign(indices.begin() + static_cast<std::ptrdiff_t>(from),
                               indices.begin() + static_cast<std::ptrdiff_t>(to));
            const int64_t n = b.size();
            b.clean = at::empty({n, t}, at::kLong);
            b.corrupted = at::empty({n, t}, at::kLong);
            b.answer = at::empty({n}, at::kLong);
            b.wrong = at::empty({n}, at::kLong);
            for (int64_t r = 0; r < n; ++r) {
                const PromptPair& p = pairs[static_cast<size_t>(b.pairIndex[r])];
                std::copy(p.clean.begin(), p.clean.end(), b.clean[r].data_ptr<int64_t>());
                std::copy(p.corrupted.begin(), p.corrupted.end(),
                          b.corrupted[r].data_ptr<int64_t>());
                b.answer[r] = p.answer;
                b.wrong[r] = p.wrong;
            }
            batches.push_back(std::move(b));
        }
    }
    return batches;
}

at::Tensor CircuitMetric::perPair(const at::Tensor& logits, const PromptBatch& batch) const {
    switch (kind) {
        case CircuitMetricKind::LogitDiff:
            return logitDifference(logits, batch.answer, batch.wrong);
        case CircuitMetricKind::NormalizedLogitDiff:
            return normalizedLogitDifference(logits, batch.answer, batch.wrong, cleanLogitDiff,
                                             corruptedLogitDiff);
        case CircuitMetricKind::Kl: {
            if (!cleanLogProbs.defined())
                throw InputError("the KL metric needs the clean run's log-probabilities");
            const at::Tensor rows =
                at::tensor(batch.pairIndex, at::kLong).to(cleanLogProbs.device());
            return klToClean(logits, cleanLogProbs.index_select(0, rows));
        }
        case CircuitMetricKind::AnswerProbability:
            return answerProbability(logits, batch.answer);
    }
    return {};
}

}  // namespace attnscope::analysis::circuits
