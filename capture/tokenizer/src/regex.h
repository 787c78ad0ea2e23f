#pragma once
// A Unicode-aware regular expression (PCRE2 with UTF and UCP, JIT-compiled when available):
// \p{L}, \p{N} and \s mean what they mean in the reference tokenizers' regex engines.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "aligned_text.h"

namespace attnscope::capture::detail {

class Regex {
public:
    /// Throws TokenizerError with PCRE2's message and the offset of the error in the pattern.
    explicit Regex(std::string_view pattern);
    ~Regex();
    Regex(const Regex&) = delete;
    Regex& operator=(const Regex&) = delete;

    /// Appends the non-overlapping, non-empty matches in `text` (valid UTF-8) to `matches`,
    /// leftmost first. Safe to call from several threads at once.
    void findAll(std::string_view text, std::vector<PieceRange>& matches) const;

    /// A pattern that matches `literal` exactly.
    static std::string escape(std::string_view literal);

    const std::string& pattern() const { return m_pattern; }

private:
    struct Compiled;
    std::string m_pattern;
    std::unique_ptr<Compiled> m_compiled;
};

}  // namespace attnscope::capture::detail
