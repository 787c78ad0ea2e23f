#pragma once
// A named place in the forward pass where activations can be observed or replaced.
#include <torch/nn/module.h>

#include <functional>
#include <string>
#include <vector>

namespace attnscope::capture {

/// What a hook is told besides the activation.
struct HookContext {
    const std::string& name;  ///< TransformerLens name, e.g. "blocks.3.attn.hook_pattern"
    int64_t layer;            ///< block index, -1 outside the blocks
    int64_t positionOffset;   ///< absolute position of the first query (non-zero when decoding)
};

/// A hook observes `activation` or replaces it by assigning a new tensor to it. Hooks must not
/// modify the tensor in place (it may be shared with a capture); they assign a new one.
using HookFn = std::function<void(at::Tensor& activation, const HookContext& context)>;

/// Identity module registered under its TransformerLens name. With no hook attached it costs
/// one branch; the model also asks `active()` before computing activations only a hook needs.
class HookPoint : public torch::nn::Module {
public:
    explicit HookPoint(int64_t layer = -1) : m_layer(layer) {}

    bool active() const { return !m_hooks.empty(); }
    /// Runs the attached hooks in the order they were added.
    void run(at::Tensor& activation, int64_t positionOffset) const {
        if (m_hooks.empty()) return;
        const HookContext ctx{m_name, m_layer, positionOffset};
        for (const auto& h : m_hooks)
            h.fn(activation, ctx);
    }

    const std::string& hookName() const { return m_name; }
    int64_t layer() const { return m_layer; }
    void setHookName(std::string name) { m_name = std::move(name); }

    /// Returns an id for removeHook.
    int64_t addHook(HookFn fn) {
        m_hooks.push_back({m_nextId, std::move(fn)});
        return m_nextId++;
    }
    void removeHook(int64_t id) {
        for (auto it = m_hooks.begin(); it != m_hooks.end(); ++it)
            if (it->id == id) {
                m_hooks.erase(it);
                return;
            }
    }

private:
    struct Entry {
        int64_t id;
        HookFn fn;
    };
    std::string m_name;
    int64_t m_layer;
    std::vector<Entry> m_hooks;
    int64_t m_nextId = 0;
};

/// Registers a HookPoint of `layer` as the submodule `name` of `parent` (a block or attention).
inline std::shared_ptr<HookPoint> registerHookPoint(torch::nn::Module& parent, const char* name,
                                                    int64_t layer) {
    return parent.register_module(name, std::make_shared<HookPoint>(layer));
}

}  // namespace attnscope::capture
