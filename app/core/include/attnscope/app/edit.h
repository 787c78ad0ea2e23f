#pragma once
// The intervention vocabulary every front end shares: CLI flags, GUI edits, session files and
// edit-list files all hold these values, and all write the one JSON form below.
//
// JSON form: an array of objects
//   {"kind": "scale", "layer": 1, "head": 2, "param": 0.5, "enabled": true, "description": ""}
// where kind is one of editKindNames(); `param` is the scale factor (scale), the window
// (sink_window, 0 = default), the threshold (act_calibration, 0 = default) and is ignored by
// the other kinds; `enabled` defaults to true and `description` to "".
// A `remove_edge` edit removes one edge of the circuit graph instead of editing a head:
//   {"kind": "remove_edge", "edge": "a0.h3->a2.h1<q>", "enabled": true, "description": ""}
// (`edge` is the EAP-IG edge name; `layer` and `head` are optional and ignored). It acts on
// circuit evaluations (the circuit explorer's kept edges), not on a prompt run.
// A `plugin_edit` applies a plugin's attention edit (docs/plugins.md) to one head's pattern:
//   {"kind": "plugin_edit", "plugin": "temperature", "layer": 1, "head": 2,
//    "params": {"temperature": 3.0}, "enabled": true, "description": ""}
// (`plugin` is the edit's name, with or without "plugin:"; `params` maps the declared
// parameters to numbers, booleans or strings, and is optional).
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace attnscope::app {

enum class EditKind {
    ZeroAblation,
    MeanAblation,
    Scale,
    SinkWindow,
    ActCalibration,
    Patch,
    RemoveEdge,
    PluginEdit
};

/// One edit of one attention head (or, for RemoveEdge, of one circuit edge).
struct Edit {
    EditKind kind = EditKind::ZeroAblation;
    int layer = 0;
    int head = 0;
    double param = 0.0;
    bool enabled = true;
    std::string description;
    std::string edge = {};    ///< RemoveEdge: the edge's EAP-IG name; empty for the other kinds
    std::string plugin = {};  ///< PluginEdit: the plugin edit's name ("NAME" or "plugin:NAME")
    std::map<std::string, std::string> params = {};  ///< PluginEdit: its parameters, as text

    bool operator==(const Edit& o) const {
        return kind == o.kind && layer == o.layer && head == o.head && param == o.param &&
               enabled == o.enabled && description == o.description && edge == o.edge &&
               plugin == o.plugin && params == o.params;
    }
    bool operator!=(const Edit& o) const { return !(*this == o); }
};
using EditList = std::vector<Edit>;

/// "zero_ablation", "mean_ablation", "scale", "sink_window", "act_calibration", "patch",
/// "remove_edge", "plugin_edit".
const char* editKindName(EditKind kind);
std::optional<EditKind> editKindFromName(const std::string& name);
/// Every kind name, comma-separated (for messages).
std::string editKindNames();

/// Defaults of the kinds whose parameter 0 means "the default".
inline constexpr int kDefaultSinkWindow = 8;
inline constexpr int kSinkWindowSinkTokens = 4;
inline constexpr double kDefaultActThreshold = 0.1;
inline constexpr double kActBeta = 0.4;

/// The edit list as JSON text (an array in the form above).
std::string editsToJson(const EditList& edits);
/// Parses the JSON form: an array, or an object whose "interventions" member is one (a session
/// document). Throws capture::InputError "SOURCE: KEY: problem" (e.g.
/// "edits.json: interventions[1].layer: expected an integer, got "two"").
EditList editsFromJson(const std::string& text, const std::string& source);
/// Reads an edit-list file (editsFromJson with the file's path as the source).
EditList readEditsFile(const std::filesystem::path& path);
/// Throws capture::InputError "SOURCE: KEY: problem" for an edit naming a layer or head the
/// model does not have, or a parameter out of the kind's range. Edge edits are checked
/// against the circuit graph where they apply, not here. Plugin edits are checked against the
/// loaded plugins' declarations (analysis::checkAttentionEdit): an unknown name is reported
/// at KEY "[i].plugin", a bad parameter at "[i].params".
void checkEdits(const EditList& edits, int layers, int heads, const std::string& source);
/// The edge names of the enabled remove_edge edits, in list order.
std::vector<std::string> removedEdges(const EditList& edits);

}  // namespace attnscope::app
