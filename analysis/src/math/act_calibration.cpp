#include "attnscope/analysis/act_calibration.h"

#include <stdexcept>
#include <string>

#include "attnscope/analysis/received_attention.h"

namespace attnscope::analysis {

ActResult actCalibrate(const AttentionMap& attention, float thres, float beta, ThresholdMode mode) {
    if (!(beta >= 0.0f && beta <= 1.0f)) {
        throw std::invalid_argument("actCalibrate: beta must lie in [0, 1], got " +
                                    std::to_string(beta));
    }
    if (!(thres >= 0.0f)) {
        throw std::invalid_argument("actCalibrate: thres must be >= 0, got " +
                                    std::to_string(thres));
    }
    requireCausalAttentionMap(attention, "actCalibrate");
    const Eigen::VectorXd alpha = receivedAttention(attention);
    const Eigen::Index t = attention.rows();

    ActResult result;
    result.effectiveThreshold =
        mode == ThresholdMode::Absolute ? double(thres) : double(thres) / double(t);

    std::vector<bool> inK(static_cast<std::size_t>(t), false);
    bool first = true;
    for (Eigen::Index k = 0; k < t; ++k) {
        if (alpha[k] > result.effectiveThreshold) {
            // The reference drops the first (lowest-index) sink: usually BOS, the "visible"
            // sink that ACT keeps; only the later, hidden sinks are damped.
            if (first) {
                first = false;
                continue;
            }
            result.hiddenSinks.push_back(static_cast<int>(k));
            inK[static_cast<std::size_t>(k)] = true;
        }
    }

    Eigen::MatrixXd out = attention.cast<double>();
    double massSum = 0.0;
    for (Eigen::Index q = 0; q < t; ++q) {
        double onK = 0.0;
        for (int k : result.hiddenSinks)
            onK += attention(q, k);
        massSum += onK;
        // C[q, .]: row 0 keeps its K columns (the reference zeroes only rows 1..T-1).
        double cSum = 0.0;
        for (Eigen::Index j = 0; j < t; ++j) {
            if (q == 0 || !inK[static_cast<std::size_t>(j)]) cSum += attention(q, j);
        }
        if (cSum == 0.0) continue;  // guard: row left unchanged
        const double freed = (1.0 - double(beta)) * onK;
        for (Eigen::Index j = 0; j < t; ++j) {
            const bool sink = inK[static_cast<std::size_t>(j)];
            const double a = attention(q, j);
            const double scaled = sink ? double(beta) * a : a;
            const double c = (q == 0 || !sink) ? a : 0.0;
            out(q, j) = scaled + freed * c / cSum;
        }
    }
    out(0, 0) = 1.0;
    result.calibrated = out.cast<float>();
    result.hiddenSinkMass = massSum / static_cast<double>(t);
    return result;
}

}  // namespace attnscope::analysis
