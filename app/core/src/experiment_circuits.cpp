// The circuit methods as experiment analyses (issue 15): EAP, EAP-IG and ACDC discover a circuit
// on the item's prompt pair, activation patching sweeps one site. Each item is one pair: the
// entry's prompt (or "clean") and "corrupted" prompts with its "answer" and "wrong" tokens, as in
// the circuit commands' pair files. They run through app::CircuitSession, as `attnscope-cli
// circuit` and `patch` do, so a batch table equals those commands' output on that pair.
#include <nlohmann/json.hpp>

#include "attnscope/app/circuit_session.h"
#include "attnscope/capture/load_error.h"
#include "experiment_kinds.h"

namespace attnscope::app {
namespace {

using analysis::ParamSpec;
using analysis::ParamType;
using nlohmann::json;

std::string param(const AnalysisSpec& spec, const AnalysisKind& kind, const std::string& name) {
    if (const auto it = spec.params.find(name); it != spec.params.end()) return it->second;
    for (const ParamSpec& p : kind.params)
        if (p.name == name) return p.defaultValue;
    return {};
}

// The item as one prompt pair; what is missing is named with the fields that would give it.
CircuitPairs itemPair(const ItemInput& item, const std::string& kind) {
    if (!item.edits.empty())
        throw capture::InputError(kind +
                                  ": circuit methods run on the unedited model; this item's edit "
                                  "list is not empty (give circuit analyses the list `none: []`)");
    const json fields = json::parse(item.fieldsJson, nullptr, false);
    const auto text = [&](const char* key) {
        return fields.is_object() && fields.contains(key) && fields[key].is_string()
                   ? fields[key].get<std::string>()
                   : std::string();
    };
    CircuitPairs pair;
    pair.clean = item.prompt;
    pair.corrupted = item.corruptedPrompt;
    pair.answer = text("answer");
    pair.wrong = text("wrong");
    if (pair.clean.empty() || pair.corrupted.empty() || pair.answer.empty() || pair.wrong.empty())
        throw capture::InputError(kind +
                                  ": the item is not a prompt pair: it needs \"clean\" (or "
                                  "\"prompt\"), \"corrupted\", \"answer\" and \"wrong\"");
    return pair;
}

ResultTable runDiscovery(const std::string& method, const AnalysisKind& kind, Session& session,
                         const ItemInput& item, const AnalysisSpec& spec,
                         const capture::Progress& progress) {
    CircuitRequest request;
    request.pairs = itemPair(item, spec.kind);
    request.method = method;
    request.metric = param(spec, kind, "metric");
    request.ablation = param(spec, kind, "ablation");
    if (method == "eap-ig") request.steps = std::stoi(param(spec, kind, "steps"));
    if (method == "acdc") {
        request.threshold = std::stod(param(spec, kind, "threshold"));
    } else {
        request.topEdges = std::stoll(param(spec, kind, "top_edges"));
        request.edgeFraction = std::stod(param(spec, kind, "edge_fraction"));
    }
    request.withCurve = param(spec, kind, "curve") == "true";
    CircuitSession circuits(session);
    const analysis::circuits::Circuit c = circuits.discover(request, progress);

    ResultTable t;
    t.analysis = spec.label;
    t.shape = "edges";
    t.rows = static_cast<int>(c.scores.size());
    t.cols = 2;
    t.columns = {"score", "in_circuit"};
    int64_t kept = 0;
    json edges = json::array();
    for (size_t e = 0; e < c.scores.size(); ++e) {
        t.values.push_back(c.scores[e]);
        t.values.push_back(c.inCircuit[e] ? 1.0f : 0.0f);
        kept += c.inCircuit[e] != 0;
        edges.push_back(c.graph.edgeName(static_cast<int64_t>(e)));
    }
    json p{{"analysis", spec.kind},
           {"method", c.method},
           {"metric", c.metric},
           {"ablation", c.ablation},
           {"params", givenParams(spec)},
           {"kept_edges", kept},
           {"total_edges", c.graph.edgeCount()},
           {"edges", edges}};
    if (request.withCurve) {
        p["cpr"] = c.cpr;
        p["cmd"] = c.cmd;
    }
    t.paramsJson = p.dump();
    return t;
}

ResultTable runPatching(const AnalysisKind& kind, Session& session, const ItemInput& item,
                        const AnalysisSpec& spec, const capture::Progress& progress) {
    CircuitSession circuits(session);
    const PatchSweep sweep =
        circuits.patchSweep(itemPair(item, spec.kind), param(spec, kind, "site"),
                            param(spec, kind, "direction"), progress);
    ResultTable t;
    t.analysis = spec.label;
    t.rows = static_cast<int>(sweep.values.size());
    t.cols = sweep.values.empty() ? 0 : static_cast<int>(sweep.values.front().size());
    // Per-head sites make a [layer, head] table like a metric's; per-layer sites one column.
    t.shape = t.cols == 1 && (sweep.site == "resid_pre" || sweep.site == "attn_out" ||
                              sweep.site == "mlp_out")
                  ? "per_layer"
                  : "head_scores";
    if (t.shape == "per_layer") t.columns = {"logit_diff"};
    for (const auto& row : sweep.values)
        for (double v : row)
            t.values.push_back(static_cast<float>(v));
    t.paramsJson = json{{"analysis", spec.kind},        {"site", sweep.site},
                        {"direction", sweep.direction}, {"clean", sweep.clean},
                        {"corrupted", sweep.corrupted}, {"params", givenParams(spec)}}
                       .dump();
    return t;
}

std::vector<ParamSpec> discoveryParams(const std::string& method) {
    std::vector<ParamSpec> params = {
        {"metric",
         ParamType::Text,
         "logit-diff",
         "what patching measures",
         false,
         {"logit-diff", "kl"}},
        {"ablation",
         ParamType::Text,
         "resample",
         "what a removed edge carries",
         false,
         {"resample", "zero", "mean"}},
        {"curve", ParamType::Boolean, "false",
         "also compute the faithfulness curve, CPR and CMD (recorded with the table)"},
    };
    if (method == "eap-ig")
        params.push_back({"steps",
                          ParamType::Integer,
                          "5",
                          "integrated-gradient steps m",
                          false,
                          {},
                          1.0,
                          1000.0});
    if (method == "acdc") {
        params.push_back({"threshold",
                          ParamType::Real,
                          "0.01",
                          "ACDC's pruning threshold tau",
                          false,
                          {},
                          1e-12,
                          std::nullopt});
    } else {
        params.push_back({"top_edges",
                          ParamType::Integer,
                          "0",
                          "keep this many top edges (0: use edge_fraction)",
                          false,
                          {},
                          0.0,
                          std::nullopt});
        params.push_back({"edge_fraction",
                          ParamType::Real,
                          "0",
                          "keep this fraction of all edges (0: 5 %)",
                          false,
                          {},
                          0.0,
                          1.0});
    }
    return params;
}

AnalysisKind discoveryKind(const std::string& name, const std::string& method,
                           const std::string& description) {
    AnalysisKind kind{name, description, discoveryParams(method), nullptr};
    kind.run = [method, name](Session& session, const ItemInput& item, const AnalysisSpec& spec,
                              const std::vector<ResultTable>&, const capture::Progress& progress) {
        return runDiscovery(method, *findAnalysisKind(name), session, item, spec, progress);
    };
    return kind;
}

}  // namespace

std::vector<AnalysisKind> circuitAnalysisKinds() {
    AnalysisKind patching{
        "activation_patching",
        "logit difference of the item's pair with one component's activation patched from the "
        "other run, for every layer and component of a site",
        {{"site",
          ParamType::Text,
          "z",
          "where to patch",
          false,
          {"z", "q", "k", "v", "pattern", "resid_pre", "attn_out", "mlp_out"}},
         {"direction",
          ParamType::Text,
          "noising",
          "noising: corrupted into clean; denoising: clean into corrupted",
          false,
          {"noising", "denoising"}}},
        nullptr};
    patching.run = [](Session& session, const ItemInput& item, const AnalysisSpec& spec,
                      const std::vector<ResultTable>&, const capture::Progress& progress) {
        return runPatching(*findAnalysisKind("activation_patching"), session, item, spec, progress);
    };
    return {
        discoveryKind("eap", "eap", "edge attribution patching of the item's prompt pair"),
        discoveryKind("eap_ig", "eap-ig",
                      "EAP with integrated gradients over the item's prompt pair"),
        discoveryKind("acdc", "acdc", "automatic circuit discovery on the item's prompt pair"),
        std::move(patching),
        discoveryKind("exact_edge_patching", "exact",
                      "every edge removed alone from the item's prompt pair, one forward each")};
}

}  // namespace attnscope::app
