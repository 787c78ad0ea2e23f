#pragma once
// Plain value types shared by the capture writer and reader (no HDF5, no torch).
#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace attnscope::store {

/// How float activations are stored on disk. Float16 is IEEE binary16 (h5py reads float16).
enum class StorageType { Float32, Float16 };

/// Options for the datasets a writer creates.
struct WriterOptions {
    StorageType storage = StorageType::Float32;
    bool compress = false;     ///< shuffle + deflate on every hook dataset
    int compressionLevel = 4;  ///< deflate level 1..9, used when compress is true
};

/// A row-major float32 array in host memory. The writer does not keep the pointer.
struct ArrayView {
    const float* data = nullptr;
    std::vector<int64_t> shape;
};

/// Identity of the model a capture was taken from (the `/model` group).
struct ModelInfo {
    std::string architecture;  ///< e.g. "GPT2LMHeadModel"
    std::string configJson;    ///< the model's config.json (must be valid JSON)
    std::string dtype;         ///< runtime dtype, e.g. "float32"
    std::string fingerprint;   ///< caller-computed fingerprint of the weights
};

/// Per-run metadata: the prompt, its tokens and the spec that produced the capture.
struct RunInfo {
    std::string prompt;
    std::vector<int64_t> inputIds;                ///< [pos]
    std::vector<std::string> tokens;              ///< [pos] UTF-8 token strings
    std::vector<std::array<int64_t, 2>> offsets;  ///< [pos] character span [begin, end)
    std::string captureSpecJson = "{}";           ///< must be valid JSON
    std::string interventionsJson = "[]";         ///< must be valid JSON
    int64_t generationStep = -1;  ///< decoding step the capture was taken at; -1 = prefill
};

/// A [layer, head] score table (the `/results` group).
struct ScoreTable {
    int64_t layers = 0;
    int64_t heads = 0;
    std::vector<float> values;  ///< row-major [layer, head]
};

/// A circuit's edge table (`/results/circuits/<name>`): one row per edge, plus how the
/// circuit was found and evaluated. Node indices count in the edge graph's order (input, then
/// per layer its heads and its MLP, then logits); `port` is 'q', 'k', 'v' or '-' (an MLP or
/// the logits); a k/v row's receiver is the first query head of its KV-head group.
struct CircuitRecord {
    int64_t layers = 0;
    int64_t heads = 0;
    int64_t kvHeads = 0;
    std::string method, metric, ablation;
    std::string parametersJson = "{}";  ///< must be valid JSON
    std::string fingerprint;
    std::vector<std::string> nodeNames;  ///< [node] `input`, `a0.h1`, `m0`, `logits` (optional)
    std::vector<int32_t> sender;         ///< [edge] node index
    std::vector<int32_t> receiver;       ///< [edge] node index
    std::vector<char> port;              ///< [edge] 'q', 'k', 'v' or '-'
    std::vector<float> score;            ///< [edge] NaN when not scored
    std::vector<uint8_t> kept;           ///< [edge] 1 when in the circuit
    /// Optional per-position scores: [edge row][position] row-major, `positions` per row (0:
    /// none). Written as the 2-D dataset `position_score` [edges, positions].
    int64_t positions = 0;
    std::vector<float> positionScore;
    std::vector<double> curveFraction, curveEdges, curveFaithfulness;  ///< [point]
    double cpr = std::numeric_limits<double>::quiet_NaN();
    double cmd = std::numeric_limits<double>::quiet_NaN();
};

}  // namespace attnscope::store
