// The architecture registry: one line per file in this folder.
#include "../architecture.h"
#include "attnscope/capture/load_error.h"

// X(function returning the architecture's descriptor, defined in its own file)
#define ATTNSCOPE_ARCHITECTURES(X) \
    X(gpt2Architecture)            \
    X(llamaArchitecture)           \
    X(mistralArchitecture)         \
    X(qwen2Architecture)

namespace attnscope::capture {

#define ATTNSCOPE_DECLARE(fn) const Architecture& fn();
ATTNSCOPE_ARCHITECTURES(ATTNSCOPE_DECLARE)
#undef ATTNSCOPE_DECLARE

const std::vector<const Architecture*>& registeredArchitectures() {
#define ATTNSCOPE_ENTRY(fn) &fn(),
    static const std::vector<const Architecture*> all = {ATTNSCOPE_ARCHITECTURES(ATTNSCOPE_ENTRY)};
#undef ATTNSCOPE_ENTRY
    return all;
}

const std::vector<std::string>& supportedArchitectures() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> all;
        for (const Architecture* a : registeredArchitectures())
            all.insert(all.end(), a->names.begin(), a->names.end());
        return all;
    }();
    return names;
}

const Architecture& findArchitecture(const std::string& name, const std::string& modelType,
                                     const std::string& label) {
    for (const Architecture* a : registeredArchitectures())
        for (const auto& candidate : name.empty() ? a->modelTypes : a->names)
            if (candidate == (name.empty() ? modelType : name)) return *a;
    std::string list;
    for (const auto& known : supportedArchitectures())
        list += (list.empty() ? "" : ", ") + known;
    if (name.empty())
        throw ModelLoadError(label + ": missing field 'architectures' and model_type '" +
                             modelType + "' is not a known one (supported architectures: " + list +
                             ")");
    throw ModelLoadError(label + ": unsupported architecture '" + name + "' (supported: " + list +
                         ")");
}

}  // namespace attnscope::capture
