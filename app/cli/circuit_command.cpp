// `attnscope-cli circuit`: discovers a circuit over the edge graph (spec 6.6) with EAP, EAP-IG,
// ACDC or exact edge patching on prompt pairs, prints every edge's score and whether it is in the
// circuit, the faithfulness curve, CPR and CMD, and writes the circuit as HDF5 and Graphviz DOT.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <ostream>

#include "attnscope/analysis/circuits/circuit_files.h"
#include "attnscope/analysis/circuits/circuit_store.h"
#include "attnscope/analysis/circuits/edge_patching.h"
#include "attnscope/app/circuit_session.h"
#include "attnscope/capture/model_config.h"
#include "circuit_options.h"
#include "commands.h"
#include "common_options.h"
#include "session_options.h"
#include "terminal_progress.h"

namespace attnscope::app {
namespace {

namespace circuits = analysis::circuits;
using nlohmann::ordered_json;

double number(const CliArgs& args, const std::string& name, double fallback) {
    const auto text = args.value(name);
    if (!text) return fallback;
    size_t used = 0;
    double value = NAN;
    try {
        value = std::stod(*text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != text->size() || !std::isfinite(value))
        throw UsageError(name + " '" + *text + "' is not a finite number");
    return value;
}

std::string oneOf(const CliArgs& args, const std::string& name,
                  const std::set<std::string>& allowed, const std::string& fallback) {
    const std::string value = args.value(name).value_or(fallback);
    if (allowed.count(value)) return value;
    std::string list;
    for (const auto& a : allowed)
        list += (list.empty() ? "" : ", ") + a;
    throw UsageError(name + " '" + value + "': expected one of " + list);
}

CircuitRequest requestFromArgs(const CliArgs& args) {
    CircuitRequest r;
    r.pairs = circuitPairsFromArgs(args, true);
    r.method = oneOf(args, "--method", {"eap", "eap-ig", "acdc", "exact"}, "");
    r.metric = oneOf(args, "--metric", {"logit-diff", "kl"}, "logit-diff");
    r.ablation = oneOf(args, "--ablation", {"resample", "zero", "mean"}, "resample");
    if (args.has("--steps") && r.method != "eap-ig")
        throw UsageError("--steps applies to --method eap-ig only");
    r.steps = static_cast<int>(args.integer("--steps", 5, 1, circuits::kMaxIgSteps));
    if (args.has("--threshold") && r.method != "acdc")
        throw UsageError("--threshold applies to --method acdc only");
    r.threshold = number(args, "--threshold", r.threshold);
    if (r.threshold < 0)
        throw UsageError("--threshold " + std::to_string(r.threshold) + " is out of range (>= 0)");
    if (args.has("--top-edges") && args.has("--edge-fraction"))
        throw UsageError("give --top-edges or --edge-fraction, not both");
    if ((args.has("--top-edges") || args.has("--edge-fraction")) && r.method == "acdc")
        throw UsageError(
            "ACDC selects its own circuit: --top-edges and --edge-fraction apply to "
            "eap, eap-ig and exact");
    r.perPosition = args.flag("--per-position");
    if (r.perPosition && (r.method == "acdc" || r.method == "exact"))
        throw UsageError("--per-position applies to --method eap and eap-ig (" + r.method +
                         " removes whole edges)");
    r.topEdges = args.integer("--top-edges", 0, 1, INT64_MAX);
    r.edgeFraction = number(args, "--edge-fraction", 0.0);
    if (args.has("--edge-fraction") && !(r.edgeFraction > 0.0 && r.edgeFraction <= 1.0))
        throw UsageError("--edge-fraction " + *args.value("--edge-fraction") +
                         " is out of range (0 < F <= 1)");
    return r;
}

// NaN (an edge ACDC never scored) prints as null.
ordered_json finite(double v) {
    return std::isfinite(v) ? ordered_json(v) : ordered_json(nullptr);
}

ordered_json circuitJson(const circuits::Circuit& c) {
    ordered_json j;
    j["method"] = c.method;
    j["metric"] = c.metric;
    if (c.hasPositionScores()) {
        j["positions"] = c.positions;
        j["position_tokens"] = c.parameters.value("position_tokens", ordered_json::array());
    }
    ordered_json edges = ordered_json::array();
    for (int64_t e = 0; e < c.graph.edgeCount(); ++e) {
        ordered_json edge{{"name", c.graph.edgeName(e)},
                          {"score", finite(c.scores[static_cast<size_t>(e)])},
                          {"in_circuit", c.inCircuit[static_cast<size_t>(e)] != 0}};
        if (c.hasPositionScores()) {
            ordered_json atPositions = ordered_json::array();
            for (int64_t p = 0; p < c.positions; ++p)
                atPositions.push_back(finite(c.positionScore(e, p)));
            edge["position_scores"] = std::move(atPositions);
        }
        edges.push_back(std::move(edge));
    }
    j["edges"] = std::move(edges);
    ordered_json curve = ordered_json::array();
    for (const auto& p : c.curve)
        curve.push_back({{"fraction", p.fraction},
                         {"edges", p.edges},
                         {"faithfulness", finite(p.faithfulness)}});
    j["curve"] = std::move(curve);
    j["cpr"] = finite(c.cpr);
    j["cmd"] = finite(c.cmd);
    return j;
}

void printText(std::ostream& out, const circuits::Circuit& c) {
    int64_t kept = 0;
    for (uint8_t k : c.inCircuit)
        kept += k != 0;
    out << c.method << " circuit (" << c.metric << ", " << c.ablation << " ablation): " << kept
        << " of " << c.graph.edgeCount() << " edges\n";
    std::vector<int64_t> order;
    for (int64_t e = 0; e < c.graph.edgeCount(); ++e)
        if (c.inCircuit[static_cast<size_t>(e)]) order.push_back(e);
    std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
        return std::fabs(c.scores[size_t(a)]) > std::fabs(c.scores[size_t(b)]);
    });
    const size_t shown = std::min<size_t>(order.size(), 20);
    if (c.hasPositionScores())
        out << "  per-position scores at " << c.positions
            << " positions (--json); the position of largest |score| is shown\n";
    for (size_t i = 0; i < shown; ++i) {
        out << "  " << std::left << std::setw(28) << c.graph.edgeName(order[i]) << std::right
            << std::setw(12) << std::setprecision(5) << c.scores[size_t(order[i])];
        if (c.hasPositionScores()) {
            int64_t top = 0;
            for (int64_t p = 1; p < c.positions; ++p)
                if (std::fabs(c.positionScore(order[i], p)) >
                    std::fabs(c.positionScore(order[i], top)))
                    top = p;
            out << "  at position " << top << " (" << c.positionScore(order[i], top) << ")";
        }
        out << "\n";
    }
    if (shown < order.size()) out << "  ... " << order.size() - shown << " more (--json)\n";
    out << std::fixed << std::setprecision(4) << "edges %     edges   faithfulness\n";
    for (const auto& p : c.curve)
        out << std::setw(7) << p.fraction * 100 << std::setw(10) << p.edges << std::setw(15)
            << p.faithfulness << "\n";
    out << "CPR " << c.cpr << "   CMD " << c.cmd << "\n";
}

}  // namespace

