#pragma once
// Decoders of tokenizer.json: turn a list of token strings back into text, in the reference
// implementation's "decode chain" form (each step maps the list to a new list).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pre_tokenizers.h"
#include "regex.h"

namespace attnscope::capture::detail {

class Decoder {
public:
    virtual ~Decoder() = default;
    virtual void decode(std::vector<std::string>& tokens) const = 0;
};

class SequenceDecoder : public Decoder {
public:
    explicit SequenceDecoder(std::vector<std::unique_ptr<Decoder>> steps)
        : m_steps(std::move(steps)) {}
    void decode(std::vector<std::string>& tokens) const override;

private:
    std::vector<std::unique_ptr<Decoder>> m_steps;
};

/// Joins the tokens and maps GPT-2's byte characters back to bytes (possibly invalid UTF-8
/// when a multi-byte character is cut; the tokenizer makes the final text valid).
class ByteLevelDecoder : public Decoder {
public:
    void decode(std::vector<std::string>& tokens) const override;
};

/// "▁" back to spaces; in the first token the replacement is dropped unless the prefix
/// scheme is "never".
class MetaspaceDecoder : public Decoder {
public:
    MetaspaceDecoder(std::string replacement, PrependScheme scheme)
        : m_replacement(std::move(replacement)), m_scheme(scheme) {}
    void decode(std::vector<std::string>& tokens) const override;

private:
    std::string m_replacement;
    PrependScheme m_scheme;
};

class ReplaceDecoder : public Decoder {
public:
    ReplaceDecoder(std::unique_ptr<Regex> pattern, std::string content)
        : m_pattern(std::move(pattern)), m_content(std::move(content)) {}
    void decode(std::vector<std::string>& tokens) const override;

private:
    std::unique_ptr<Regex> m_pattern;
    std::string m_content;
};

/// Runs of "<0xAB>" tokens become the characters their bytes encode (U+FFFD per byte if the
/// run is not valid UTF-8).
class ByteFallbackDecoder : public Decoder {
public:
    void decode(std::vector<std::string>& tokens) const override;
    /// The byte of a "<0xAB>" token.
    static std::optional<unsigned char> byteOfToken(std::string_view token);
};

/// Joins all tokens into one.
class FuseDecoder : public Decoder {
public:
    void decode(std::vector<std::string>& tokens) const override;
};

/// Removes up to `start` leading and `stop` trailing copies of `content` from every token.
class StripDecoder : public Decoder {
public:
    StripDecoder(std::string content, size_t start, size_t stop)
        : m_content(std::move(content)), m_start(start), m_stop(stop) {}
    void decode(std::vector<std::string>& tokens) const override;

private:
    std::string m_content;
    size_t m_start;
    size_t m_stop;
};

/// Classic BPE end-of-word suffix ("</w>") back to spaces.
class BpeSuffixDecoder : public Decoder {
public:
    explicit BpeSuffixDecoder(std::string suffix) : m_suffix(std::move(suffix)) {}
    void decode(std::vector<std::string>& tokens) const override;

private:
    std::string m_suffix;
};

}  // namespace attnscope::capture::detail
