#pragma once
// EdgePatcher's state, shared by its files (patcher, attribution, ACDC). Internal.
#include <ATen/ATen.h>

#include <vector>

#include "attnscope/analysis/circuits/circuit_metric.h"
#include "attnscope/analysis/circuits/edge_patching.h"
#include "edge_forward.h"

namespace attnscope::analysis::circuits {

/// Pairs of one length, evaluated in one forward, with what the patcher caches for them.
struct PairBatch : PromptBatch {
    at::Tensor cleanLogProbs;  ///< [batch, vocab] float32: the clean run's last position
    at::Tensor ablated;        ///< z′ [senders, batch | 1, pos | 1, D]
};

struct EdgePatcher::Impl {
    Impl(capture::TransformerModel& m, EdgePatchingOptions o) : model(m), options(std::move(o)) {}

    /// The metric per pair [batch] (logit difference or KL to the clean run).
    at::Tensor metricPerPair(const PairBatch& batch, const at::Tensor& logits) const;
    /// The loss whose increase marks an important edge: −logit difference, or KL.
    at::Tensor lossPerPair(const PairBatch& batch, const at::Tensor& logits) const {
        at::Tensor m = metricPerPair(batch, logits);
        return kl ? m : -m;
    }
    /// Mean metric over every pair with these edges kept (null: all); when `logits` is set,
    /// also the last-position logits of that same forward [pairs, vocab], in pair order.
    /// With `atPositions`, `kept` holds one byte per (edge, position) (EdgeForwardRequest::keptAt).
    double evaluate(const std::vector<uint8_t>* kept, at::Tensor* logits = nullptr,
                    bool atPositions = false);
    /// The loss counterpart of evaluate() (ACDC compares these).
    double loss(const std::vector<uint8_t>* kept) {
        const double m = evaluate(kept);
        return kl ? m : -m;
    }
    at::Tensor forward(const PairBatch& batch, const std::vector<uint8_t>* kept,
                       at::Tensor* outputs = nullptr, bool atPositions = false);
    /// The pairs' common token length; throws capture::InputError naming `what` when the
    /// pairs have different lengths (per-position work needs one position axis).
    int64_t requireOneLength(const std::string& what) const;

    capture::TransformerModel& model;
    EdgePatchingOptions options;
    EdgeGraph graph;
    bool kl = false;
    int64_t pairs = 0;
    int64_t positions = 0;              ///< the pairs' common token length; 0 when lengths differ
    int64_t shortest = 0, longest = 0;  ///< token lengths, for errors
    std::vector<PairBatch> batches;
    double full = 0.0, empty = 0.0;
    int64_t forwards = 0;  ///< patched forwards run by evaluate(), for reports
};

}  // namespace attnscope::analysis::circuits
