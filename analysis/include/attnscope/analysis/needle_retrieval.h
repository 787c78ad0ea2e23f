#pragma once
// §2 needle-in-a-haystack runs on a loaded model: prompt construction (§2.3), greedy decoding
// with the KV cache scored by the retrieval-score criterion (§2.1-2.2), and decode-only head
// masking by zeroed queries (§2.4). Torch-free interface; the model runs behind it.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "attnscope/analysis/head_table.h"
#include "attnscope/analysis/retrieval_score.h"
#include "attnscope/capture/progress.h"

namespace attnscope::capture {
class TransformerModel;
class Tokenizer;
class HookScope;
}  // namespace attnscope::capture

namespace attnscope::analysis {

/// RH's prompt (non-chat models): the context, then the question. `{context}` and
/// `{question}` are replaced.
inline constexpr const char* kRetrievalPromptTemplate =
    "{context}Based on the content of the book, Question: {question}\nAnswer:";

/// The classic needle-in-a-haystack needle and question (Kamradt's test, which the Retrieval
/// Head experiments follow), used when a dataset gives plain prompts only.
inline constexpr const char* kDefaultNeedle =
    "The best thing to do in San Francisco is eat a sandwich and sit in Dolores Park on a sunny "
    "day.";
inline constexpr const char* kDefaultNeedleQuestion =
    "What is the best thing to do in San Francisco?";

/// One needle record (RH haystack_for_detect/needles.jsonl) with its haystack text.
struct NeedleCase {
    std::string needle;      ///< the sentence inserted into the haystack
    std::string question;    ///< substituted for {question}
    std::string realNeedle;  ///< ROUGE reference, and the text whose span the heads must copy
    std::string haystack;    ///< repeated until it holds enough words
    std::string promptTemplate = kRetrievalPromptTemplate;
};

struct NeedlePromptOptions {
    /// RH final_context_length_buffer: the context is cut to `length - buffer` tokens.
    long long buffer = 200;
    /// The haystack is repeated until it has at least this many words (RH: the largest context
    /// length of the grid); 0: the instance's own length.
    long long haystackWords = 0;
    /// [QUIRK §2.3] encode the needle and context chunks with BOS, leaving a literal BOS token
    /// string in the decoded context. Off: encode them without special tokens (clean).
    bool compatReference = false;
};

/// One prompt to decode: token ids (BOS included), the needle span inside them, the ROUGE
/// reference, and its grid cell.
struct NeedleInstance {
    std::vector<int64_t> ids;
    TokenSpan span;
    std::string realNeedle;
    long long length = 0;  ///< context length in tokens (grid row)
    long long depth = 0;   ///< needle depth in percent (grid column)
};

/// §2.3 generate_context + prompt: repeats the haystack, trims it to `contextLength` tokens,
/// inserts the needle at `depthPercent` backing off to a period token (the ids of encode(".")),
/// fills the template and encodes it with BOS. The span is findNeedleSpan(prompt,
/// encode(realNeedle)). Throws capture::InputError for an empty haystack or needle.
NeedleInstance buildNeedleInstance(const capture::Tokenizer& tokenizer, const NeedleCase& needle,
                                   long long contextLength, long long depthPercent,
                                   const NeedlePromptOptions& options);

/// Every case × length × depth instance, in that order.
std::vector<NeedleInstance> buildNeedleGrid(const capture::Tokenizer& tokenizer,
                                            const std::vector<NeedleCase>& cases,
                                            const std::vector<long long>& lengths,
                                            const std::vector<long long>& depths,
                                            const NeedlePromptOptions& options);

struct NeedleDecodeOptions {
    int64_t maxNewTokens = 50;        ///< RH: 50
    std::vector<int64_t> stopTokens;  ///< decoding stops after emitting one (it is scored)
    /// Heads whose query is zeroed on decode steps only (§2.4): attention becomes uniform over
    /// the visible keys; the prefill of P[:-1] is left alone.
    std::vector<HeadId> maskedHeads;
};

/// The outcome of one greedy decode.
struct NeedleDecode {
    std::vector<int64_t> generated;  ///< w_0..w_T, the stop token included
    std::string response;            ///< decoded without special tokens, whitespace stripped
    double recallPercent = 0.0;      ///< ROUGE-1 recall (Porter stemmer) of realNeedle, x100
};

/// RH's decode loop: prefill P[0..N-2] with the KV cache, then feed P[N-1] and every chosen
/// token; w_t = argmax of the step's logits. When `scores` is given, the instance is scored:
/// addStep with every head's attention row of the step's query (the token fed at that step)
/// over all cached keys and w_t, then endInstance(recall). Without a tokenizer the response is
/// the generated ids written as decimal numbers separated by spaces (give realNeedle the same
/// way). Throws capture::InputError for prompts shorter than 2 tokens or too long for the model,
/// and capture::Cancelled before the first decode step after `progress` was cancelled.
NeedleDecode decodeNeedle(capture::TransformerModel& model, const capture::Tokenizer* tokenizer,
                          const NeedleInstance& instance, const NeedleDecodeOptions& options,
                          RetrievalScoreAccumulator* scores = nullptr,
                          const capture::Progress& progress = {});

/// §2.4 masking by zeroed query: adds hooks to `scope` that zero the query of `heads` on every
/// forward call whose first query position is > 0 (cached decode steps), leaving the prefill
/// alone. A zero query gives logits 0, so the head's attention is uniform over the visible keys
/// (the current token included). Throws capture::InputError for heads the model lacks.
void addDecodeQueryMask(capture::HookScope& scope, const capture::TransformerModel& model,
                        const std::vector<HeadId>& heads);

/// Mean recall per (length, depth) cell over the instances that fall in it.
struct RecallGrid {
    std::vector<long long> lengths;  ///< sorted distinct lengths (rows)
    std::vector<long long> depths;   ///< sorted distinct depths (columns)
    std::vector<double> recall;      ///< [lengths x depths] row-major; NaN for empty cells
    std::vector<double> perInstance;
    double meanRecall = 0.0;  ///< mean over instances
};

/// Decodes every instance (optionally feeding `scores`) and averages recall per grid cell.
/// `progress` receives the fraction of instances decoded ("needle k of n"); once cancelled, the
/// grid stops with capture::Cancelled (no partial grid, `scores` then holds finished instances).
RecallGrid decodeNeedleGrid(capture::TransformerModel& model, const capture::Tokenizer* tokenizer,
                            const std::vector<NeedleInstance>& instances,
                            const NeedleDecodeOptions& options,
                            RetrievalScoreAccumulator* scores = nullptr,
                            const capture::Progress& progress = {});

/// Stop-token list from a comma-separated spec: "eos" (the model's or tokenizer's EOS),
/// "newline" (the single token of "\n" or "<0x0A>", when the vocabulary has one), a decimal id,
/// or a vocabulary token. Unknown names are InputErrors.
std::vector<int64_t> parseStopTokens(const std::string& spec,
                                     const capture::TransformerModel& model,
                                     const capture::Tokenizer* tokenizer);

}  // namespace attnscope::analysis
