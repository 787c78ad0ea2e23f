// Session files: a capture file (runs 0 = edited, 1 = baseline, /results) whose root carries
// the session document as the JSON string attribute `session`.
#include <nlohmann/json.hpp>

#include "attnscope/analysis/circuits/circuit_files.h"
#include "attnscope/analysis/circuits/circuit_store.h"
#include "attnscope/capture/load_error.h"
#include "attnscope/store/capture_reader.h"
#include "attnscope/store/capture_writer.h"
#include "session_state.h"

namespace attnscope::app {
namespace {

using nlohmann::json;

constexpr const char* kSessionAttribute = "session";
constexpr const char* kSessionFormat = "attnscope-session";
constexpr const char* kPatternSpec = R"({"hooks":["blocks.*.attn.hook_pattern"]})";

store::RunInfo runInfo(const RunResult& run, const std::string& editsJson) {
    store::RunInfo info;
    info.prompt = run.request.prompt;
    for (const TokenInfo& t : run.tokens) {
        info.inputIds.push_back(t.id);
        info.tokens.push_back(t.text);
        info.offsets.push_back({t.begin, t.end});
    }
    info.captureSpecJson = kPatternSpec;
    info.interventionsJson = editsJson;
    return info;
}

void writePatterns(store::CaptureWriter& writer, const RunResult& run,
                   const LayerPatterns& patterns) {
    for (int l = 0; l < static_cast<int>(patterns.size()); ++l)
        writer.writeHook("blocks." + std::to_string(l) + ".attn.hook_pattern",
                         {patterns[l].data(), {run.heads, run.length, run.length}});
}

std::string text(const json& o, const char* key, const std::string& source) {
    if (!o.contains(key)) return {};
    if (!o[key].is_string())
        throw capture::InputError(source + ": " + key + ": expected a string, got " +
                                  o[key].dump());
    return o[key].get<std::string>();
}

int integer(const json& o, const char* key, const std::string& source) {
    if (!o.contains(key)) return 0;
    if (!o[key].is_number_integer())
        throw capture::InputError(source + ": " + key + ": expected an integer, got " +
                                  o[key].dump());
    return o[key].get<int>();
}

}  // namespace

std::string sessionDocumentToJson(const SessionDocument& d) {
    json metrics = json::array();
    for (const HeadScores& r : d.results)
        metrics.push_back(r.metric);
    const json root{{"format", kSessionFormat},
                    {"version", 1},
                    {"model", d.modelPath},
                    {"prompt", d.prompt},
                    {"corrupted_prompt", d.corruptedPrompt},
                    {"interventions", json::parse(editsToJson(d.edits))},
                    {"results", metrics},
                    {"atlas_score", d.atlasScore},
                    {"selected_layer", d.selectedLayer},
                    {"selected_head", d.selectedHead}};
    return root.dump();
}

SessionDocument sessionDocumentFromJson(const std::string& textJson, const std::string& source) {
    const json root = json::parse(textJson, nullptr, false);
    if (root.is_discarded()) throw capture::InputError(source + ": the session is not valid JSON");
    if (!root.is_object() || !root.contains("format") || root["format"] != kSessionFormat)
        throw capture::InputError(source + ": not an attnscope-session document");
    SessionDocument d;
    d.modelPath = text(root, "model", source);
    d.prompt = text(root, "prompt", source);
    d.corruptedPrompt = text(root, "corrupted_prompt", source);
    if (root.contains("interventions"))
        d.edits = editsFromJson(json{{"interventions", root["interventions"]}}.dump(), source);
    d.atlasScore = text(root, "atlas_score", source);
    d.selectedLayer = integer(root, "selected_layer", source);
    d.selectedHead = integer(root, "selected_head", source);
    return d;
}

void Session::save(const std::filesystem::path& path, const SessionDocument& document,
                   const RunResult* run) const {
    auto writer = store::CaptureWriter::create(path, {}, m_impl->info);
    if (run) {
        writer.beginRun(runInfo(*run, editsToJson(run->request.edits)));
        writePatterns(writer, *run, *run->patterns);
        writer.beginRun(runInfo(*run, "[]"));
        writePatterns(writer, *run, *run->baselinePatterns);
    }
    for (const HeadScores& r : document.results) {
        store::ScoreTable t{r.layers, r.heads, {r.values.begin(), r.values.end()}};
        json params = json::parse(r.paramsJson, nullptr, false);
        if (!params.is_object()) params = json::object();
        params["description"] = r.description;
        writer.writeScores(r.metric, "session", t, params.dump());
    }
    for (size_t i = 0; i < document.circuits.size(); ++i)
        writer.writeCircuit(std::to_string(i),
                            analysis::circuits::circuitToRecord(document.circuits[i]));
    writer.setRootText(kSessionAttribute, sessionDocumentToJson(document));
    writer.commit();
}

SessionFileContents readSessionFile(const std::filesystem::path& path) {
    store::CaptureReader reader(path);
    const auto json = reader.rootText(kSessionAttribute);
    if (!json)
        throw capture::InputError(path.string() + ": not an AttnScope session (no '" +
                                  kSessionAttribute + "' attribute)");
    SessionFileContents out;
    out.document = sessionDocumentFromJson(*json, path.string());
    for (const std::string& metric : reader.resultMetrics()) {
        const auto keys = reader.resultKeys(metric);
        if (keys.empty()) continue;
        const store::ScoreTable t = reader.readScores(metric, keys.front());
        HeadScores s;
        s.metric = metric;
        s.layers = static_cast<int>(t.layers);
        s.heads = static_cast<int>(t.heads);
        s.values.assign(t.values.begin(), t.values.end());
        s.paramsJson = reader.scoreParams(metric, keys.front());
        const auto params = json::parse(s.paramsJson, nullptr, false);
        if (params.is_object() && params.contains("description") &&
            params["description"].is_string())
            s.description = params["description"].get<std::string>();
        out.document.results.push_back(std::move(s));
    }
    // Circuits in the order they were saved ("0", "1", ...), each checked against the graph
    // it declares; the model check happens where the session's model is opened.
    for (const std::string& name : reader.circuitNames())
        out.document.circuits.push_back(analysis::circuits::circuitFromRecord(
            reader.readCircuit(name), path.string() + ": /results/circuits/" + name));
    if (reader.runCount() >= 2) {
        const store::RunInfo info = reader.run(0);
        for (size_t i = 0; i < info.inputIds.size(); ++i)
            out.tokens.push_back(
                {info.inputIds[i], info.tokens[i], info.offsets[i][0], info.offsets[i][1]});
        auto edited = std::make_shared<LayerPatterns>();
        auto baseline = std::make_shared<LayerPatterns>();
        for (int l = 0; reader.hasPattern(0, l) && reader.hasPattern(1, l); ++l) {
            const auto shape = reader.patternShape(0, l);
            out.heads = static_cast<int>(shape[0]);
            edited->push_back(
                reader.readHook(0, "blocks." + std::to_string(l) + ".attn.hook_pattern"));
            baseline->push_back(
                reader.readHook(1, "blocks." + std::to_string(l) + ".attn.hook_pattern"));
        }
        out.layers = static_cast<int>(edited->size());
        out.patterns = std::move(edited);
        out.baselinePatterns = std::move(baseline);
    }
    return out;
}

}  // namespace attnscope::app
