#pragma once
// Pre-tokenizers of tokenizer.json: split normalized text into the words the model sees.
#include <memory>
#include <string>
#include <vector>

#include "aligned_text.h"
#include "regex.h"

namespace attnscope::capture::detail {

class PreTokenizer {
public:
    virtual ~PreTokenizer() = default;
    virtual void preTokenize(PreTokenized& text) const = 0;
};

class SequencePreTokenizer : public PreTokenizer {
public:
    explicit SequencePreTokenizer(std::vector<std::unique_ptr<PreTokenizer>> steps)
        : m_steps(std::move(steps)) {}
    void preTokenize(PreTokenized& text) const override;

private:
    std::vector<std::unique_ptr<PreTokenizer>> m_steps;
};

/// What happens to the matches of a Split pattern (the names of tokenizer.json).
enum class SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };

/// Splits every piece at the matches of a pattern. Whitespace, WhitespaceSplit, Digits and
/// Punctuation are Splits with fixed patterns.
class SplitPreTokenizer : public PreTokenizer {
public:
    SplitPreTokenizer(std::unique_ptr<Regex> pattern, SplitBehavior behavior, bool invert)
        : m_pattern(std::move(pattern)), m_behavior(behavior), m_invert(invert) {}
    void preTokenize(PreTokenized& text) const override;

    /// The parts of `text` for this pattern and behavior (exposed for the Metaspace split).
    static void splitText(std::string_view text, const std::vector<PieceRange>& matches,
                          SplitBehavior behavior, bool invert, std::vector<PieceRange>& parts);

private:
    std::unique_ptr<Regex> m_pattern;
    SplitBehavior m_behavior;
    bool m_invert;
};

/// GPT-2's byte-level step: optionally a prefix space and the GPT-2 regex split, then every
/// byte becomes the printable code point that stands for it in the vocabulary.
class ByteLevelPreTokenizer : public PreTokenizer {
public:
    ByteLevelPreTokenizer(bool addPrefixSpace, bool useRegex)
        : m_addPrefixSpace(addPrefixSpace), m_useRegex(useRegex) {}
    void preTokenize(PreTokenized& text) const override;

    /// The regex GPT-2 splits words with.
    static const Regex& gpt2Regex();

private:
    bool m_addPrefixSpace;
    bool m_useRegex;
};

enum class PrependScheme { Always, First, Never };

/// SentencePiece-style: spaces become `replacement` ("▁"), which is also prepended to the
/// first word (or every word); optionally splits before every replacement character.
class MetaspacePreTokenizer : public PreTokenizer {
public:
    MetaspacePreTokenizer(std::string replacement, PrependScheme scheme, bool split)
        : m_replacement(std::move(replacement)),
          m_scheme(scheme),
          m_splitPattern(split ? std::make_unique<Regex>(Regex::escape(m_replacement)) : nullptr) {}
    void preTokenize(PreTokenized& text) const override;

private:
    std::string m_replacement;
    PrependScheme m_scheme;
    std::unique_ptr<Regex> m_splitPattern;  // null when not splitting
};

}  // namespace attnscope::capture::detail
