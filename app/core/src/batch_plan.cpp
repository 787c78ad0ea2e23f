// An experiment's items: datasets read (files and generators), models checked to load.
#include <cstdio>
#include <fstream>
#include <sstream>

#include "attnscope/analysis/dataset.h"
#include "attnscope/app/batch.h"
#include "attnscope/app/demo/demo_model_writer.h"
#include "attnscope/app/demo/task_generator.h"
#include "attnscope/capture/load_error.h"

namespace attnscope::app {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Kind = ExperimentError::Kind;

std::string readText(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return {};
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string setting(const DatasetSpec& d, const std::string& key, const std::string& fallback) {
    const auto it = d.settings.find(key);
    return it == d.settings.end() ? fallback : it->second;
}

// The demo tasks' held-out prompts, as `train-demo` writes them into eval/<task>.jsonl.
std::vector<json> demoTaskItems(const DatasetSpec& d) {
    const std::string taskName = setting(d, "task", "");
    const auto task = demo::taskFromName(taskName);
    if (!task)
        throw ExperimentError(Kind::BadFile, "dataset " + d.name + ": task: unknown demo task \"" +
                                                 taskName +
                                                 "\" (known: mqar, needle, backcopy, "
                                                 "refusal)");
    const demo::DemoVocabulary vocabulary;
    const demo::TaskGenerator generator(vocabulary);
    const int64_t count = std::stoll(setting(d, "count", "10"));
    const uint64_t seed = std::stoull(setting(d, "seed", std::to_string(demo::kEvalSeed)));
    std::vector<json> out;
    for (const demo::Example& ex : demo::evaluationExamples(generator, *task, count, seed))
        out.push_back(json::parse(demo::evaluationRecord(ex, vocabulary).dump()));
    return out;
}

// One needle-in-a-haystack case; the retrieval metrics expand it over their length x depth grid
// (their parameters), the run-based analyses read its question.
std::vector<json> needleGridItems(const DatasetSpec& d) {
    std::string haystack = setting(d, "haystack", "");
    if (haystack.empty()) {
        const fs::path file = setting(d, "haystack_file", "");
        if (!fs::exists(file))
            throw ExperimentError(
                Kind::MissingInput,
                file.string() + ": haystack file of dataset " + d.name + " not found");
        haystack = readText(file);
    }
    const std::string needle = setting(d, "needle", "the secret of paris is apple river .");
    const std::string question = setting(d, "question", "the secret of paris is");
    const std::string realNeedle = setting(d, "real_needle", "apple river");
    return {json{{"prompt", question},
                 {"haystack", haystack},
                 {"needle", needle},
                 {"question", question},
                 {"real_needle", realNeedle}}};
}

std::vector<json> datasetItems(const DatasetSpec& d) {
    if (d.generator == "demo_task") return demoTaskItems(d);
    if (d.generator == "needle_grid") return needleGridItems(d);
    if (!d.prompts.empty()) {
        std::vector<json> out;
        for (const std::string& p : d.prompts)
            out.push_back(json{{"prompt", p}});
        return out;
    }
    if (!fs::exists(d.file))
        throw ExperimentError(Kind::MissingInput,
                              d.file.string() + ": dataset " + d.name + " not found");
    analysis::Dataset data;
    try {
        data = analysis::loadDataset(d.file);
    } catch (const capture::InputError& e) {
        throw ExperimentError(Kind::MissingInput, e.what());
    }
    std::vector<json> out;
    for (const analysis::DataItem& item : data.items) {
        json fields = item.fields.is_object() ? item.fields : json::object();
        if (!fields.contains("prompt") && !fields.contains("text")) fields["prompt"] = item.text;
        out.push_back(std::move(fields));
    }
    return out;
}

// The capture spec's hooks and layers against a loaded model: a pattern that selects nothing is
// a bad experiment, found before any item runs.
void checkCapture(const Experiment& x, const Session& session, size_t model) {
    try {
        (void)session.selectedHooks(x.capture.hooks, x.capture.layers);
    } catch (const capture::InputError& e) {
        throw ExperimentError(Kind::BadFile, x.capture.where + ": on models[" +
                                                 std::to_string(model) + "]: " + e.what());
    }
}

std::string textField(const json& fields, std::initializer_list<const char*> keys) {
    for (const char* k : keys)
        if (fields.contains(k) && fields[k].is_string()) return fields[k].get<std::string>();
    return {};
}

}  // namespace

BatchPlan planBatch(Experiment experiment, const capture::LoadOptions& load,
                    const capture::Progress& progress) {
    BatchPlan plan;
    plan.experiment = std::move(experiment);
    const Experiment& x = plan.experiment;
    for (size_t m = 0; m < x.models.size(); ++m) {
        const fs::path& dir = x.models[m];
        if (!fs::is_directory(dir))
            throw ExperimentError(Kind::MissingInput, x.path.string() + ": models[" +
                                                          std::to_string(m) + "]: '" +
                                                          dir.string() + "' is not a folder");
        try {
            const Session session(dir, progress.part(0.0, 1.0), load);
            plan.models.push_back({dir, session.model(), readText(dir / "config.json")});
            if (!x.capture.hooks.empty()) checkCapture(x, session, m);
        } catch (const capture::Cancelled&) {
            throw;
        } catch (const ExperimentError&) {
            throw;
        } catch (const std::exception& e) {
            throw ExperimentError(Kind::MissingInput,
                                  x.path.string() + ": models[" + std::to_string(m) + "]: '" +
                                      dir.string() + "' does not load: " + e.what());
        }
        if (plan.models.back().configJson.empty()) plan.models.back().configJson = "{}";
    }
    std::vector<std::vector<json>> entries;
    for (const DatasetSpec& d : x.datasets) {
        auto items = datasetItems(d);
        if (d.limit > 0 && items.size() > static_cast<size_t>(d.limit)) items.resize(d.limit);
        entries.push_back(std::move(items));
    }
    for (size_t m = 0; m < x.models.size(); ++m)
        for (size_t d = 0; d < entries.size(); ++d)
            for (size_t i = 0; i < entries[d].size(); ++i)
                for (size_t e = 0; e < x.edits.size(); ++e) {
                    BatchItem item;
                    item.index = static_cast<int>(plan.items.size());
                    char key[32];
                    std::snprintf(key, sizeof key, "item-%05d", item.index);
                    item.key = key;
                    item.model = static_cast<int>(m);
                    item.dataset = static_cast<int>(d);
                    item.entry = static_cast<int>(i);
                    item.edits = static_cast<int>(e);
                    const json& fields = entries[d][i];
                    item.input.prompt = textField(fields, {"prompt", "text", "input", "clean"});
                    item.input.corruptedPrompt =
                        textField(fields, {"corrupted_prompt", "corrupted"});
                    item.input.fieldsJson = fields.dump();
                    item.input.edits = x.edits[e].edits;
                    plan.items.push_back(std::move(item));
                }
    return plan;
}

}  // namespace attnscope::app
