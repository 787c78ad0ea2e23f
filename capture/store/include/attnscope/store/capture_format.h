#pragma once
// Names and numbers that define the on-disk capture format (see docs/capture-format.md).
#include <cstdint>
#include <string>

namespace attnscope::store {

/// Value of the root attribute `format`.
inline constexpr const char* kFormatName = "attnscope-capture";
/// Value of the root attribute `format_version` this library writes and reads.
inline constexpr int64_t kFormatVersion = 1;

/// `blocks.{layer}.attn.hook_pattern`: [head, query, key] softmax probabilities.
std::string patternHookName(int layer);
/// `blocks.{layer}.attn.hook_rot_q`: [pos, head, d_head] queries after the positional encoding.
std::string rotQHookName(int layer);
/// `blocks.{layer}.attn.hook_rot_k`: [pos, kv_head, d_head] keys after the positional encoding.
std::string rotKHookName(int layer);
/// `blocks.{layer}.attn.hook_pattern_lse`: [head, query] log-sum-exp of each attention row.
std::string lseHookName(int layer);

}  // namespace attnscope::store
