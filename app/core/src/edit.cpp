#include "attnscope/app/edit.h"

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "attnscope/analysis/attention_edits.h"
#include "attnscope/capture/load_error.h"

namespace attnscope::app {
namespace {

using capture::InputError;
using nlohmann::json;

struct KindName {
    EditKind kind;
    const char* name;
};
constexpr KindName kKinds[] = {
    {EditKind::ZeroAblation, "zero_ablation"},
    {EditKind::MeanAblation, "mean_ablation"},
    {EditKind::Scale, "scale"},
    {EditKind::SinkWindow, "sink_window"},
    {EditKind::ActCalibration, "act_calibration"},
    {EditKind::Patch, "patch"},
    {EditKind::RemoveEdge, "remove_edge"},
    {EditKind::PluginEdit, "plugin_edit"},
};

// Line and column of a byte offset, for parse errors.
std::string lineAndColumn(const std::string& text, size_t byte) {
    size_t line = 1, column = 1;
    for (size_t i = 0; i < byte && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
    }
    return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

std::string shortDump(const json& value) {
    std::string s = value.dump();
    return s.size() > 40 ? s.substr(0, 37) + "..." : s;
}

[[noreturn]] void fail(const std::string& source, const std::string& key,
                       const std::string& problem) {
    throw InputError(source + ": " + key + ": " + problem);
}

int integerField(const json& o, const char* name, const std::string& source,
                 const std::string& at) {
    const std::string key = at + "." + name;
    if (!o.contains(name)) fail(source, key, "missing (an integer is required)");
    const json& v = o.at(name);
    if (!v.is_number_integer() && !(v.is_number_float() && std::floor(v.get<double>()) == v))
        fail(source, key, "expected an integer, got " + shortDump(v));
    const double d = v.get<double>();
    if (d < -1e9 || d > 1e9) fail(source, key, shortDump(v) + " is out of range");
    return static_cast<int>(d);
}

// A plugin edit's name and parameters; parameter values are kept as text, as the CLI's
// --param k=v gives them, and checked against the declaration by checkEdits().
void readPluginFields(const json& o, Edit& e, const std::string& source, const std::string& at) {
    if (!o.contains("plugin"))
        fail(source, at + ".plugin",
             "missing (plugin_edit names a plugin edit, e.g. \"temperature\")");
    if (!o["plugin"].is_string() || o["plugin"].get<std::string>().empty())
        fail(source, at + ".plugin",
             "expected a plugin edit's name, got " + shortDump(o["plugin"]));
    e.plugin = o["plugin"].get<std::string>();
    if (!o.contains("params")) return;
    const json& params = o["params"];
    if (!params.is_object())
        fail(source, at + ".params", "expected an object of parameters, got " + shortDump(params));
    for (const auto& item : params.items()) {
        const json& v = item.value();
        if (v.is_string())
            e.params[item.key()] = v.get<std::string>();
        else if (v.is_boolean() || v.is_number())
            e.params[item.key()] = v.dump();
        else
            fail(source, at + ".params." + item.key(),
                 "expected a number, true/false or a string, got " + shortDump(v));
    }
}

Edit editFromJson(const json& o, const std::string& source, const std::string& at) {
    if (!o.is_object()) fail(source, at, "expected an object, got " + shortDump(o));
    for (const auto& item : o.items())
        if (item.key() != "kind" && item.key() != "layer" && item.key() != "head" &&
            item.key() != "param" && item.key() != "enabled" && item.key() != "description" &&
            item.key() != "edge" && item.key() != "plugin" && item.key() != "params")
            fail(source, at + "." + item.key(),
                 "unknown key (expected kind, layer, head, param, enabled, description, edge, "
                 "plugin, params)");
    Edit e;
    if (!o.contains("kind")) fail(source, at + ".kind", "missing");
    if (!o["kind"].is_string())
        fail(source, at + ".kind", "expected a string, got " + shortDump(o["kind"]));
    const auto kind = editKindFromName(o["kind"].get<std::string>());
    if (!kind)
        fail(source, at + ".kind",
             "unknown intervention '" + o["kind"].get<std::string>() +
                 "' (known: " + editKindNames() + ")");
    e.kind = *kind;
    if (e.kind == EditKind::RemoveEdge) {
        // An edge edit names its edge; layer and head, when given, are still integers.
        if (!o.contains("edge")) fail(source, at + ".edge", "missing (remove_edge names an edge)");
        if (!o["edge"].is_string() || o["edge"].get<std::string>().empty())
            fail(source, at + ".edge",
                 "expected an edge name such as \"a0.h1->m2\", got " + shortDump(o["edge"]));
        e.edge = o["edge"].get<std::string>();
        if (o.contains("layer")) e.layer = integerField(o, "layer", source, at);
        if (o.contains("head")) e.head = integerField(o, "head", source, at);
    } else {
        if (o.contains("edge")) fail(source, at + ".edge", "only remove_edge edits name an edge");
        e.layer = integerField(o, "layer", source, at);
        e.head = integerField(o, "head", source, at);
    }
    if (e.kind == EditKind::PluginEdit) {
        readPluginFields(o, e, source, at);
    } else {
        for (const char* key : {"plugin", "params"})
            if (o.contains(key)) fail(source, at + "." + key, "only plugin_edit edits have it");
    }
    if (o.contains("param")) {
        if (!o["param"].is_number())
            fail(source, at + ".param", "expected a number, got " + shortDump(o["param"]));
        e.param = o["param"].get<double>();
        if (!std::isfinite(e.param)) fail(source, at + ".param", "must be finite");
    }
    if (o.contains("enabled")) {
        if (!o["enabled"].is_boolean())
            fail(source, at + ".enabled", "expected true or false, got " + shortDump(o["enabled"]));
        e.enabled = o["enabled"].get<bool>();
    }
    if (o.contains("description")) {
        if (!o["description"].is_string())
            fail(source, at + ".description",
                 "expected a string, got " + shortDump(o["description"]));
        e.description = o["description"].get<std::string>();
    }
    return e;
}

}  // namespace

const char* editKindName(EditKind kind) {
    for (const auto& k : kKinds)
        if (k.kind == kind) return k.name;
    return "?";
}

std::optional<EditKind> editKindFromName(const std::string& name) {
    for (const auto& k : kKinds)
        if (name == k.name) return k.kind;
    return std::nullopt;
}

std::string editKindNames() {
    std::string out;
    for (const auto& k : kKinds)
        out += (out.empty() ? "" : ", ") + std::string(k.name);
    return out;
}

std::string editsToJson(const EditList& edits) {
    json a = json::array();
    for (const Edit& e : edits) {
        json o{{"kind", editKindName(e.kind)},
               {"layer", e.layer},
               {"head", e.head},
               {"param", e.param},
               {"enabled", e.enabled},
               {"description", e.description}};
        if (e.kind == EditKind::RemoveEdge) o["edge"] = e.edge;
        if (e.kind == EditKind::PluginEdit) {
            o["plugin"] = e.plugin;
            o["params"] = e.params;  // text values, read back as they are
        }
        a.push_back(std::move(o));
    }
    return a.dump();
}

EditList editsFromJson(const std::string& text, const std::string& source) {
    json doc;
    try {
        doc = json::parse(text);
    } catch (const json::parse_error& e) {
        std::string what = e.what();
        const auto colon = what.rfind(": ");
        if (colon != std::string::npos) what = what.substr(colon + 2);
        throw InputError(source + ": invalid JSON at " +
                         lineAndColumn(text, e.byte ? e.byte - 1 : 0) + ": " + what);
    }
    std::string prefix;
    const json* list = &doc;
    if (doc.is_object()) {
        if (!doc.contains("interventions"))
            fail(source, "interventions",
                 "missing (an edit list is an array, or an object with an \"interventions\" "
                 "array)");
        list = &doc["interventions"];
        prefix = "interventions";
    }
    if (!list->is_array())
        fail(source, prefix.empty() ? "(top level)" : prefix,
             "expected an array of edits, got " + shortDump(*list));
    EditList out;
    for (size_t i = 0; i < list->size(); ++i)
        out.push_back(editFromJson((*list)[i], source, prefix + "[" + std::to_string(i) + "]"));
    return out;
}

EditList readEditsFile(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw InputError(path.string() + ": cannot open the edit list");
    std::ostringstream text;
    text << in.rdbuf();
    return editsFromJson(text.str(), path.string());
}

void checkEdits(const EditList& edits, int layers, int heads, const std::string& source) {
    for (size_t i = 0; i < edits.size(); ++i) {
        const Edit& e = edits[i];
        if (e.kind == EditKind::RemoveEdge) continue;  // checked against the circuit graph
        const std::string at = "[" + std::to_string(i) + "]";
        if (e.layer < 0 || e.layer >= layers)
            fail(source, at + ".layer",
                 std::to_string(e.layer) + " is out of range (the model has " +
                     std::to_string(layers) + " layers: 0.." + std::to_string(layers - 1) + ")");
        if (e.head < 0 || e.head >= heads)
            fail(source, at + ".head",
                 std::to_string(e.head) + " is out of range (the model has " +
                     std::to_string(heads) + " heads per layer: 0.." + std::to_string(heads - 1) +
                     ")");
        if (e.kind == EditKind::SinkWindow && e.param < 0)
            fail(source, at + ".param", "a window cannot be negative");
        if (e.kind == EditKind::ActCalibration && (e.param < 0 || e.param >= 1))
            fail(source, at + ".param", "the ACT threshold must lie in [0, 1)");
        if (e.kind == EditKind::PluginEdit) {
            bool unknown = false;
            try {
                analysis::checkAttentionEdit(e.plugin, e.params, &unknown);
            } catch (const InputError& error) {
                fail(source, at + (unknown ? ".plugin" : ".params"), error.what());
            }
        }
    }
}

std::vector<std::string> removedEdges(const EditList& edits) {
    std::vector<std::string> out;
    for (const Edit& e : edits)
        if (e.enabled && e.kind == EditKind::RemoveEdge) out.push_back(e.edge);
    return out;
}

}  // namespace attnscope::app
