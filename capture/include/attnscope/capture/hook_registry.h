#pragma once
// Name → HookPoint lookup built once from the model's named_modules(), and a scope object
// that removes the hooks it added when it goes out of scope (TransformerLens's `hooks()`).
#include <map>
#include <string>
#include <vector>

#include "attnscope/capture/hook_point.h"

namespace attnscope::capture {

/// Shell-style glob over hook names: '*' matches any run of characters (dots included),
/// '?' one character. "blocks.*.attn.hook_pattern" selects every layer's pattern.
bool globMatch(const std::string& pattern, const std::string& name);

class HookRegistry {
public:
    /// Collects every HookPoint below `root` under its dotted module path.
    void build(torch::nn::Module& root);

    /// Throws InputError (listing a few valid names) if `name` is not a hook point.
    HookPoint& at(const std::string& name) const;
    bool contains(const std::string& name) const { return m_points.count(name) > 0; }
    /// Names matching `pattern`, in forward order. Throws InputError when nothing matches.
    std::vector<std::string> match(const std::string& pattern) const;
    /// Every hook name in forward order.
    const std::vector<std::string>& names() const { return m_order; }

private:
    std::map<std::string, HookPoint*> m_points;
    std::vector<std::string> m_order;
};

/// Adds hooks and removes them again on destruction. Not copyable; movable.
class HookScope {
public:
    explicit HookScope(const HookRegistry& registry) : m_registry(&registry) {}
    ~HookScope() { clear(); }
    HookScope(HookScope&& other) noexcept;
    HookScope& operator=(HookScope&&) = delete;
    HookScope(const HookScope&) = delete;
    HookScope& operator=(const HookScope&) = delete;

    void add(const std::string& name, HookFn fn);
    /// Adds `fn` to every hook whose name matches `pattern`.
    void addMatching(const std::string& pattern, const HookFn& fn);
    void clear();

private:
    const HookRegistry* m_registry;
    std::vector<std::pair<HookPoint*, int64_t>> m_added;
};

}  // namespace attnscope::capture
