#include "attnscope/capture/capture_spec.h"

#include "attnscope/capture/load_error.h"

namespace attnscope::capture {
namespace {

bool endsWith(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string storageName(at::ScalarType t) {
    if (t == at::kHalf) return "float16";
    if (t == at::kBFloat16) return "bfloat16";
    return "float32";
}

at::ScalarType storageFromName(const std::string& s) {
    if (s == "float32") return at::kFloat;
    if (s == "float16") return at::kHalf;
    if (s == "bfloat16") return at::kBFloat16;
    throw InputError("capture storage dtype '" + s + "' is not one of float32, float16, bfloat16");
}

// Positions relative to the forward call: absolute positions minus the call's offset.
at::Tensor localPositions(const std::vector<int64_t>& absolute, int64_t offset, int64_t count) {
    std::vector<int64_t> local;
    for (int64_t p : absolute)
        if (p >= offset && p < offset + count) local.push_back(p - offset);
    return at::tensor(local, at::TensorOptions().dtype(at::kLong));
}

}  // namespace

int64_t headDimOf(const std::string& n) {
    for (const char* s :
         {"hook_q", "hook_k", "hook_v", "hook_rot_q", "hook_rot_k", "hook_z", "hook_result"})
        if (endsWith(n, std::string(".") + s)) return 2;
    for (const char* s : {"hook_attn_scores", "hook_pattern", "hook_pattern_lse"})
        if (endsWith(n, std::string(".") + s)) return 1;
    return -1;
}

int64_t positionDimOf(const std::string& n) {
    for (const char* s : {"hook_attn_scores", "hook_pattern", "hook_pattern_lse"})
        if (endsWith(n, std::string(".") + s)) return 2;
    return 1;
}

nlohmann::json CaptureSpec::toJson() const {
    return {{"hooks", hooks},
            {"layers", layers},
            {"heads", heads},
            {"positions", positions},
            {"storage", storageName(storage)},
            {"to_cpu", toCpu}};
}

CaptureSpec CaptureSpec::fromJson(const nlohmann::json& j) {
    CaptureSpec s;
    try {
        s.hooks = j.value("hooks", std::vector<std::string>{});
        s.layers = j.value("layers", std::vector<int64_t>{});
        s.heads = j.value("heads", std::vector<int64_t>{});
        s.positions = j.value("positions", std::vector<int64_t>{});
        s.storage = storageFromName(j.value("storage", std::string("float32")));
        s.toCpu = j.value("to_cpu", true);
    } catch (const nlohmann::json::exception& e) {
        throw InputError(std::string("malformed capture spec: ") + e.what());
    }
    return s;
}

const at::Tensor& ActivationCache::get(const std::string& name, std::size_t call) const {
    auto it = m_entries.find(name);
    if (it == m_entries.end()) throw InputError("activation '" + name + "' was not captured");
    if (call >= it->second.size())
        throw InputError("activation '" + name + "' has " + std::to_string(it->second.size()) +
                         " recorded calls, not " + std::to_string(call + 1));
    return it->second[call];
}

std::size_t ActivationCache::calls(const std::string& name) const {
    auto it = m_entries.find(name);
    return it == m_entries.end() ? 0 : it->second.size();
}

std::vector<std::string> ActivationCache::names() const {
    std::vector<std::string> out;
    for (const auto& [name, v] : m_entries)
        out.push_back(name);
    return out;
}

std::vector<std::string> selectedHooks(const HookRegistry& registry, const CaptureSpec& spec) {
    std::vector<std::string> selected;
    for (const auto& pattern : spec.hooks)
        for (const auto& name : registry.match(pattern)) {
            const int64_t layer = registry.at(name).layer();
            const bool layerOk =
                spec.layers.empty() || layer < 0 ||
                std::find(spec.layers.begin(), spec.layers.end(), layer) != spec.layers.end();
            if (layerOk && std::find(selected.begin(), selected.end(), name) == selected.end())
                selected.push_back(name);
        }
    return selected;
}

void attachCapture(HookScope& scope, const HookRegistry& registry, const CaptureSpec& spec,
                   ActivationCache& cache) {
    const std::vector<std::string> selected = selectedHooks(registry, spec);
    const at::Tensor heads = at::tensor(spec.heads, at::TensorOptions().dtype(at::kLong));
    for (const auto& name : selected) {
        const int64_t headDim = headDimOf(name), posDim = positionDimOf(name);
        scope.add(
            name, [&cache, spec, heads, headDim, posDim](at::Tensor& t, const HookContext& ctx) {
                // Keep a reference, not a copy, when nothing needs converting: the forward pass
                // never modifies a hooked tensor in place.
                at::Tensor v = t.detach();
                if (!spec.heads.empty() && headDim >= 0)
                    v = v.index_select(headDim, heads.to(v.device()));
                if (!spec.positions.empty() && v.dim() > posDim)
                    v = v.index_select(
                        posDim, localPositions(spec.positions, ctx.positionOffset, v.size(posDim))
                                    .to(v.device()));
                if (spec.toCpu) v = v.to(at::kCPU);
                cache.add(ctx.name, v.to(spec.storage));
            });
    }
}

}  // namespace attnscope::capture
