#pragma once
// The pipeline every front end shares, with plain values in and out (no Qt, no LibTorch in
// this header): open a model, run a prompt under an edit list next to its unedited baseline,
// read the logit lens, compute ablation curves, run registry metrics, save and reopen
// sessions. The CLI calls it on its main thread; the GUI's controller on its worker thread.
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "attnscope/analysis/circuits/circuit.h"
#include "attnscope/app/edit.h"
#include "attnscope/capture/model_loader.h"
#include "attnscope/capture/progress.h"

namespace attnscope::app {

/// What the model panel and `info` show about an opened model.
struct ModelSummary {
    std::string path;
    std::string architecture;
    int layers = 0;
    int heads = 0;
    int kvHeads = 0;
    int dModel = 0;
    int vocabSize = 0;
    int64_t parameters = 0;
    std::string dtype;
    std::string fingerprint;
    bool hasTokenizer = false;
};

/// One prompt token: id, display string and the character span [begin, end) it covers
/// (-1 when unknown).
struct TokenInfo {
    int64_t id = 0;
    std::string text;
    int64_t begin = -1;
    int64_t end = -1;
};

/// A per-head table [layer, head] (row-major); NaN marks heads that were not scored.
/// `paramsJson` records how it was computed (metric parameters, dataset).
struct HeadScores {
    std::string metric;
    std::string description;
    int layers = 0;
    int heads = 0;
    std::vector<double> values;
    std::string paramsJson = "{}";

    double at(int layer, int head) const {
        return values[static_cast<size_t>(layer) * heads + head];
    }
    bool valid() const {
        return layers > 0 && heads > 0 && values.size() == static_cast<size_t>(layers) * heads;
    }
};

/// Every layer's attention maps: [layer] -> [head, query, key] row-major, shared between
/// results (an edited run shares its baseline's maps with the previous edited run).
using LayerPatterns = std::vector<std::vector<float>>;
using SharedPatterns = std::shared_ptr<const LayerPatterns>;

/// One next-token candidate of the edited run with its baseline probability.
struct Prediction {
    int64_t id = 0;
    std::string token;
    double prob = 0.0;
    double baselineProb = 0.0;
};

/// Per-layer probability of one token read off hook_resid_post at the last position.
struct LogitLens {
    int64_t tokenId = 0;
    std::string token;
    std::vector<double> prob;          ///< edited run, [layer]
    std::vector<double> baselineProb;  ///< unedited run, [layer]
};

/// What a run computes: the prompt (text, or "1,2,3" ids for a model without a tokenizer)
/// under `edits`, next to its unedited baseline. `corruptedPrompt` (may be empty) is the
/// source of patch edits and of the comparison maps.
struct RunRequest {
    std::string prompt;
    std::string corruptedPrompt;
    EditList edits;
    int topK = 10;
    /// The prompts are "1,2,3" token ids even though the model has a tokenizer.
    bool promptsAreIds = false;
    /// Special-token strings in the prompts as plain text (see setSplitSpecialTokens).
    bool splitSpecialTokens = false;
};

/// Everything one run produced; immutable once built.
struct RunResult {
    RunRequest request;
    std::vector<TokenInfo> tokens;
    std::vector<TokenInfo> corruptedTokens;  ///< empty without a corrupted prompt
    int layers = 0;
    int heads = 0;
    int length = 0;
    /// The edited run's top-k, then the baseline's top-k tokens that left it (so a token the
    /// edit suppressed stays listed with its new probability).
    std::vector<Prediction> predictions;
    SharedPatterns patterns;           ///< edited run
    SharedPatterns baselinePatterns;   ///< unedited run
    SharedPatterns corruptedPatterns;  ///< unedited corrupted prompt; null without one
    /// Live sink score (analysis' sink mass): mean over queries q >= 1 of A[q, 0].
    HeadScores sinkScores;
    HeadScores baselineSinkScores;
    std::vector<double> sinkMassPerLayer;  ///< mean of sinkScores over each layer's heads
    std::vector<double> baselineSinkMassPerLayer;
    LogitLens lens;  ///< follows the edited run's top prediction in both runs
};

/// An ablation curve: heads zero-ablated cumulatively in descending `scores` order (NaN
/// skipped, ties in (layer, head) order), measuring the probability of the baseline's top
/// token; `randomOrders` seeded random orders of the same heads give the reference.
struct AblationCurveRequest {
    std::string prompt;  ///< text, or "1,2,3" ids (see RunRequest)
    bool promptIsIds = false;
    HeadScores scores;
    std::string scoreLabel;  ///< names the ordering score; the metric when empty
    int maxHeads = 16;
    int randomOrders = 5;
    uint64_t seed = 1;
};
struct AblationCurve {
    std::string metric;  ///< what was measured, e.g. p("cactus")
    std::string score;   ///< what ordered the heads
    std::vector<double> headsRemoved;
    std::vector<double> byScore;
    std::vector<double> random;     ///< mean over random orders (empty without any)
    std::vector<double> randomStd;  ///< population spread over random orders
};

/// A registry metric with string parameters over a dataset file, or over `prompts` (texts,
/// or comma-separated ids for a model without a tokenizer) when no file is given.
struct ScoreRequest {
    std::string metric;
    std::map<std::string, std::string> params;
    std::string datasetPath;
    std::vector<std::string> prompts;
    /// Dataset items as JSON objects (a JSONL line each: "prompt" or "text", other fields kept),
    /// used when no file is given; takes precedence over `prompts`.
    std::vector<std::string> itemsJson;
    /// Edits in force while the metric runs (patch edits are refused: they need a corrupted
    /// run of each of the metric's prompts).
    EditList edits;
};
/// The request that computed `scores`, read back from its paramsJson: the metric, the
/// parameters it recorded and the dataset file (empty for typed prompts, whose texts are the
/// session's own); `prompts` stays empty. A result without readable parameters gives its metric
/// alone.
ScoreRequest scoreRequestOf(const HeadScores& scores);

/// What a session file restores besides its runs.
struct SessionDocument {
    std::string modelPath;
    std::string prompt;
    std::string corruptedPrompt;
    EditList edits;
    std::vector<HeadScores> results;
    /// Circuits, saved as `/results/circuits/<index>` (the first is the current one).
    std::vector<analysis::circuits::Circuit> circuits;
    std::string atlasScore;
    int selectedLayer = 0;
    int selectedHead = 0;
};

/// The runs a session file holds (run 0 = edited, 1 = baseline) as read back.
struct SessionFileContents {
    SessionDocument document;
    std::vector<TokenInfo> tokens;
    int layers = 0;
    int heads = 0;
    SharedPatterns patterns;          ///< null when the session has no run
    SharedPatterns baselinePatterns;  ///< null when the session has no run
};

/// One prompt run under its edits whose hooks go into a capture file (a batch item's `capture`).
struct CaptureToFileRequest {
    std::string prompt;
    std::string corruptedPrompt;  ///< the source of patch edits; may be empty
    EditList edits;
    std::vector<std::string> hooks;  ///< glob patterns, e.g. "blocks.*.attn.hook_pattern"
    std::vector<int64_t> layers;     ///< empty: every layer
    bool float16 = false;            ///< store float16 instead of float32
};

/// An opened model with the unedited runs of the prompts last used, so that a new edit only
/// pays for the edited forward. Not thread-safe: use one Session from one thread at a time.
class Session {
public:
    /// Loads the model folder (and its tokenizer) with `options` (dtype, device; its progress
    /// and cancel come from `progress`). Throws capture::ModelLoadError, or capture::Cancelled
    /// when `progress` is cancelled during the load.
    explicit Session(const std::filesystem::path& modelDir, const capture::Progress& progress = {},
                     capture::LoadOptions options = {});
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    const ModelSummary& model() const;

