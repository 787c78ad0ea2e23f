#pragma once
// §5 DuoAttention on a loaded model: per-(layer, KV head) gates mixing full and streaming
// (sink + recent window) attention, trained by distillation against the full model. Torch-free
// interface; the gates are trained with LibTorch autograd behind it.
#include <Eigen/Core>
#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

#include "attnscope/analysis/head_table.h"
#include "attnscope/capture/progress.h"

namespace attnscope::capture {
class TransformerModel;
}

namespace attnscope::analysis {

/// One training sequence: token ids (BOS included) and the first supervised position; the
/// distillation runs over positions [supervisedFrom, T) (DUO: the question/passkey part).
struct DuoSequence {
    std::vector<int64_t> ids;
    int64_t supervisedFrom = 0;
};

/// Final hidden states (post final norm) [T, D] of `ids` when every layer's head outputs are
/// z = α·z_full + (1-α)·z_stream, α = clamp(gates[l, kv(h)], 0, 1), both attentions computed
/// from the layer's own q/k/v in this forward (§5.1 copy 1). gates is [layers, KV heads].
/// Streaming: key j visible to query i iff j <= i and (j < sink or j > i - recent).
/// Throws capture::InputError for a gate table of the wrong shape or sink < 0, recent < 1.
Eigen::MatrixXf duoMixedFinalHidden(capture::TransformerModel& model,
                                    const std::vector<int64_t>& ids, const HeadTable& gates,
                                    int64_t sink, int64_t recent);

struct DuoTrainOptions {
    int64_t steps = 100;       ///< reference: 2000
    int64_t sink = 4;          ///< reference training: 128
    int64_t recent = 16;       ///< reference training: 256
    double regWeight = 0.05;   ///< λ
    double lr = 0.02;          ///< AdamW, weight decay 0, times duoLrMultiplier(step, steps)
    double initialGate = 1.0;  ///< reference initial_value
    /// Reported after every step ("step N loss L"); cancel polled before each.
    capture::Progress progress;
};

struct DuoTrainResult {
    HeadTable gates;              ///< [layers, KV heads], clamped to [0, 1]
    std::vector<double> loss;     ///< per step: distill + λ·reg
    std::vector<double> distill;  ///< per step
};

/// §5.2: batch 1, sequences cycled in order; at each step the gates are clamped to [0, 1], the
/// loss = mean over supervised positions of mean_D (h - h~)^2 + λ·mean|α| is back-propagated
/// to the gates only (model weights frozen) and AdamW steps. h comes from the unmodified model.
/// Throws capture::Cancelled when cancelled, capture::InputError for no sequences, a sequence
/// without supervised positions, or steps < 1.
DuoTrainResult trainDuoGates(capture::TransformerModel& model,
                             const std::vector<DuoSequence>& sequences,
                             const DuoTrainOptions& options);

}  // namespace attnscope::analysis
