#include "attnscope/analysis/attention_edits.h"

#include <mutex>

#include "attnscope/capture/load_error.h"

namespace attnscope::analysis {
namespace {

constexpr const char* kPrefix = "plugin:";

std::mutex g_mutex;
std::shared_ptr<const AttentionEditProvider> g_provider;  // guarded by g_mutex

}  // namespace

void setAttentionEditProvider(std::shared_ptr<const AttentionEditProvider> provider) {
    std::lock_guard<std::mutex> lock(g_mutex);
    g_provider = std::move(provider);
}

std::shared_ptr<const AttentionEditProvider> attentionEditProvider() {
    std::lock_guard<std::mutex> lock(g_mutex);
    return g_provider;
}

std::string attentionEditKey(const std::string& name) {
    return name.rfind(kPrefix, 0) == 0 ? name : kPrefix + name;
}

AttentionEditInfo checkAttentionEdit(const std::string& name,
                                     const std::map<std::string, std::string>& params,
                                     bool* unknownEdit) {
    if (unknownEdit) *unknownEdit = true;
    const auto provider = attentionEditProvider();
    if (!provider)
        throw capture::InputError("plugin edit '" + name +
                                  "': this program runs no plugins (use attnscope-cli or the "
                                  "attnscope window)");
    const std::string key = attentionEditKey(name);
    std::string known;
    for (AttentionEditInfo& info : provider->edits()) {
        if (info.name == key) {
            if (unknownEdit) *unknownEdit = false;
            MetricParams(info.params, params);  // throws naming the parameter
            return std::move(info);
        }
        known += (known.empty() ? "" : ", ") + info.name;
    }
    throw capture::InputError("unknown plugin edit '" + key +
                              "' (loaded: " + (known.empty() ? "none" : known) + ")");
}

}  // namespace attnscope::analysis
