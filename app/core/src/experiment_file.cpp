// Experiment files: YAML through yaml-cpp (JSON is YAML). Every error names the file, the line
// and the key.
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <set>
#include <sstream>

#include "attnscope/app/experiment.h"
#include "attnscope/app/experiment_analyses.h"
#include "attnscope/capture/load_error.h"
#include "attnscope/capture/sha256.h"
#include "yaml_json.h"

namespace attnscope::app {
namespace {

namespace fs = std::filesystem;
using Kind = ExperimentError::Kind;

// What a node's errors start with: "FILE:LINE: KEY".
struct Where {
    const std::string& source;
    std::string key;

    Where operator[](const std::string& child) const {
        return {source, key.empty() ? child : key + "." + child};
    }
    Where operator[](size_t index) const {
        return {source, key + "[" + std::to_string(index) + "]"};
    }
    [[noreturn]] void fail(const YAML::Node& node, const std::string& problem) const {
        const int line = node.IsDefined() ? node.Mark().line + 1 : 0;
        throw ExperimentError(Kind::BadFile, source + (line > 0 ? ":" + std::to_string(line) : "") +
                                                 ": " + key + ": " + problem);
    }
};

std::string scalar(const YAML::Node& node, const Where& where) {
    if (!node.IsScalar()) where.fail(node, "expected a single value");
    return node.Scalar();
}

void checkKeys(const YAML::Node& map, const Where& where, const std::set<std::string>& known) {
    if (!map.IsMap()) where.fail(map, "expected a mapping of keys to values");
    for (const auto& entry : map) {
        const std::string key = entry.first.as<std::string>();
        if (known.count(key)) continue;
        std::string names;
        for (const auto& k : known)
            names += (names.empty() ? "" : ", ") + k;
        where[key].fail(entry.first, "unknown key (known: " + names + ")");
    }
}

// A single value or a list of them.
std::vector<YAML::Node> oneOrMany(const YAML::Node& node) {
    std::vector<YAML::Node> out;
    if (node.IsSequence())
        for (const auto& n : node)
            out.push_back(n);
    else if (node.IsDefined() && !node.IsNull())
        out.push_back(node);
    return out;
}

int nonNegative(const YAML::Node& node, const Where& where) {
    const std::string text = scalar(node, where);
    if (!isIntegerText(text) || std::stoll(text) < 0 || std::stoll(text) > 1000000000)
        where.fail(node, "expected a non-negative integer, got \"" + text + "\"");
    return static_cast<int>(std::stoll(text));
}

// A parameter value checked against its declared type.
std::string paramValue(const YAML::Node& node, const analysis::ParamSpec& spec,
                       const Where& where) {
    const std::string text = scalar(node, where);
    const auto wrong = [&](const char* expected) {
        where.fail(node, std::string("expected ") + expected + ", got \"" + text + "\"");
    };
    switch (spec.type) {
        case analysis::ParamType::Integer:
            if (!isIntegerText(text)) wrong("an integer");
            break;
        case analysis::ParamType::Real:
            if (!isRealText(text)) wrong("a number");
            break;
        case analysis::ParamType::Boolean:
            if (text != "true" && text != "false") wrong("true or false");
            break;
        case analysis::ParamType::Text:
            break;
    }
    return text;
}

std::map<std::string, std::string> params(const YAML::Node& node,
                                          const std::vector<analysis::ParamSpec>& specs,
                                          const Where& where) {
    std::map<std::string, std::string> out;
    if (!node.IsDefined() || node.IsNull()) return out;
    std::set<std::string> known;
    for (const auto& s : specs)
        known.insert(s.name);
    if (known.empty() && node.IsMap() && node.size() > 0)
        where.fail(node, "this analysis takes no parameters");
    checkKeys(node, where, known);
    for (const auto& entry : node) {
        const std::string key = entry.first.as<std::string>();
        for (const auto& s : specs) {
            if (s.name != key) continue;
            out[key] = paramValue(entry.second, s, where[key]);
            // Choices and bounds as the registry checks them (one rule for the CLI and batch).
            try {
                (void)analysis::MetricParams({s}, {{key, out[key]}});
            } catch (const capture::InputError& e) {
                where[key].fail(entry.second, e.what());
            }
        }
    }
    return out;
}

std::string kindNames() {
    std::string names;
    for (const auto& k : analysisKinds())
        names += (names.empty() ? "" : ", ") + k.name;
    return names;
}

AnalysisSpec analysisSpec(const YAML::Node& node, const Where& where) {
    checkKeys(node, where, {"metric", "analysis", "params", "label"});
    AnalysisSpec a;
    if (node["metric"].IsDefined() == node["analysis"].IsDefined())
        where.fail(node,
                   "give exactly one of 'metric: NAME' (a registry metric) or "
                   "'analysis: KIND' (" +
                       kindNames() + ")");
    std::vector<analysis::ParamSpec> specs;
    if (node["metric"].IsDefined()) {
        a.kind = "metric";
        a.name = scalar(node["metric"], where["metric"]);
        try {
            specs = analysis::MetricRegistry::global().find(a.name)->info().params;
        } catch (const capture::InputError& e) {
            where["metric"].fail(node["metric"], e.what());
        }
    } else {
        a.kind = scalar(node["analysis"], where["analysis"]);
        a.name = a.kind;
        const AnalysisKind* kind = findAnalysisKind(a.kind);
        if (!kind) {
            where["analysis"].fail(node["analysis"], "unknown analysis \"" + a.kind +
                                                         "\" (known: " + kindNames() + ")");
        }
        specs = kind->params;
    }
    a.params = params(node["params"], specs, where["params"]);
    a.label = node["label"].IsDefined() ? scalar(node["label"], where["label"]) : a.name;
    return a;
}

DatasetSpec datasetSpec(const YAML::Node& node, const Where& where, const fs::path& baseDir) {
    DatasetSpec d;
    if (node.IsScalar()) {
        d.file = baseDir / scalar(node, where);
        d.name = d.file.stem().string();
        return d;
    }
    if (!node.IsMap()) where.fail(node, "expected a file name or a mapping");
    if (node["file"].IsDefined() + node["generator"].IsDefined() + node["prompts"].IsDefined() != 1)
        where.fail(node, "give exactly one of 'file', 'generator' or 'prompts'");
    if (node["prompts"].IsDefined()) {
        checkKeys(node, where, {"prompts", "name", "limit"});
        const YAML::Node prompts = node["prompts"];
        if (!prompts.IsSequence() || prompts.size() == 0)
            where["prompts"].fail(prompts, "expected a list of prompts");
        for (size_t i = 0; i < prompts.size(); ++i)
            d.prompts.push_back(scalar(prompts[i], where["prompts"][i]));
        d.name = "prompts";
    } else if (node["file"].IsDefined()) {
        checkKeys(node, where, {"file", "name", "limit"});
        d.file = baseDir / scalar(node["file"], where["file"]);
        d.name = d.file.stem().string();
    } else {
        d.generator = scalar(node["generator"], where["generator"]);
        std::set<std::string> keys{"generator", "name", "limit"};
        if (d.generator == "demo_task")
            keys.insert({"task", "count", "seed"});
        else if (d.generator == "needle_grid")
            keys.insert({"needle", "question", "real_needle", "haystack", "haystack_file"});
        else
            where["generator"].fail(node["generator"], "unknown generator \"" + d.generator +
                                                           "\" (known: demo_task, needle_grid)");
        checkKeys(node, where, keys);
        for (const auto& entry : node) {
            const std::string key = entry.first.as<std::string>();
            if (key == "generator" || key == "name" || key == "limit") continue;
            d.settings[key] = scalar(entry.second, where[key]);
            if (key == "haystack_file") d.settings[key] = (baseDir / d.settings[key]).string();
        }
        if (d.generator == "demo_task") {
            for (const char* k : {"count", "seed"})
                if (node[k].IsDefined()) nonNegative(node[k], where[k]);
            if (!node["task"].IsDefined()) where.fail(node, "demo_task needs 'task'");
        }
        if (d.generator == "needle_grid" && !d.settings.count("haystack") &&
            !d.settings.count("haystack_file"))
            where.fail(node, "needle_grid needs 'haystack' or 'haystack_file'");
        d.name = d.generator;
    }
    if (node["name"].IsDefined()) d.name = scalar(node["name"], where["name"]);
    if (node["limit"].IsDefined()) d.limit = nonNegative(node["limit"], where["limit"]);
    return d;
}

std::vector<NamedEdits> editLists(const YAML::Node& node, const Where& where,
                                  const fs::path& baseDir) {
    std::vector<NamedEdits> out;
    if (!node.IsDefined() || node.IsNull()) return {{"none", {}}};
    if (!node.IsMap()) where.fail(node, "expected named edit lists (NAME: [edits] or NAME: FILE)");
    for (const auto& entry : node) {
        NamedEdits e;
        e.name = entry.first.as<std::string>();
        const Where at = where[e.name];
        try {
            if (entry.second.IsScalar())
                e.edits = readEditsFile(baseDir / entry.second.Scalar());
            else
                e.edits = editsFromJson(yamlToJson(entry.second).dump(), at.source + ": " + at.key);
        } catch (const capture::InputError& error) {
            at.fail(entry.second, error.what());
        }
        out.push_back(std::move(e));
    }
    return out;
}

// Names that become HDF5 group names and CSV fields.
void checkName(const std::string& name, const YAML::Node& node, const Where& where) {
    if (name.empty() || name.find_first_of("/,\"\n") != std::string::npos || name[0] == '.')
        where.fail(node, "\"" + name + "\" cannot be a name (no '/', ',', quotes, leading '.')");
}

// `capture: {hooks: [...], layers: [...], storage: float32|float16}`; the hooks are checked
// against each model once it is loaded (planBatch).
ItemCaptureSpec captureSpec(const YAML::Node& node, const Where& where) {
    checkKeys(node, where, {"hooks", "layers", "storage"});
    ItemCaptureSpec c;
    c.where = where.source + ":" + std::to_string(node.Mark().line + 1) + ": " + where.key;
    // A const node's missing key is an invalid node that throws on anything but IsDefined().
    const auto given = [&](const char* key) {
        return node[key].IsDefined() ? node[key] : YAML::Node();
    };
    size_t i = 0;
    for (const auto& h : oneOrMany(given("hooks")))
        c.hooks.push_back(
            scalar(h, node["hooks"].IsSequence() ? where["hooks"][i++] : where["hooks"]));
    if (c.hooks.empty())
        where.fail(node, "give the hooks to capture, e.g. hooks: [blocks.*.attn.hook_pattern]");
    i = 0;
    for (const auto& l : oneOrMany(given("layers"))) {
        const Where at = node["layers"].IsSequence() ? where["layers"][i++] : where["layers"];
        c.layers.push_back(nonNegative(l, at));
    }
    if (node["storage"].IsDefined()) {
        const std::string s = scalar(node["storage"], where["storage"]);
        if (s != "float32" && s != "float16")
            where["storage"].fail(node["storage"],
                                  "expected float32 or float16, got \"" + s + "\"");
        c.float16 = s == "float16";
    }
    return c;
}

}  // namespace

Experiment parseExperiment(const std::string& text, const std::string& source,
                           const fs::path& baseDir) {
    YAML::Node root;
    try {
        root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
        throw ExperimentError(Kind::BadFile, source + ":" + std::to_string(e.mark.line + 1) +
                                                 ": syntax error: " + e.msg);
    }
    const Where top{source, ""};
    if (!root.IsMap()) top.fail(root, "an experiment is a mapping (models, datasets, analyses)");
    checkKeys(root, top,
              {"name", "model", "models", "dataset", "datasets", "edits", "analyses", "capture",
               "split_special_tokens"});
    Experiment x;
    x.content = text;
    capture::Sha256 sha;
    sha.update(text);
    x.sha256 = sha.hexDigest();
    x.name = root["name"].IsDefined() ? scalar(root["name"], top["name"]) : "experiment";

    for (const char* key : {"model", "models"})
        for (const auto& m : oneOrMany(root[key]))
            x.models.push_back(baseDir / scalar(m, top[key]));
    if (x.models.empty()) top.fail(root, "no model: give 'models: [FOLDER, ...]'");

    for (const char* key : {"dataset", "datasets"}) {
        size_t i = 0;
        for (const auto& d : oneOrMany(root[key])) {
            const Where at = root[key].IsSequence() ? top[key][i] : top[key];
            x.datasets.push_back(datasetSpec(d, at, baseDir));
            checkName(x.datasets.back().name, d, at);
            ++i;
        }
    }
    if (x.datasets.empty()) top.fail(root, "no dataset: give 'datasets: [FILE.jsonl, ...]'");

    x.edits = editLists(root["edits"], top["edits"], baseDir);
    for (const auto& e : x.edits)
        checkName(e.name, root["edits"], top["edits"]);

    const YAML::Node analyses = root["analyses"];
    if (!analyses.IsSequence() || analyses.size() == 0)
        top["analyses"].fail(analyses.IsDefined() ? analyses : root,
                             "expected a list of analyses (- metric: NAME ...)");
    std::set<std::string> labels;
    for (size_t i = 0; i < analyses.size(); ++i) {
        AnalysisSpec a = analysisSpec(analyses[i], top["analyses"][i]);
        checkName(a.label, analyses[i], top["analyses"][i]);
        if (!labels.insert(a.label).second)
            top["analyses"][i].fail(
                analyses[i], "the label \"" + a.label + "\" is used twice; give 'label: ...'");
        x.analyses.push_back(std::move(a));
    }
    // The ablation curve orders heads by an earlier analysis of the same item.
    for (size_t i = 0; i < x.analyses.size(); ++i) {
        const auto& a = x.analyses[i];
        if (a.kind != "ablation_curve") continue;
        const auto it = a.params.find("score");
        const std::string score = it == a.params.end() ? "" : it->second;
        bool found = false;
        for (size_t j = 0; j < i; ++j)
            found |=
                x.analyses[j].kind == "metric" && (score.empty() || x.analyses[j].label == score);
        if (!found)
            top["analyses"][i].fail(
                analyses[i], "ablation_curve needs an earlier metric analysis" +
                                 (score.empty() ? std::string() : " labelled \"" + score + "\""));
    }
    if (root["capture"].IsDefined()) x.capture = captureSpec(root["capture"], top["capture"]);
    if (root["split_special_tokens"].IsDefined()) {
        const std::string v = scalar(root["split_special_tokens"], top["split_special_tokens"]);
        if (v != "true" && v != "false")
            top["split_special_tokens"].fail(root["split_special_tokens"],
                                             "expected true or false, got \"" + v + "\"");
        x.splitSpecialTokens = v == "true";
    }
    return x;
}

std::string experimentText(const ExperimentSetup& setup) {
    nlohmann::json dataset = nlohmann::json::object();
    if (!setup.dataset.empty())
        dataset["file"] = setup.dataset.string();
    else
        dataset["prompts"] = setup.prompts;
    nlohmann::json edits = nlohmann::json::object();
    edits["none"] = nlohmann::json::array();
    if (!setup.edits.empty()) edits["edited"] = nlohmann::json::parse(editsToJson(setup.edits));
    nlohmann::json params = nlohmann::json::object();
    for (const auto& [k, v] : setup.params)
        params[k] = v;
    nlohmann::json analysis{{"metric", setup.metric}};
    if (!params.empty()) analysis["params"] = params;
    const nlohmann::json root{
        {"name", setup.name},     {"models", {setup.model.string()}},
        {"datasets", {dataset}},  {"edits", edits},
        {"analyses", {analysis}}, {"split_special_tokens", setup.splitSpecialTokens}};
    return root.dump(2) + "\n";
}

Experiment readExperimentFile(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw ExperimentError(Kind::MissingInput,
                              path.string() + ": cannot read the experiment file");
    std::ostringstream text;
    text << in.rdbuf();
    Experiment x = parseExperiment(text.str(), path.string(), path.parent_path());
    x.path = path;
    return x;
}

std::vector<std::string> changedSections(const std::string& before, const std::string& after) {
    const auto parse = [](const std::string& t) {
        try {
            return yamlToJson(YAML::Load(t));
        } catch (const YAML::Exception&) {
            return nlohmann::json(t);
        }
    };
    const nlohmann::json a = parse(before), b = parse(after);
    if (!a.is_object() || !b.is_object()) return {"the whole file"};
    std::set<std::string> keys;
    for (const auto& [k, v] : a.items())
        keys.insert(k);
    for (const auto& [k, v] : b.items())
        keys.insert(k);
    std::vector<std::string> out;
    for (const auto& k : keys)
        if (!a.contains(k) || !b.contains(k) || a[k] != b[k]) out.push_back(k);
    return out;
}

}  // namespace attnscope::app
