#include "edit_options.h"

#include <map>
#include <sstream>

#include "attnscope/app/opened_model.h"

namespace attnscope::app {
namespace {

// "L.H" or "L.H1,H2" → layer and heads.
std::pair<int, std::vector<int64_t>> parseHeadRef(const std::string& text, const char* option) {
    const auto dot = text.find('.');
    try {
        if (dot == std::string::npos) throw std::invalid_argument("no dot");
        const int layer = std::stoi(text.substr(0, dot));
        return {layer, parseIdList(text.substr(dot + 1))};
    } catch (const std::exception&) {
        throw UsageError(std::string(option) + " expects LAYER.HEAD[,HEAD...], got '" + text + "'");
    }
}

void addHeads(EditList& out, EditKind kind, const std::string& ref, const char* option,
              double param = 0.0) {
    auto [layer, heads] = parseHeadRef(ref, option);
    for (int64_t h : heads)
        out.push_back({kind, layer, static_cast<int>(h), param, true, {}});
}

// "NAME:L.H[,H][:KEY=VALUE[,KEY=VALUE]]" → one plugin_edit per head.
void addPluginEdits(EditList& out, const std::string& text) {
    const char* usage = "--plugin-edit expects NAME:LAYER.HEAD[,HEAD][:KEY=VALUE[,KEY=VALUE]]";
    const auto first = text.find(':');
    if (first == std::string::npos || first == 0)
        throw UsageError(usage + (", got '" + text + "'"));
    // "plugin:NAME:..." names the edit with its registry prefix.
    size_t nameEnd = first;
    if (text.compare(0, first, "plugin") == 0) nameEnd = text.find(':', first + 1);
    if (nameEnd == std::string::npos) throw UsageError(usage + (", got '" + text + "'"));
    const std::string name = text.substr(0, nameEnd);
    const auto paramsAt = text.find(':', nameEnd + 1);
    const std::string heads = text.substr(
        nameEnd + 1, paramsAt == std::string::npos ? std::string::npos : paramsAt - nameEnd - 1);
    std::map<std::string, std::string> params;
    if (paramsAt != std::string::npos) {
        std::stringstream list(text.substr(paramsAt + 1));
        std::string pair;
        while (std::getline(list, pair, ',')) {
            const auto eq = pair.find('=');
            if (eq == std::string::npos || eq == 0)
                throw UsageError(std::string(usage) + ", got the parameter '" + pair + "'");
            params[pair.substr(0, eq)] = pair.substr(eq + 1);
        }
    }
    auto [layer, headList] = parseHeadRef(heads, "--plugin-edit");
    for (int64_t h : headList) {
        Edit e{EditKind::PluginEdit, layer, static_cast<int>(h), 0.0, true, {}};
        e.plugin = name;
        e.params = params;
        out.push_back(std::move(e));
    }
}

}  // namespace

const std::set<std::string>& editOptionNames() {
    static const std::set<std::string> names = {"--ablate", "--mean-ablate", "--scale",
                                                "--plugin-edit", "--edits"};
    return names;
}

EditOptions::EditOptions(const CliArgs& args) {
    EditList& out = flags;
    for (const auto& a : args.all("--ablate"))
        addHeads(out, EditKind::ZeroAblation, a, "--ablate");
    for (const auto& a : args.all("--mean-ablate"))
        addHeads(out, EditKind::MeanAblation, a, "--mean-ablate");
    for (const auto& a : args.all("--scale")) {
        const auto eq = a.find('=');
        if (eq == std::string::npos) throw UsageError("--scale expects LAYER.HEAD=FACTOR");
        double factor = 0;
        try {
            size_t used = 0;
            factor = std::stod(a.substr(eq + 1), &used);
            if (used != a.size() - eq - 1) throw std::invalid_argument("trailing text");
        } catch (const std::exception&) {
            throw UsageError("--scale factor '" + a.substr(eq + 1) + "' is not a number");
        }
        addHeads(out, EditKind::Scale, a.substr(0, eq), "--scale", factor);
    }
    for (const auto& a : args.all("--plugin-edit"))
        addPluginEdits(out, a);
    for (const auto& path : args.all("--edits"))
        files.emplace_back(path, readEditsFile(path));
}

void EditOptions::check(int layers, int heads) const {
    checkEdits(flags, layers, heads, "--ablate/--mean-ablate/--scale/--plugin-edit");
    for (const auto& [path, edits] : files)
        checkEdits(edits, layers, heads, path);
}

EditList EditOptions::all() const {
    EditList out = flags;
    for (const auto& file : files)
        out.insert(out.end(), file.second.begin(), file.second.end());
    return out;
}

}  // namespace attnscope::app
