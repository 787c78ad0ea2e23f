#pragma once
// Normalizers of tokenizer.json: rewrite the text before it is split into words, keeping the
// alignment to the original bytes.
#include <memory>
#include <string>
#include <vector>

#include "aligned_text.h"
#include "regex.h"

namespace attnscope::capture::detail {

class Normalizer {
public:
    virtual ~Normalizer() = default;
    virtual void normalize(AlignedText& text) const = 0;
};

class SequenceNormalizer : public Normalizer {
public:
    explicit SequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> steps)
        : m_steps(std::move(steps)) {}
    void normalize(AlignedText& text) const override;

private:
    std::vector<std::unique_ptr<Normalizer>> m_steps;
};

/// Inserts `prefix` before non-empty text (Llama-2's "▁").
class PrependNormalizer : public Normalizer {
public:
    explicit PrependNormalizer(std::string prefix) : m_prefix(std::move(prefix)) {}
    void normalize(AlignedText& text) const override;

private:
    std::string m_prefix;
};

/// Replaces every match of a pattern (a literal or a regex) with `content`.
class ReplaceNormalizer : public Normalizer {
public:
    ReplaceNormalizer(std::unique_ptr<Regex> pattern, std::string content)
        : m_pattern(std::move(pattern)), m_content(std::move(content)) {}
    void normalize(AlignedText& text) const override;

private:
    std::unique_ptr<Regex> m_pattern;
    std::string m_content;
};

/// Removes leading and/or trailing Unicode whitespace.
class StripNormalizer : public Normalizer {
public:
    StripNormalizer(bool left, bool right) : m_left(left), m_right(right) {}
    void normalize(AlignedText& text) const override;

private:
    bool m_left;
    bool m_right;
};

/// Lower-cases ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic letters. Other scripts
/// are left unchanged: full Unicode case mapping would need tables we do not ship.
class LowercaseNormalizer : public Normalizer {
public:
    void normalize(AlignedText& text) const override;
};

/// Stands in for NFC/NFD/NFKC/NFKD. It does not change the text, which is exact for text that
/// is already in the requested form (most typed text is NFC); no Unicode normalization tables
/// are available to this library.
class IdentityNormalizer : public Normalizer {
public:
    void normalize(AlignedText&) const override {}
};

/// True for the code points Unicode calls White_Space.
bool isUnicodeWhitespace(uint32_t codePoint);

}  // namespace attnscope::capture::detail
