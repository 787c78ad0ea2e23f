#pragma once
// Prompt pairs of circuit analysis (issue 13): a clean prompt and a corrupted one of equal token
// length, with the answer and a wrong answer (single tokens) scored at the last position. Read
// from JSONL files or made by generators. Torch-free: the CLI, app/core and tests share it.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace attnscope::capture {
class Tokenizer;
}

namespace attnscope::analysis::circuits {

struct PromptPair {
    std::vector<int64_t> clean, corrupted;  ///< token ids, equal lengths
    int64_t answer = -1, wrong = -1;        ///< token ids
    int line = 0;                           ///< 1-based line of the file it came from; 0 if none
};

/// Reads a JSONL file, one pair per non-blank line: `{"clean", "corrupted", "answer",
/// "wrong"}` (texts, encoded with `tokenizer`; answers must be single tokens) or
/// `{"clean_ids", "corrupted_ids", "answer_id", "wrong_id"}` (ids; `tokenizer` may be null).
/// Throws capture::InputError naming the file and line: bad JSON, missing or mistyped keys,
/// unequal lengths, unknown tokens, answers that are not single tokens, texts without a
/// tokenizer, an empty file.
std::vector<PromptPair> readPromptPairs(const std::filesystem::path& file,
                                        const capture::Tokenizer* tokenizer);
/// Writes pairs in the ids form, one per line (readable by readPromptPairs).
void writePromptPairs(const std::filesystem::path& file, const std::vector<PromptPair>& pairs);

/// Encodes a prompt as the model sees it (special tokens such as BOS added). Throws
/// capture::InputError (prefixed with `where`) for words the vocabulary lacks (an unknown-token
/// replacement) and for empty prompts.
std::vector<int64_t> encodePrompt(const capture::Tokenizer& tokenizer, const std::string& text,
                                  const std::string& where);
/// The id of an answer token: the text must encode to exactly one token (no special tokens
/// added), or be a raw vocabulary string (e.g. "Ġriver"). Throws capture::InputError otherwise.
int64_t encodeAnswerToken(const capture::Tokenizer& tokenizer, const std::string& token,
                          const std::string& where);
/// A pair from texts; throws capture::InputError (prefixed with `where`) as above and for
/// unequal lengths.
PromptPair promptPairFromText(const capture::Tokenizer& tokenizer, const std::string& clean,
                              const std::string& corrupted, const std::string& answer,
                              const std::string& wrong, const std::string& where = "prompt pair");
/// Throws capture::InputError naming the pair (its file line when known) for empty or unequal
/// prompts and for ids outside [0, vocabSize).
void validatePromptPairs(const std::vector<PromptPair>& pairs, int64_t vocabSize,
                         const std::string& source = "prompt pairs");

// ---- Generators (deterministic for a seed) -------------------------------------------------

/// The demo model's recall tasks, from its evaluation files (`MODEL/eval/<task>.jsonl`):
/// - "mqar": associative recall; the corrupted prompt asks for a key (name) that is not in
///   the context. answer = the queried value, wrong = another value of the context.
/// - "needle": the needle's first secret word is replaced by a secret word of another record
///   that the context does not contain. answer = the clean secret word, wrong = its
///   replacement (what the corrupted prompt's needle says).
/// Throws capture::InputError for an unknown task, a missing file or too few usable records.
std::vector<PromptPair> demoTaskPairs(const std::filesystem::path& modelDir,
                                      const std::string& task, const capture::Tokenizer& tokenizer,
                                      int count, uint64_t seed = 0);

/// IOI-style pairs over any tokenizer: "When A and B went to the store, B gave a drink to" →
/// A, with the corrupted prompt naming a third person C instead of the second B (the ABC
/// corruption of the IOI papers); wrong = B. Names are drawn from a built-in list, keeping
/// those whose " Name" (and "Name" for word-level vocabularies) is one token; the templates
/// are padded so that clean and corrupted have equal lengths. Throws capture::InputError when
/// fewer than three names are single tokens.
std::vector<PromptPair> ioiPairs(const capture::Tokenizer& tokenizer, int count, uint64_t seed = 0);

/// Greater-than pairs: "The war lasted from the year 17YY to the year 17" → a two-digit number
/// greater than YY (answer: YY+1.. as a token, wrong: YY−1), with the corrupted prompt using 1701
/// (the "01" baseline of Hanna et al.). Only years whose two-digit tokens exist are used.
/// Throws capture::InputError when the vocabulary lacks the number tokens.
std::vector<PromptPair> greaterThanPairs(const capture::Tokenizer& tokenizer, int count,
                                         uint64_t seed = 0);

}  // namespace attnscope::analysis::circuits
