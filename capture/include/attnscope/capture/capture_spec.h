#pragma once
// What to record during a forward pass, and where the recordings go.
#include <ATen/ATen.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "attnscope/capture/hook_registry.h"

namespace attnscope::capture {

/// Selects hooks by glob pattern, then restricts them to layers, heads and positions.
/// Only what is selected is kept; hooks nobody selected are not even computed where the
/// model can skip them (hook_result, full patterns at long context).
struct CaptureSpec {
    std::vector<std::string> hooks;       ///< glob patterns, e.g. "blocks.*.attn.hook_pattern"
    std::vector<int64_t> layers;          ///< empty: every layer
    std::vector<int64_t> heads;           ///< empty: every head (hooks with a head dimension)
    std::vector<int64_t> positions;       ///< empty: every position (query positions for patterns)
    at::ScalarType storage = at::kFloat;  ///< kFloat, kHalf or kBFloat16
    bool toCpu = true;                    ///< move captures off the accelerator

    nlohmann::json toJson() const;
    static CaptureSpec fromJson(const nlohmann::json& j);  ///< throws InputError
};

/// Recorded activations: for every hook name, one tensor per forward call (the prefill first,
/// then one per decoding step). The batch dimension is kept.
class ActivationCache {
public:
    void add(const std::string& name, at::Tensor value) {
        m_entries[name].push_back(std::move(value));
    }
    bool contains(const std::string& name) const { return m_entries.count(name) > 0; }
    /// Throws InputError if `name` was not captured or `call` is out of range.
    const at::Tensor& get(const std::string& name, std::size_t call = 0) const;
    std::size_t calls(const std::string& name) const;
    std::vector<std::string> names() const;
    void clear() { m_entries.clear(); }

private:
    std::map<std::string, std::vector<at::Tensor>> m_entries;
};

/// The hook names `spec` selects (patterns matched, layers filtered), in forward order.
/// Throws InputError for a pattern that matches nothing.
std::vector<std::string> selectedHooks(const HookRegistry& registry, const CaptureSpec& spec);

/// Adds observing hooks for `spec` to `scope`; they append to `cache`. Add interventions to the
/// model before calling this, so that captures see the edited activations.
void attachCapture(HookScope& scope, const HookRegistry& registry, const CaptureSpec& spec,
                   ActivationCache& cache);

/// The dimension holding heads (-1 if none) and positions (queries for patterns) of a hook's
/// activation, batch dimension included.
int64_t headDimOf(const std::string& hookName);
int64_t positionDimOf(const std::string& hookName);

}  // namespace attnscope::capture
