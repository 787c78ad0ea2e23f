#pragma once
// Hugging Face tokenizer.json and GPT-2 vocab.json + merges.txt tokenizers that reproduce the
// reference tokenizers exactly, with byte and character offsets for every token.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "attnscope/capture/tokenizer_error.h"

namespace attnscope::capture {

/// The result of encoding a text. All four vectors have one entry per token.
struct Encoding {
    std::vector<int64_t> ids;
    /// Raw vocabulary strings (e.g. "Ġthe", "▁the", "<0x0A>"); see Tokenizer::displayString.
    std::vector<std::string> tokens;
    /// [begin, end) byte offsets into the encoded text. For byte-level tokens these are exactly
    /// the bytes the token stands for (a token may hold part of a multi-byte character). Text
    /// the tokenizer inserted (a Metaspace "▁" prefix, a BOS token) has an empty span.
    std::vector<std::pair<size_t, size_t>> byteSpans;
    /// [begin, end) offsets in Unicode code points. A token holding part of a character gets
    /// that whole character.
    std::vector<std::pair<size_t, size_t>> charSpans;
};

/// Switches for Tokenizer::encode.
struct EncodeOptions {
    /// Add BOS/EOS (or the template) of the post-processor or of the model's configuration.
    bool addSpecialTokens = true;
    /// Match special added tokens (e.g. "<|endoftext|>") in the text. When false they are
    /// tokenized as ordinary text, as tiktoken-style reference encoders do by default.
    /// Non-special added tokens are always matched.
    bool parseSpecialTokens = true;
};

namespace detail {
struct TokenizerPipeline;
}

/// A loaded tokenizer. Immutable once shared (after setSplitSpecialTokens, if called) and then
/// safe to use from several threads.
class Tokenizer {
public:
    /// Loads a Hugging Face tokenizer.json. Throws TokenizerError naming the file and problem.
    static std::unique_ptr<Tokenizer> fromTokenizerJson(const std::filesystem::path& file);
    /// Parses tokenizer.json content held in memory; `sourceName` is used in error messages.
    static std::unique_ptr<Tokenizer> fromTokenizerJsonString(std::string_view json,
                                                              std::string_view sourceName);
    /// Loads GPT-2's original vocab.json + merges.txt pair (byte-level BPE, GPT-2 regex).
    static std::unique_ptr<Tokenizer> fromVocabAndMerges(const std::filesystem::path& vocab,
                                                         const std::filesystem::path& merges);
    /// DIR/tokenizer.json, else DIR/vocab.json + DIR/merges.txt; also reads BOS/EOS settings
    /// from DIR/tokenizer_config.json and DIR/config.json when present. Throws if none found.
    static std::unique_ptr<Tokenizer> fromModelFolder(const std::filesystem::path& dir);

    explicit Tokenizer(std::unique_ptr<detail::TokenizerPipeline> pipeline);
    ~Tokenizer();
    Tokenizer(const Tokenizer&) = delete;
    Tokenizer& operator=(const Tokenizer&) = delete;

    /// Makes every encode() treat special-token strings in the text as plain text, whatever
    /// EncodeOptions::parseSpecialTokens says: Hugging Face's tokenizer attribute
    /// split_special_tokens=True, for front ends whose option applies to every prompt. Call
    /// before the tokenizer is shared.
    void setSplitSpecialTokens(bool split);
    bool splitSpecialTokens() const;

    /// Encodes UTF-8 text; throws TokenizerError for invalid UTF-8.
    Encoding encode(std::string_view text, bool addSpecialTokens = true) const;
    Encoding encode(std::string_view text, const EncodeOptions& options) const;

    /// Turns ids back into text; throws TokenizerError for ids outside the vocabulary.
    std::string decode(const std::vector<int64_t>& ids, bool skipSpecialTokens = false) const;

    /// A readable form of one token for the GUI, always valid UTF-8: byte-level and
    /// SentencePiece markers become spaces ("Ġthe" and "▁the" give " the"), byte tokens become
    /// their character, and control characters or partial UTF-8 sequences become visible C-style
    /// escapes ("\n", "\t", "\r", "\xE6").
    std::string displayString(int64_t id) const;

    /// The raw vocabulary string of an id; throws TokenizerError if the id is unknown.
    std::string idToToken(int64_t id) const;
    std::optional<int64_t> tokenToId(std::string_view token) const;
    /// One past the largest id (model vocabulary and added tokens).
    int64_t vocabSize() const;
    std::optional<int64_t> bosId() const;
    std::optional<int64_t> eosId() const;
    /// Whether the id is a special added token (e.g. "<s>", "<|endoftext|>").
    bool isSpecialToken(int64_t id) const;

private:
    std::unique_ptr<detail::TokenizerPipeline> m_pipeline;
};

/// What `attnscope-cli tokenize` prints: one line per token (index, id, character span,
/// display string), or with `json` a JSON list of {"id", "text", "start", "end"} where text
/// is the display string and start/end are character offsets.
std::string formatTokenization(const Tokenizer& tokenizer, const Encoding& encoding,
                               std::string_view text, bool json);

}  // namespace attnscope::capture
