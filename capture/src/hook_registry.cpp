#include "attnscope/capture/hook_registry.h"

#include "attnscope/capture/load_error.h"

namespace attnscope::capture {

bool globMatch(const std::string& pattern, const std::string& name) {
    // Iterative matcher with one backtrack point: linear in practice, no recursion depth issues.
    std::size_t p = 0, n = 0, starP = std::string::npos, starN = 0;
    while (n < name.size()) {
        if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == name[n])) {
            ++p;
            ++n;
        } else if (p < pattern.size() && pattern[p] == '*') {
            starP = p++;
            starN = n;
        } else if (starP != std::string::npos) {
            p = starP + 1;
            n = ++starN;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*')
        ++p;
    return p == pattern.size();
}

void HookRegistry::build(torch::nn::Module& root) {
    m_points.clear();
    m_order.clear();
    for (const auto& item : root.named_modules("", /*include_self=*/false)) {
        if (auto* hp = dynamic_cast<HookPoint*>(item.value().get())) {
            hp->setHookName(item.key());
            m_points[item.key()] = hp;
            m_order.push_back(item.key());
        }
    }
}

HookPoint& HookRegistry::at(const std::string& name) const {
    auto it = m_points.find(name);
    if (it == m_points.end()) {
        std::string examples;
        for (std::size_t i = 0; i < m_order.size() && i < 4; ++i)
            examples += (i ? ", " : "") + m_order[i];
        throw InputError("no hook point named '" + name + "' (names look like: " + examples +
                         ", ...)");
    }
    return *it->second;
}

std::vector<std::string> HookRegistry::match(const std::string& pattern) const {
    std::vector<std::string> out;
    for (const auto& name : m_order)
        if (globMatch(pattern, name)) out.push_back(name);
    if (out.empty())
        throw InputError("hook pattern '" + pattern + "' matches no hook point of this model");
    return out;
}

HookScope::HookScope(HookScope&& other) noexcept
    : m_registry(other.m_registry), m_added(std::move(other.m_added)) {
    other.m_added.clear();
}

void HookScope::add(const std::string& name, HookFn fn) {
    HookPoint& hp = m_registry->at(name);
    m_added.emplace_back(&hp, hp.addHook(std::move(fn)));
}

void HookScope::addMatching(const std::string& pattern, const HookFn& fn) {
    for (const auto& name : m_registry->match(pattern))
        add(name, fn);
}

void HookScope::clear() {
    // Remove in reverse so that later hooks go first, mirroring the order they were added.
    for (auto it = m_added.rbegin(); it != m_added.rend(); ++it)
        it->first->removeHook(it->second);
    m_added.clear();
}

}  // namespace attnscope::capture
