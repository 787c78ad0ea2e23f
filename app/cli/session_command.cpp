// `attnscope-cli session show|export|save`: what a session file (saved by the window or the CLI)
// holds, as text, JSON and CSV; and saving one from the command line.
#include <fstream>
#include <nlohmann/json.hpp>
#include <ostream>

#include "attnscope/analysis/circuits/circuit_files.h"
#include "attnscope/analysis/circuits/circuit_store.h"
#include "attnscope/analysis/result_export.h"
#include "attnscope/app/session.h"
#include "cli_args.h"
#include "commands.h"
#include "common_options.h"
#include "score_params.h"
#include "session_options.h"
#include "terminal_progress.h"

namespace attnscope::app {
namespace {

using nlohmann::ordered_json;

// A session's score table as the analysis library's result, so that it is written by the one
// CSV/JSON writer of results.
analysis::MetricResult asMetricResult(const HeadScores& s) {
    analysis::MetricResult r;
    r.scores = analysis::HeadTable(s.layers, s.heads, s.values);
    const auto info = nlohmann::json::parse(s.paramsJson, nullptr, false);
    if (info.is_object()) {
        if (info.contains("params")) r.params = info["params"];
        if (info.contains("dataset") && info["dataset"].is_string())
            r.datasetDescription = info["dataset"].get<std::string>();
    }
    return r;
}

ordered_json documentJson(const SessionFileContents& c) {
    const SessionDocument& d = c.document;
    ordered_json j;
    j["model"] = d.modelPath;
    j["prompt"] = d.prompt;
    j["corrupted_prompt"] = d.corruptedPrompt;
    j["interventions"] = nlohmann::json::parse(editsToJson(d.edits));
    j["atlas_score"] = d.atlasScore;
    j["selected_layer"] = d.selectedLayer;
    j["selected_head"] = d.selectedHead;
    ordered_json tokens = ordered_json::array();
    for (const TokenInfo& t : c.tokens)
        tokens.push_back({{"id", t.id}, {"text", t.text}, {"begin", t.begin}, {"end", t.end}});
    j["run"] = {{"tokens", tokens}, {"layers", c.layers}, {"heads", c.heads}};
    ordered_json results = ordered_json::array();
    for (const HeadScores& s : d.results) {
        ordered_json r = analysis::resultToJson(s.metric, asMetricResult(s));
        r["description"] = s.description;
        results.push_back(r);
    }
    j["results"] = results;
    ordered_json circuits = ordered_json::array();
    for (const analysis::circuits::Circuit& circuit : d.circuits) {
        int64_t kept = 0;
        for (uint8_t k : circuit.inCircuit)
            kept += k;
        circuits.push_back({{"method", circuit.method},
                            {"metric", circuit.metric},
                            {"ablation", circuit.ablation},
                            {"edges", circuit.graph.edgeCount()},
                            {"kept", kept},
                            {"cpr", circuit.cpr},
                            {"cmd", circuit.cmd}});
    }
    j["circuits"] = circuits;
    return j;
}

void printShow(std::ostream& out, const std::string& path, const SessionFileContents& c) {
    const SessionDocument& d = c.document;
    out << "session: " << path << "\nmodel: " << d.modelPath << "\nprompt: " << d.prompt << "\n";
    if (!d.corruptedPrompt.empty()) out << "corrupted prompt: " << d.corruptedPrompt << "\n";
    out << "edits: " << d.edits.size() << "\n";
    for (const Edit& e : d.edits)
        out << "  " << editKindName(e.kind)
            << (e.kind == EditKind::RemoveEdge
                    ? " " + e.edge
                    : " L" + std::to_string(e.layer) + " H" + std::to_string(e.head))
            << (e.kind == EditKind::Scale || e.param != 0 ? " param " + std::to_string(e.param)
                                                          : "")
            << (e.kind == EditKind::PluginEdit ? " " + e.plugin : "")
            << (e.enabled ? "" : " (disabled)") << "\n";
    if (c.patterns)
        out << "runs: edited and baseline, " << c.tokens.size() << " tokens, " << c.layers
            << " layers x " << c.heads << " heads\n";
    else
        out << "runs: none\n";
    out << "results: " << d.results.size() << "\n";
    for (const HeadScores& s : d.results)
        out << "  " << s.metric << " [" << s.layers << " x " << s.heads << "] " << s.description
            << "\n";
    const ordered_json circuits = documentJson(c)["circuits"];
    out << "circuits: " << circuits.size() << "\n";
    for (const auto& circuit : circuits)
        out << "  " << circuit["method"].get<std::string>() << ", "
            << circuit["kept"].get<int64_t>() << " of " << circuit["edges"].get<int64_t>()
            << " edges kept, CPR " << circuit["cpr"].dump() << ", CMD " << circuit["cmd"].dump()
            << "\n";
}

// [layer][head][query][key] nested arrays of one run's maps.
ordered_json patternsJson(const LayerPatterns& patterns, int heads, int length) {
    ordered_json layers = ordered_json::array();
    for (const auto& layer : patterns) {
        ordered_json hs = ordered_json::array();
        for (int h = 0; h < heads; ++h) {
            ordered_json rows = ordered_json::array();
            for (int q = 0; q < length; ++q) {
                const float* row = layer.data() + (static_cast<size_t>(h) * length + q) * length;
                rows.push_back(std::vector<float>(row, row + length));
            }
            hs.push_back(rows);
        }
        layers.push_back(hs);
    }
    return layers;
}

void writeText(const std::filesystem::path& path, const std::string& text) {
    std::ofstream f(path, std::ios::binary);
    if (!f || !(f << text)) throw std::runtime_error(path.string() + ": cannot write");
}

// `session save FILE`: runs the prompt under the edits (and a metric, if asked) and saves the
// session the window would save for the same state.
int saveSession(const std::string& path, const std::vector<std::string>& rest, std::ostream& out,
                std::ostream& err) {
    auto valued = editedRunOptionNames();
    valued.insert({"--metric", "--param", "--data", "--circuit"});
    const CliArgs args(rest, valued, {"--quiet", kSplitSpecialTokens});
    // Circuit files are read (and refused when malformed) before the model loads.
    std::vector<analysis::circuits::Circuit> circuits;
    for (const std::string& file : args.all("--circuit"))
        circuits.push_back(analysis::circuits::readCircuitFile(file));
    auto [session, request] = openEditedRun(args);
    const ModelSummary& m = session->model();
    for (size_t i = 0; i < circuits.size(); ++i)
        analysis::circuits::checkCircuitFitsModel(circuits[i], m.layers, m.heads, m.kvHeads,
                                                  m.fingerprint, args.all("--circuit")[i]);
    const auto run = session->run(request);
    SessionDocument doc;
    doc.modelPath = std::filesystem::absolute(args.required("--model")).string();
    doc.prompt = request.prompt;
    doc.corruptedPrompt = request.corruptedPrompt;
    doc.edits = request.edits;
    doc.circuits = std::move(circuits);
    if (auto metric = args.value("--metric")) {
        ScoreRequest score;
        score.metric = *metric;
        score.params = parseScoreParams(args.all("--param"));
        score.datasetPath = args.value("--data").value_or("");
        if (score.datasetPath.empty()) score.prompts = {request.prompt};
        TerminalProgress bar(err, !args.flag("--quiet"));
        doc.results.push_back(session->score(score, bar.progress()));
        bar.finish();
        doc.atlasScore = doc.results.back().metric;
    }
    session->save(path, doc, run.get());
    out << path << "\n";
    return 0;
}

}  // namespace

int runSessionCommand(const std::vector<std::string>& argv, std::istream&, std::ostream& out,
                      std::ostream& err) {
    if (argv.empty() || (argv[0] != "show" && argv[0] != "export" && argv[0] != "save"))
        throw UsageError("expected 'session show|export|save FILE ...'");
    const std::string action = argv[0];
    std::vector<std::string> rest(argv.begin() + 1, argv.end());
    if (rest.empty() || rest[0].rfind("--", 0) == 0)
        throw UsageError("session " + action + " needs the session file");
    const std::string path = rest[0];
    rest.erase(rest.begin());
    if (action == "save") return saveSession(path, rest, out, err);
    const CliArgs args(rest, {"--out"}, {"--json"});
    const SessionFileContents contents = readSessionFile(path);
    const ordered_json doc = documentJson(contents);
    if (action == "show") {
        if (args.flag("--json"))
            out << doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
        else
            printShow(out, path, contents);
        return 0;
    }
    const auto dir = args.value("--out");
    if (!dir) throw UsageError("session export needs --out DIR");
    std::filesystem::create_directories(*dir);
    const std::filesystem::path outDir(*dir);
    writeText(outDir / "session.json",
              doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
    std::vector<std::string> written{"session.json"};
    for (const HeadScores& s : contents.document.results) {
        const std::string name = "result-" + s.metric + ".csv";
        writeText(outDir / name, analysis::resultToCsv(asMetricResult(s)));
        written.push_back(name);
    }
    for (size_t i = 0; i < contents.document.circuits.size(); ++i) {
        const std::string name = "circuit-" + std::to_string(i) + ".json";
        writeText(outDir / name, analysis::circuits::circuitToJson(contents.document.circuits[i]));
        written.push_back(name);
    }
    if (contents.patterns) {
        ordered_json runs;
        runs["tokens"] = doc["run"]["tokens"];
        const int length = static_cast<int>(contents.tokens.size());
        runs["edited"] = patternsJson(*contents.patterns, contents.heads, length);
        runs["baseline"] = patternsJson(*contents.baselinePatterns, contents.heads, length);
        writeText(outDir / "runs.json", runs.dump() + "\n");
        written.push_back("runs.json");
    }
    if (args.flag("--json")) {
        out << ordered_json{{"out", *dir}, {"files", written}}.dump(2) << "\n";
    } else {
        for (const auto& name : written)
            out << (outDir / name).string() << "\n";
    }
    return 0;
}

}  // namespace attnscope::app
