// `attnscope-cli circuit-eval`: scores a circuit file (HDF5 or EAP-IG JSON) on a model and
// prompt pairs: the faithfulness of its kept edges, the faithfulness curves of its scores with
// CPR and CMD, and optionally ROC AUC against a reference circuit and the overlap with a
// second circuit. The window's circuit panel calls the same app/core functions.
#include <iomanip>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>

#include "attnscope/analysis/circuits/circuit_files.h"
#include "attnscope/analysis/circuits/circuit_store.h"
#include "attnscope/app/circuit_session.h"
#include "circuit_options.h"
#include "commands.h"
#include "common_options.h"
#include "session_options.h"
#include "terminal_progress.h"

namespace attnscope::app {
namespace {

namespace circuits = analysis::circuits;
using nlohmann::ordered_json;

ordered_json curveJson(const std::vector<circuits::FaithfulnessPoint>& curve) {
    ordered_json out = ordered_json::array();
    for (const auto& p : curve)
        out.push_back(
            {{"fraction", p.fraction}, {"edges", p.edges}, {"faithfulness", p.faithfulness}});
    return out;
}

ordered_json overlapPart(int64_t a, int64_t b, int64_t both, double jaccard, double containment) {
    return {{"a", a}, {"b", b}, {"both", both}, {"jaccard", jaccard}, {"containment", containment}};
}

std::string choice(const CliArgs& args, const std::string& name, const std::string& fromFile,
                   const std::set<std::string>& allowed, const std::string& fallback) {
    std::string value = args.value(name).value_or(allowed.count(fromFile) ? fromFile : fallback);
    if (!allowed.count(value)) {
        std::string list;
        for (const auto& a : allowed)
            list += (list.empty() ? "" : ", ") + a;
        throw UsageError(name + " '" + value + "': expected one of " + list);
    }
    return value;
}

void printText(std::ostream& out, const std::string& path, const circuits::Circuit& c,
               const CircuitScorecard* card, const ordered_json& extra) {
    out << "circuit " << path << " (" << (c.method.empty() ? "unknown method" : c.method) << "), "
        << c.graph.edgeCount() << " edges\n";
    if (card) {
        const CircuitEvaluation& e = card->circuit;
        out << std::fixed << std::setprecision(4) << "kept edges " << e.keptEdges << " of "
            << e.totalEdges << ": metric " << e.metric << " (full model " << e.fullModel
            << ", empty circuit " << e.emptyCircuit << "), faithfulness " << e.faithfulness << "\n";
        out << "edges %     edges   faithfulness (signed)   faithfulness (|score|)\n";
        for (size_t i = 0; i < card->curve.size(); ++i)
            out << std::setw(9) << card->curve[i].fraction * 100 << std::setw(10)
                << card->curve[i].edges << std::setw(24) << card->curve[i].faithfulness
                << std::setw(25) << card->absoluteCurve[i].faithfulness << "\n";
        out << "CPR " << card->cpr << "   CMD " << card->cmd << "\n";
    }
    if (extra.contains("roc_auc"))
        out << "ROC AUC against " << extra["roc_auc"]["reference"].get<std::string>() << ": edges "
            << extra["roc_auc"]["edges"].get<double>() << ", nodes "
            << (extra["roc_auc"]["nodes"].is_null()
                    ? std::string("undefined (the reference touches every node)")
                    : extra["roc_auc"]["nodes"].dump())
            << "\n";
    if (extra.contains("overlap")) {
        const auto& o = extra["overlap"];
        out << "overlap with " << o["with"].get<std::string>() << ": heads Jaccard "
            << o["heads"]["jaccard"].get<double>() << ", |A∩B|/|A| "
            << o["heads"]["containment"].get<double>() << "; edges Jaccard "
            << o["edges"]["jaccard"].get<double>() << ", |A∩B|/|A| "
            << o["edges"]["containment"].get<double>() << "\n";
    }
}

}  // namespace

int runCircuitEvalCommand(const std::vector<std::string>& argv, std::istream&, std::ostream& out,
                          std::ostream& err) {
    auto valued = modelOptionNames();
    valued.insert(circuitPairOptionNames().begin(), circuitPairOptionNames().end());
    valued.insert({"--circuit", "--metric", "--ablation", "--reference", "--compare"});
    const CliArgs args(argv, valued, {"--json", "--quiet", kSplitSpecialTokens});
    const std::string path = args.required("--circuit");
    const CircuitPairs pairs = circuitPairsFromArgs(args, false);

    // Every file is read and checked before the model loads: a bad file fails fast.
    const circuits::Circuit circuit = circuits::readCircuitFile(path);
    const std::string metric =
        choice(args, "--metric", circuit.metric, {"logit-diff", "kl"}, "logit-diff");
    const std::string ablation =
        choice(args, "--ablation", circuit.ablation, {"resample", "zero", "mean"}, "resample");
    ordered_json extra;
    if (args.has("--reference")) {
        const std::string referencePath = *args.value("--reference");
        const circuits::Circuit reference = circuits::readCircuitFile(referencePath);
        circuits::checkCircuitFitsModel(reference, circuit.graph.layers(), circuit.graph.heads(),
                                        circuit.graph.kvHeads(), circuit.modelFingerprint,
                                        referencePath);
        ordered_json roc{{"reference", referencePath}};
        try {
            roc["edges"] = circuits::rocAuc(circuit.scores, reference.inCircuit, true);
        } catch (const std::invalid_argument& e) {
            throw std::runtime_error(referencePath + ": " + e.what());
        }
        // Undefined (null) when the reference touches every node or none.
        try {
            roc["nodes"] = circuits::nodeRocAuc(circuit.graph, circuit.scores, reference.inCircuit);
        } catch (const std::invalid_argument&) {
            roc["nodes"] = nullptr;
        }
        extra["roc_auc"] = roc;
    }
    if (args.has("--compare")) {
        const std::string comparePath = *args.value("--compare");
        const circuits::Circuit other = circuits::readCircuitFile(comparePath);
        circuits::checkCircuitFitsModel(other, circuit.graph.layers(), circuit.graph.heads(),
                                        circuit.graph.kvHeads(), circuit.modelFingerprint,
                                        comparePath);
        const circuits::CircuitOverlap o = circuits::overlap(circuit, other);
        extra["overlap"] = {{"with", comparePath},
                            {"heads", overlapPart(o.headsA, o.headsB, o.headsBoth, o.headJaccard,
                                                  o.headContainment)},
                            {"edges", overlapPart(o.edgesA, o.edgesB, o.edgesBoth, o.edgeJaccard,
                                                  o.edgeContainment)}};
    }

    std::unique_ptr<Session> session = openSessionFromArgs(args);
    const ModelSummary& m = session->model();
    circuits::checkCircuitFitsModel(circuit, m.layers, m.heads, m.kvHeads, m.fingerprint, path);

    std::optional<CircuitScorecard> card;
    if (hasCircuitPairs(pairs)) {
        CircuitSession circuitSession(*session);
        TerminalProgress bar(err, !args.flag("--quiet") && !args.flag("--json"));
        circuitSession.prepare(pairs, metric, ablation, bar.progress().part(0, 0.3));
        card = circuitSession.scorecard(circuit, path, bar.progress().part(0.3, 1.0));
        bar.finish();
    }

    if (!args.flag("--json")) {
        printText(out, path, circuit, card ? &*card : nullptr, extra);
        return 0;
    }
    ordered_json j;
    j["circuit"] = path;
    j["method"] = circuit.method;
    j["metric"] = metric;
    j["ablation"] = ablation;
    j["edges_total"] = circuit.graph.edgeCount();
    if (card) {
        const CircuitEvaluation& e = card->circuit;
        j["edges_kept"] = e.keptEdges;
        j["circuit_metric"] = e.metric;
        j["full_model"] = e.fullModel;
        j["empty_circuit"] = e.emptyCircuit;
        j["faithfulness"] = e.faithfulness;
        j["curve"] = curveJson(card->curve);
        j["curve_absolute"] = curveJson(card->absoluteCurve);
        j["cpr"] = card->cpr;
        j["cmd"] = card->cmd;
    }
    for (auto& [key, value] : extra.items())
        j[key] = value;
    out << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return 0;
}

}  // namespace attnscope::app
