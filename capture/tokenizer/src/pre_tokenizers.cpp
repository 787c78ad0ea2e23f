#include "pre_tokenizers.h"

#include "byte_level_table.h"

namespace attnscope::capture::detail {

void SequencePreTokenizer::preTokenize(PreTokenized& text) const {
    for (const auto& step : m_steps)
        step->preTokenize(text);
}

namespace {

struct Segment {
    PieceRange range;
    bool isMatch;
};

// The whole text as alternating match / non-match segments (none empty).
std::vector<Segment> segmentsOf(size_t length, const std::vector<PieceRange>& matches,
                                bool invert) {
    std::vector<Segment> segments;
    segments.reserve(2 * matches.size() + 1);
    size_t pos = 0;
    for (const PieceRange& match : matches) {
        if (match.begin > pos) segments.push_back({{pos, match.begin}, invert});
        segments.push_back({match, !invert});
        pos = match.end;
    }
    if (pos < length) segments.push_back({{pos, length}, invert});
    return segments;
}

}  // namespace

void SplitPreTokenizer::splitText(std::string_view text, const std::vector<PieceRange>& matches,
                                  SplitBehavior behavior, bool invert,
                                  std::vector<PieceRange>& parts) {
    const std::vector<Segment> segments = segmentsOf(text.size(), matches, invert);
    // The merge rules follow the reference implementation: a match joins its neighbour only
    // when that neighbour is not itself a match.
    switch (behavior) {
        case SplitBehavior::Removed:
            for (const Segment& segment : segments)
                if (!segment.isMatch) parts.push_back(segment.range);
            break;
        case SplitBehavior::Isolated:
            for (const Segment& segment : segments)
                parts.push_back(segment.range);
            break;
        case SplitBehavior::MergedWithPrevious: {
            bool previousMatch = false;
            for (const Segment& segment : segments) {
                if (segment.isMatch && !previousMatch && !parts.empty())
                    parts.back().end = segment.range.end;
                else
                    parts.push_back(segment.range);
                previousMatch = segment.isMatch;
            }
            break;
        }
        case SplitBehavior::MergedWithNext: {
            bool nextMatch = false;
            std::vector<PieceRange> reversed;
            for (auto it = segments.rbegin(); it != segments.rend(); ++it) {
                if (it->isMatch && !nextMatch && !reversed.empty())
                    reversed.back().begin = it->range.begin;
                else
                    reversed.push_back(it->range);
                nextMatch = it->isMatch;
            }
            parts.insert(parts.end(), reversed.rbegin(), reversed.rend());
            break;
        }
        case SplitBehavior::Contiguous: {
            bool previousMatch = false;
            for (size_t i = 0; i < segments.size(); ++i) {
                if (i > 0 && segments[i].isMatch == previousMatch)
                    parts.back().end = segments[i].range.end;
                else
                    parts.push_back(segments[i].range);
                previousMatch = segments[i].isMatch;
            }
            break;
        }
    }
}

void SplitPreTokenizer::preTokenize(PreTokenized& text) const {
    std::vector<PieceRange> matches;
    text.splitPieces([&](std::string_view piece, std::vector<PieceRange>& parts) {
        matches.clear();
        m_pattern->findAll(piece, matches);
        splitText(piece, matches, m_behavior, m_invert, parts);
    });
}

const Regex& ByteLevelPreTokenizer::gpt2Regex() {
    static const Regex regex(
        R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)");
    return regex;
}

void ByteLevelPreTokenizer::preTokenize(PreTokenized& text) const {
    if (m_addPrefixSpace) {
        text.rewritePieces([](const AlignedText& from, const PieceRange& piece, AlignedText& to) {
            if (from.text[piece.begin] != ' ') {
                const uint32_t at = from.origin[piece.begin].begin;
                to.append(" ", {at, at});
            }
            to.appendFrom(from, piece.begin, piece.end);
        });
    }
    if (m_useRegex) {
        std::vector<PieceRange> matches;
        text.splitPieces([&](std::string_view piece, std::vector<PieceRange>& parts) {
            matches.clear();
            gpt2Regex().findAll(piece, matches);
            SplitPreTokenizer::splitText(piece, matches, SplitBehavior::Isolated, false, parts);
        });
    }
    const ByteLevelTable& table = ByteLevelTable::instance();
    text.rewritePieces([&](const AlignedText& from, const PieceRange& piece, AlignedText& to) {
        for (size_t i = piece.begin; i < piece.end; ++i)
            to.append(table.charOf(static_cast<unsigned char>(from.text[i])), from.origin[i]);
    });
}

void MetaspacePreTokenizer::preTokenize(PreTokenized& text) const {
    text.rewritePieces([&](const AlignedText& from, const PieceRange& piece, AlignedText& to) {
        const std::string_view pieceText =
            std::string_view(from.text).substr(piece.begin, piece.end - piece.begin);
        const bool startsWithReplacement =
            pieceText[0] == ' ' || pieceText.substr(0, m_replacement.size()) == m_replacement;
        const bool prepend =
            m_scheme == PrependScheme::Always ||
            (m_scheme == PrependScheme::First && from.origin[piece.begin].begin == 0);
        if (prepend && !startsWithReplacement) {
            const uint32_t at = from.origin[piece.begin].begin;
            to.append(m_replacement, {at, at});
        }
        for (size_t i = piece.begin; i < piece.end; ++i) {
            if (from.text[i] == ' ')
                to.append(m_replacement, from.origin[i]);
            else
                to.appendFrom(from, i, i + 1);
        }
    });
    if (!m_splitPattern) return;
    std::vector<PieceRange> matches;
    text.splitPieces([&](std::string_view piece, std::vector<PieceRange>& parts) {
        matches.clear();
        m_splitPattern->findAll(piece, matches);
        SplitPreTokenizer::splitText(piece, matches, SplitBehavior::MergedWithNext, false, parts);
    });
}

}  // namespace attnscope::capture::detail