    /// Special-token strings in prompts as plain text (Hugging Face's split_special_tokens=True)
    /// or, the default, as the special tokens. Drops the cached runs.
    void setSplitSpecialTokens(bool split);

    /// Runs the request edited and unedited. Throws capture::InputError for an empty prompt,
    /// edits naming heads the model lacks or a patch without a corrupted prompt of equal length;
    /// capture::Cancelled when cancelled.
    std::shared_ptr<const RunResult> run(const RunRequest& request,
                                         const capture::Progress& progress = {});
    /// The newest result of run(), or null.
    std::shared_ptr<const RunResult> lastRun() const;

    /// The ablation curve of `request` on its prompt (unedited).
    AblationCurve ablationCurve(const AblationCurveRequest& request,
                                const capture::Progress& progress = {});

    /// Runs a registry metric; its scores per query head (a KV-head table is expanded). Throws
    /// capture::Cancelled when cancelled, like every other job: there is no partial result.
    HeadScores score(const ScoreRequest& request, const capture::Progress& progress = {});

    /// Runs `request` once, streaming the hooks it selects into the capture file `path` (atomic:
    /// the file appears complete or not at all). Throws capture::InputError for an empty prompt,
    /// bad edits or hook patterns that select nothing; capture::Cancelled.
    void captureToFile(const CaptureToFileRequest& request, const std::filesystem::path& path,
                       const capture::Progress& progress = {});

    /// The hook names that `patterns` select on this model, restricted to `layers` (empty: all).
    /// Throws capture::InputError for a pattern that selects nothing or a layer the model lacks.
    std::vector<std::string> selectedHooks(const std::vector<std::string>& patterns,
                                           const std::vector<int64_t>& layers) const;

    /// Writes a session file: `document`, plus `run`'s edited and baseline maps as runs 0 and 1
    /// when given. Atomic: the file under `path` is the previous one until the new one is
    /// complete.
    void save(const std::filesystem::path& path, const SessionDocument& document,
              const RunResult* run) const;

private:
    friend class CircuitSession;  // edge patching runs on the session's opened model
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

/// Reads a session file (verified before HDF5 parses it). Throws store::StoreError or
/// capture::InputError naming the file and the problem.
SessionFileContents readSessionFile(const std::filesystem::path& path);

/// The session document as JSON text (the `session` attribute of a session file), and back.
std::string sessionDocumentToJson(const SessionDocument& document);
/// Throws capture::InputError "SOURCE: KEY: problem" on malformed input.
SessionDocument sessionDocumentFromJson(const std::string& text, const std::string& source);

/// The attention map of one head (or the mean over a layer's heads with head = -1, or over
/// every head with layer = -1), [length, length] row-major; empty when out of range.
std::vector<float> headMap(const LayerPatterns& patterns, int heads, int length, int layer,
                           int head);

}  // namespace attnscope::app
