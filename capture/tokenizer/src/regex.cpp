#define PCRE2_CODE_UNIT_WIDTH 8
#include "regex.h"

#include <pcre2.h>

#include "attnscope/capture/tokenizer_error.h"
#include "utf8.h"

namespace attnscope::capture::detail {

namespace {

std::string pcre2Message(int code) {
    PCRE2_UCHAR buffer[256];
    if (pcre2_get_error_message(code, buffer, sizeof buffer) < 0) return "unknown PCRE2 error";
    return reinterpret_cast<const char*>(buffer);
}

struct MatchDataDeleter {
    void operator()(pcre2_match_data* data) const { pcre2_match_data_free(data); }
};

// One small match block per thread: we only read the whole-match offsets, so one pair is
// enough for any pattern (PCRE2 then reports 0 captures fitted, which is still a match).
pcre2_match_data* threadMatchData() {
    thread_local std::unique_ptr<pcre2_match_data, MatchDataDeleter> data(
        pcre2_match_data_create(1, nullptr));
    return data.get();
}

}  // namespace

struct Regex::Compiled {
    pcre2_code* code = nullptr;
    ~Compiled() { pcre2_code_free(code); }
};

Regex::Regex(std::string_view pattern) : m_pattern(pattern), m_compiled(new Compiled) {
    int errorCode = 0;
    PCRE2_SIZE errorOffset = 0;
    m_compiled->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                     PCRE2_UTF | PCRE2_UCP, &errorCode, &errorOffset, nullptr);
    if (m_compiled->code == nullptr)
        throw TokenizerError("invalid regex '" + m_pattern + "' at offset " +
                             std::to_string(errorOffset) + ": " + pcre2Message(errorCode));
    // JIT is an optimisation only: without it (unsupported CPU) the interpreter gives the same
    // matches.
    pcre2_jit_compile(m_compiled->code, PCRE2_JIT_COMPLETE);
}

Regex::~Regex() = default;

void Regex::findAll(std::string_view text, std::vector<PieceRange>& matches) const {
    pcre2_match_data* data = threadMatchData();
    const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
    size_t start = 0;
    while (start <= text.size()) {
        // The caller's text is validated once up front; re-checking it on every call would
        // make matching quadratic in the text length.
        int rc = pcre2_match(m_compiled->code, subject, text.size(), start, PCRE2_NO_UTF_CHECK,
                             data, nullptr);
        if (rc == PCRE2_ERROR_JIT_STACKLIMIT)
            rc = pcre2_match(m_compiled->code, subject, text.size(), start,
                             PCRE2_NO_UTF_CHECK | PCRE2_NO_JIT, data, nullptr);
        if (rc == PCRE2_ERROR_NOMATCH) return;
        if (rc < 0) throw TokenizerError("regex '" + m_pattern + "' failed: " + pcre2Message(rc));
        const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(data);
        const size_t begin = ovector[0];
        const size_t end = ovector[1];
        if (end > begin) {
            matches.push_back({begin, end});
            start = end;
        } else {
            // Empty matches split nothing; step over one character and look again.
            if (begin >= text.size()) return;
            start = begin + utf8Length(static_cast<unsigned char>(text[begin]));
        }
    }
}

std::string Regex::escape(std::string_view literal) {
    // \Q...\E quotes everything except a literal "\E", which is spliced in escaped.
    std::string escaped = "\\Q";
    size_t pos = 0;
    while (true) {
        const size_t found = literal.find("\\E", pos);
        if (found == std::string_view::npos) break;
        escaped.append(literal.substr(pos, found - pos));
        escaped += "\\E\\\\E\\Q";
        pos = found + 2;
    }
    escaped.append(literal.substr(pos));
    escaped += "\\E";
    return escaped;
}

}  // namespace attnscope::capture::detail
