#pragma once
// A batch experiment as declared in its file (YAML, or JSON, which is YAML): models x datasets x
// edit lists, and the analyses every item runs. The schema is docs/experiments.md. No Qt, no
// LibTorch.
#include <cstdint>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "attnscope/app/edit.h"

namespace attnscope::app {

/// Why an experiment cannot run; the CLI maps each kind to its own exit code.
class ExperimentError : public std::runtime_error {
public:
    enum class Kind {
        BadFile,      ///< syntax, unknown keys or names, wrong parameter types
        MissingInput  ///< a model folder or dataset file that is absent or does not load
    };
    ExperimentError(Kind kind, const std::string& message)
        : std::runtime_error(message), m_kind(kind) {}
    Kind kind() const { return m_kind; }

private:
    Kind m_kind;
};

/// One dataset: a JSONL/text file of prompts, or a built-in generator with its settings.
struct DatasetSpec {
    std::string name;
    std::filesystem::path file;        ///< empty for a generator
    std::string generator;             ///< "demo_task" or "needle_grid"; empty for a file
    std::vector<std::string> prompts;  ///< inline prompts (`prompts: [...]`) instead of either
    std::map<std::string, std::string> settings;  ///< generator settings, as written
    int limit = 0;                                ///< the first `limit` items; 0 = all
};

/// A named edit list in the session's JSON vocabulary (app::editsFromJson).
struct NamedEdits {
    std::string name;
    EditList edits;
};

/// One analysis with its parameters, validated against the kind's declared parameters.
struct AnalysisSpec {
    std::string kind;   ///< "metric" or an analysisKinds() name (experiment_analyses.h)
    std::string name;   ///< the registry metric of kind "metric"; the kind otherwise
    std::string label;  ///< unique in the experiment; the /results group name
    std::map<std::string, std::string> params;
};

/// What each item records besides its tables (`capture:`): the activations of chosen hooks in
/// one capture file per item. Empty `hooks`: nothing.
struct ItemCaptureSpec {
    std::vector<std::string> hooks;  ///< glob patterns, e.g. "blocks.*.attn.hook_pattern"
    std::vector<int64_t> layers;     ///< empty: every layer
    bool float16 = false;
    std::string where;  ///< "FILE:LINE: capture", for errors found once the models are loaded
};

struct Experiment {
    std::filesystem::path path;  ///< the file it was read from
    std::string content;         ///< the file's bytes, recorded with the results
    std::string sha256;          ///< of `content`
    std::string name;
    std::vector<std::filesystem::path> models;  ///< resolved against the file's folder
    std::vector<DatasetSpec> datasets;
    std::vector<NamedEdits> edits;  ///< at least one (an empty list when none are given)
    std::vector<AnalysisSpec> analyses;
    ItemCaptureSpec capture;
    bool splitSpecialTokens = false;
};

/// Parses and validates experiment text. Paths are resolved against `baseDir`. Throws
/// ExperimentError(BadFile) "SOURCE:LINE: KEY: problem". Does not look at the models or the
/// datasets (see BatchPlan).
Experiment parseExperiment(const std::string& text, const std::string& source,
                           const std::filesystem::path& baseDir);
/// Reads and parses an experiment file; an unreadable file is ExperimentError(MissingInput).
Experiment readExperimentFile(const std::filesystem::path& path);

/// What the GUI's Analysis tab holds, saved as an experiment: one model, the typed prompts or a
/// dataset file, the current edit list, one registry metric with its parameters.
struct ExperimentSetup {
    std::string name = "analysis";
    std::filesystem::path model;
    std::vector<std::string> prompts;  ///< used when `dataset` is empty
    std::filesystem::path dataset;
    EditList edits;
    std::string metric;
    std::map<std::string, std::string> params;
    bool splitSpecialTokens = false;
};
/// The setup as experiment text (JSON, which is YAML) that parseExperiment reads back; the
/// unedited list `none` is added next to a non-empty edit list, so each prompt is compared.
std::string experimentText(const ExperimentSetup& setup);

/// The top-level sections in which two experiment texts differ (e.g. {"edits", "analyses"}),
/// compared as parsed YAML so that comments and layout do not count.
std::vector<std::string> changedSections(const std::string& before, const std::string& after);

}  // namespace attnscope::app