int runCircuitCommand(const std::vector<std::string>& argv, std::istream&, std::ostream& out,
                      std::ostream& err) {
    auto valued = modelOptionNames();
    valued.insert(circuitPairOptionNames().begin(), circuitPairOptionNames().end());
    valued.insert({"--method", "--steps", "--threshold", "--metric", "--ablation", "--top-edges",
                   "--edge-fraction", "--out", "--dot"});
    const CliArgs args(argv, valued, {"--json", "--quiet", "--per-position", kSplitSpecialTokens});
    if (!args.has("--method")) throw UsageError("--method eap|eap-ig|acdc|exact is required");
    const CircuitRequest request = requestFromArgs(args);

    std::unique_ptr<Session> session = openSessionFromArgs(args);
    CircuitSession circuitSession(*session);
    TerminalProgress bar(err, !args.flag("--quiet") && !args.flag("--json"));
    const circuits::Circuit circuit = circuitSession.discover(request, bar.progress());
    bar.finish();

    if (const auto path = args.value("--out")) {
        const ModelSummary& m = session->model();
        const auto config = capture::loadModelConfig(args.required("--model"));
        circuits::writeCircuitFile(*path, circuit,
                                   {m.architecture, config.rawJson, m.dtype, m.fingerprint});
    }
    if (const auto path = args.value("--dot")) {
        std::ofstream dot(*path, std::ios::binary);
        if (!(dot << circuits::circuitToDot(circuit)))
            throw std::runtime_error(*path + ": cannot write the DOT file");
    }
    if (args.flag("--json"))
        out << circuitJson(circuit).dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
            << "\n";
    else
        printText(out, circuit);
    return 0;
}

}  // namespace attnscope::app
