#include "attnscope/analysis/attention_map.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace attnscope::analysis {

namespace {

[[noreturn]] void fail(std::string_view context, const std::string& what) {
    throw std::invalid_argument(std::string(context) + ": " + what);
}

void checkRows(const Eigen::MatrixXf& rows, std::string_view context, double tolerance) {
    if (rows.rows() == 0 || rows.cols() == 0) {
        fail(context, "attention map is empty");
    }
    for (Eigen::Index q = 0; q < rows.rows(); ++q) {
        double sum = 0.0;
        for (Eigen::Index k = 0; k < rows.cols(); ++k) {
            const float v = rows(q, k);
            if (!std::isfinite(v) || v < 0.0f || v > 1.0 + tolerance) {
                fail(context, "attention entry (" + std::to_string(q) + ", " + std::to_string(k) +
                                  ") = " + std::to_string(v) + " is not a probability");
            }
            sum += v;
        }
        if (std::abs(sum - 1.0) > tolerance) {
            fail(context, "attention row " + std::to_string(q) + " sums to " + std::to_string(sum) +
                              ", not 1");
        }
    }
}

}  // namespace

void requireCausalAttentionMap(const AttentionMap& attention, std::string_view context,
                               double tolerance) {
    if (attention.rows() != attention.cols()) {
        fail(context, "attention map must be square [T, T], got [" +
                          std::to_string(attention.rows()) + ", " +
                          std::to_string(attention.cols()) + "]");
    }
    checkRows(attention, context, tolerance);
    for (Eigen::Index q = 0; q < attention.rows(); ++q) {
        for (Eigen::Index k = q + 1; k < attention.cols(); ++k) {
            if (attention(q, k) > tolerance) {
                fail(context, "attention map is not causal: entry (" + std::to_string(q) + ", " +
                                  std::to_string(k) + ") above the diagonal is " +
                                  std::to_string(attention(q, k)));
            }
        }
    }
}

void requireAttentionRows(const Eigen::MatrixXf& rows, std::string_view context, double tolerance) {
    checkRows(rows, context, tolerance);
}

}  // namespace attnscope::analysis
