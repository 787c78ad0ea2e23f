#pragma once
// Attention edits that a front end's plugin host provides (issue 16: a plugin declares a
// function that maps a pattern to a pattern, applied live as an intervention). The edit
// vocabulary (app/core) names them "plugin:NAME"; app/core cannot link the plugin host, so the
// host installs one provider here, as plugin metrics register in the MetricRegistry. This
// header needs no LibTorch: checking an edit list reads only the declarations.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "attnscope/analysis/metric.h"

namespace attnscope::capture {
struct PatternEdit;
}

namespace attnscope::analysis {

/// One declared attention edit.
struct AttentionEditInfo {
    std::string name;  ///< "plugin:NAME"
    std::string label;
    std::string description;
    std::vector<ParamSpec> params;
};

class AttentionEditProvider {
public:
    virtual ~AttentionEditProvider() = default;
    /// The edits loaded now (a provider may load its plugins on the first call).
    virtual std::vector<AttentionEditInfo> edits() const = 0;
    /// The edit `name` on `heads` of `layer`, parameters checked against its declaration.
    /// Throws capture::InputError for an unknown edit or a bad parameter.
    virtual capture::PatternEdit make(const std::string& name, int64_t layer,
                                      std::vector<int64_t> heads,
                                      const std::map<std::string, std::string>& params) const = 0;
};

/// Installs the process-wide provider (the plugin host does); null removes it. Thread-safe.
void setAttentionEditProvider(std::shared_ptr<const AttentionEditProvider> provider);
/// The installed provider, or null in a program without plugins.
std::shared_ptr<const AttentionEditProvider> attentionEditProvider();

/// "NAME" → "plugin:NAME"; a name with the prefix is returned as it is.
std::string attentionEditKey(const std::string& name);

/// The declaration of `name` ("NAME" or "plugin:NAME") with `params` checked against it.
/// Throws capture::InputError naming what is wrong: no provider, an unknown edit (listing the
/// loaded ones) or a parameter (MetricParams' message, which names it). `unknownEdit` is set
/// when the name was the problem, so that callers can name the key that holds it.
AttentionEditInfo checkAttentionEdit(const std::string& name,
                                     const std::map<std::string, std::string>& params,
                                     bool* unknownEdit = nullptr);

}  // namespace attnscope::analysis
