#pragma once
// Helpers of the patching code (activation_patching.cpp): positions and boolean masks.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "attnscope/analysis/circuits/activation_patching.h"

namespace attnscope::analysis::circuits::detail {

/// One prompt's token ids as a [1, T] batch.
at::Tensor idsOf(const std::vector<int64_t>& ids);

/// Positions made absolute (negative counts from the end) and checked against `length`.
std::vector<int64_t> resolvePositions(const std::vector<int64_t>& positions, int64_t length);

/// A [size] boolean vector with `chosen` set (all of it when `chosen` is empty), viewed so that
/// it broadcasts along dimension `dim` of a `rank`-dimensional activation.
at::Tensor axisMask(int64_t size, const std::vector<int64_t>& chosen, int64_t dim, int64_t rank,
                    const at::Device& device);

/// Rows of one patched forward: `maxBatch` when > 0; otherwise as many variants as keep a
/// forward near kAutoBatchTokens tokens (at least one), at most `count`.
inline constexpr int64_t kAutoBatchTokens = 8192;
int64_t variantsPerForward(int64_t maxBatch, int64_t length, int64_t count);

/// Throws capture::InputError unless the model has the target's layer and heads.
void checkTarget(const capture::TransformerModel& model, const PatchTarget& target);

}  // namespace attnscope::analysis::circuits::detail
