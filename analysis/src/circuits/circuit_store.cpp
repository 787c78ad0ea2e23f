// Circuits in HDF5 files (the store's edge table) and circuit files by extension or content.
#include "attnscope/analysis/circuits/circuit_store.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "attnscope/analysis/circuits/circuit_files.h"
#include "attnscope/store/capture_reader.h"
#include "attnscope/store/capture_writer.h"

namespace attnscope::analysis::circuits {
namespace {

using nlohmann::json;

char portChar(Port port) {
    switch (port) {
        case Port::Q:
            return 'q';
        case Port::K:
            return 'k';
        case Port::V:
            return 'v';
        case Port::Residual:
            return '-';
    }
    return '-';
}

// The receiver index of (receiving node, port); -1 when the node has no such input.
int receiverOf(const EdgeGraph& g, int node, char port) {
    const GraphNode& n = g.nodes()[node];
    const int groupSize = g.heads() / g.kvHeads();
    switch (n.kind) {
        case NodeKind::Head:
            if (port == 'q') return g.qReceiver(n.layer, n.head);
            // k and v inputs belong to the KV head; the table names its group's first head.
            if (n.head % groupSize != 0) return -1;
            if (port == 'k') return g.kReceiver(n.layer, n.head / groupSize);
            if (port == 'v') return g.vReceiver(n.layer, n.head / groupSize);
            return -1;
        case NodeKind::Mlp:
            return port == '-' ? g.mlpReceiver(n.layer) : -1;
        case NodeKind::Logits:
            return port == '-' ? g.logitsReceiver() : -1;
        case NodeKind::Input:
            return -1;
    }
    return -1;
}

bool isHdf5(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    char signature[8] = {};
    in.read(signature, sizeof signature);
    return in.gcount() == 8 && std::string(signature, 8) == "\x89HDF\r\n\x1a\n";
}

}  // namespace

store::CircuitRecord circuitToRecord(const Circuit& c) {
    const EdgeGraph& g = c.graph;
    const int64_t edgeCount = g.edgeCount();
    if (c.scores.size() != static_cast<size_t>(edgeCount) ||
        c.inCircuit.size() != static_cast<size_t>(edgeCount))
        throw CircuitFormatError("circuit: " + std::to_string(c.scores.size()) + " scores and " +
                                 std::to_string(c.inCircuit.size()) + " kept flags for " +
                                 std::to_string(edgeCount) + " edges");
    if (c.positions < 0 || c.positionScores.size() != static_cast<size_t>(edgeCount * c.positions))
        throw CircuitFormatError("circuit: " + std::to_string(c.positionScores.size()) +
                                 " per-position scores for " + std::to_string(edgeCount) +
                                 " edges at " + std::to_string(c.positions) + " positions");
    store::CircuitRecord r;
    r.layers = g.layers();
    r.heads = g.heads();
    r.kvHeads = g.kvHeads();
    r.method = c.method;
    r.metric = c.metric;
    r.ablation = c.ablation;
    r.parametersJson = c.parameters.dump();
    r.fingerprint = c.modelFingerprint;
    for (size_t n = 0; n < g.nodes().size(); ++n)
        r.nodeNames.push_back(g.nodeName(static_cast<int>(n)));
    r.sender.reserve(edgeCount);
    r.receiver.reserve(edgeCount);
    r.port.reserve(edgeCount);
    for (int rec = 0; rec < static_cast<int>(g.receivers().size()); ++rec) {
        const ReceiverInput& in = g.receivers()[rec];
        for (int s = 0; s < g.senderCount(rec); ++s) {
            r.sender.push_back(s);  // senders of a receiver are a prefix of the node order
            r.receiver.push_back(in.node);
            r.port.push_back(portChar(in.port));
        }
    }
    r.score = c.scores;
    r.kept = c.inCircuit;
    r.positions = c.positions;  // rows are in edge order, as positionScores
    r.positionScore = c.positionScores;
    for (const FaithfulnessPoint& p : c.curve) {
        r.curveFraction.push_back(p.fraction);
        r.curveEdges.push_back(static_cast<double>(p.edges));
        r.curveFaithfulness.push_back(p.faithfulness);
    }
    r.cpr = c.cpr;
    r.cmd = c.cmd;
    return r;
}

Circuit circuitFromRecord(const store::CircuitRecord& r, const std::string& source) {
    Circuit c;
    try {
        c.graph = EdgeGraph(static_cast<int>(r.layers), static_cast<int>(r.heads),
                            static_cast<int>(r.kvHeads));
    } catch (const std::invalid_argument& e) {
        throw CircuitFormatError(source + ": " + e.what());
    }
    const EdgeGraph& g = c.graph;
    const auto edgeCount = static_cast<size_t>(g.edgeCount());
    c.scores.assign(edgeCount, NAN);
    c.inCircuit.assign(edgeCount, 0);
    for (size_t n = 0; n < r.nodeNames.size(); ++n)
        if (n >= g.nodes().size() || r.nodeNames[n] != g.nodeName(static_cast<int>(n)))
            throw CircuitFormatError(
                source + ": nodes[" + std::to_string(n) + "] is '" + r.nodeNames[n] +
                "', but node " + std::to_string(n) + " of the graph is " +
                (n < g.nodes().size() ? g.nodeName(static_cast<int>(n)) : std::string("absent")));
    const auto positions = static_cast<size_t>(std::max<int64_t>(r.positions, 0));
    if (r.positionScore.size() != r.sender.size() * positions)
        throw CircuitFormatError(source + ": position_score has " +
                                 std::to_string(r.positionScore.size()) + " values for " +
                                 std::to_string(r.sender.size()) + " edges at " +
                                 std::to_string(positions) + " positions");
    c.positions = static_cast<int64_t>(positions);
    c.positionScores.assign(edgeCount * positions, NAN);
    std::vector<uint8_t> seen(edgeCount, 0);
    const auto nodes = static_cast<int32_t>(g.nodes().size());
    for (size_t i = 0; i < r.sender.size(); ++i) {
        const std::string row = source + ": edge row " + std::to_string(i) + ": ";
        if (r.sender[i] < 0 || r.sender[i] >= nodes || r.receiver[i] < 0 || r.receiver[i] >= nodes)
            throw CircuitFormatError(row + "node index out of range");
        const int receiver = receiverOf(g, r.receiver[i], r.port[i]);
        const int64_t e = receiver < 0 ? -1 : g.edgeIndex(r.sender[i], receiver);
        if (e < 0)
            throw CircuitFormatError(row + "the graph has no edge " + g.nodeName(r.sender[i]) +
                                     " -> " + g.nodeName(r.receiver[i]) + " <" +
                                     std::string(1, r.port[i]) + ">");
        if (seen[e]) throw CircuitFormatError(row + "edge " + g.edgeName(e) + " is listed twice");
        seen[e] = 1;
        c.scores[e] = r.score[i];
        c.inCircuit[e] = r.kept[i];
        std::copy_n(r.positionScore.begin() + static_cast<std::ptrdiff_t>(i * positions), positions,
                    c.positionScores.begin() + static_cast<std::ptrdiff_t>(e * positions));
    }
    c.method = r.method;
    c.metric = r.metric;
    c.ablation = r.ablation;
    c.parameters = json::parse(r.parametersJson, nullptr, false);
    if (!c.parameters.is_object())
        throw CircuitFormatError(source + ": parameters: expected a JSON object");
    c.modelFingerprint = r.fingerprint;
    for (size_t i = 0; i < r.curveFraction.size(); ++i) {
        const double edges = r.curveEdges[i];
        if (!(edges >= 0) || edges > static_cast<double>(edgeCount))
            throw CircuitFormatError(source + ": curve point " + std::to_string(i) +
                                     " has an impossible edge count");
        c.curve.push_back(
            {r.curveFraction[i], static_cast<int64_t>(edges), r.curveFaithfulness[i]});
    }
    c.cpr = r.cpr;
    c.cmd = r.cmd;
    return c;
}

void writeCircuitFile(const std::filesystem::path& path, const Circuit& circuit,
                      const store::ModelInfo& model) {
    const std::string extension = path.extension().string();
    if (extension == ".json" || extension == ".dot") {
        const std::string text =
            extension == ".json" ? circuitToJson(circuit) : circuitToDot(circuit);
        // A text file gets the store's temporary-then-rename too: written beside the target
        // under a name of this process, then renamed over it.
        const std::filesystem::path temp =
            path.parent_path() /
            ("." + path.filename().string() + ".tmp-" + std::to_string(::getpid()));
        {
            std::ofstream out(temp, std::ios::binary | std::ios::trunc);
            out << text;
            out.flush();
            if (!out) throw CircuitFormatError(path.string() + ": cannot write the file");
        }
        std::error_code error;
        std::filesystem::rename(temp, path, error);
        if (error) {
            std::filesystem::remove(temp, error);
            throw CircuitFormatError(path.string() + ": cannot write the file");
        }
        return;
    }
    store::ModelInfo info = model;
    if (info.fingerprint.empty()) info.fingerprint = circuit.modelFingerprint;
    if (info.configJson.empty())
        info.configJson = json{{"n_layers", circuit.graph.layers()},
                               {"n_heads", circuit.graph.heads()},
                               {"n_kv_heads", circuit.graph.kvHeads()}}
                              .dump();
    auto writer = store::CaptureWriter::create(path, {}, info);
    writer.writeCircuit("circuit", circuitToRecord(circuit));
    writer.commit();
}

Circuit readCircuitFile(const std::filesystem::path& path) {
    std::error_code error;
    if (!std::filesystem::is_regular_file(path, error))
        throw CircuitFormatError(path.string() + ": no such file");
    if (isHdf5(path)) {
        store::CaptureReader reader(path);
        const auto names = reader.circuitNames();
        if (names.empty())
            throw CircuitFormatError(path.string() +
                                     ": the file holds no circuit (no /results/circuits group)");
        return circuitFromRecord(reader.readCircuit(names.front()),
                                 path.string() + ": /results/circuits/" + names.front());
    }
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return circuitFromJson(text.str(), path.string());
}

}  // namespace attnscope::analysis::circuits
