#pragma once

#include <vector>

#include "attnscope/analysis/attention_map.h"

namespace attnscope::analysis {

/// How the ACT sink threshold is read.
enum class ThresholdMode {
    /// alpha[k] > thres (what the ACT code does; default).
    Absolute,
    /// alpha[k] > thres / T, the "alpha/N" form sometimes quoted [UNVERIFIED]: not in the code.
    RelativeToUniform,
};

/// Result of calibrating one head's map (§4.3).
struct ActResult {
    /// A', same shape as A; every row still sums to 1.
    AttentionMap calibrated;
    /// Hidden sinks K: the keys with alpha[k] > threshold, ascending, first one removed.
    std::vector<int> hiddenSinks;
    /// hidden_sink_mass = mean over all T queries of sum_{k in K} A[q, k] (original A).
    double hiddenSinkMass = 0.0;
    /// The threshold actually compared with alpha (thres, or thres / T).
    double effectiveThreshold = 0.0;
};

/// §4.3 ACT attention calibration (Yu et al., ICML'24; ACT
/// models/llama_modelling_aug.py::atten_process_cal), on a causal square prefill map:
///
///     alpha = receivedAttention(A);  K = sorted{k : alpha[k] > thres}[1:]
///     freed[q] = (1 - beta) * sum_{k in K} A[q, k]
///     A'[q, k] = beta * A[q, k]                       for k in K
///     C[q, .]  = A[q, .] with the columns K zeroed    (rows q >= 1; row 0 is left unzeroed)
///     A'[q, j] = A'[q, j] + freed[q] * C[q, j] / sum_j C[q, j]
///     A'[0, 0] = 1
///
/// Guard (the reference divides by zero): a row with sum_j C[q, j] = 0, i.e. all its mass on
/// K, is left unchanged. Computed in double, stored as float. The caller then uses
/// z = A' V for the calibrated head. Defaults thres = 0.1, beta = 0.4 (ACT scripts).
/// Throws std::invalid_argument unless A is a causal map, beta is in [0, 1] and thres >= 0.
ActResult actCalibrate(const AttentionMap& attention, float thres = 0.1f, float beta = 0.4f,
                       ThresholdMode mode = ThresholdMode::Absolute);

}  // namespace attnscope::analysis
