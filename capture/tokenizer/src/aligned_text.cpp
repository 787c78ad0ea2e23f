#include "aligned_text.h"

namespace attnscope::capture::detail {

AlignedText AlignedText::identity(std::string_view text, size_t originalOffset) {
    AlignedText aligned;
    aligned.text.assign(text);
    aligned.origin.resize(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
        const auto offset = static_cast<uint32_t>(originalOffset + i);
        aligned.origin[i] = {offset, offset + 1};
    }
    return aligned;
}

void AlignedText::append(std::string_view bytes, OriginSpan from) {
    text.append(bytes);
    origin.insert(origin.end(), bytes.size(), from);
}

void AlignedText::appendFrom(const AlignedText& other, size_t begin, size_t end) {
    text.append(other.text, begin, end - begin);
    origin.insert(origin.end(), other.origin.begin() + static_cast<std::ptrdiff_t>(begin),
                  other.origin.begin() + static_cast<std::ptrdiff_t>(end));
}

OriginSpan AlignedText::originOf(size_t begin, size_t end) const {
    if (begin < end) return {origin[begin].begin, origin[end - 1].end};
    if (begin < origin.size()) return {origin[begin].begin, origin[begin].begin};
    if (!origin.empty()) return {origin.back().end, origin.back().end};
    return {};
}

void PreTokenized::splitPieces(
    const std::function<void(std::string_view, std::vector<PieceRange>&)>& split) {
    std::vector<PieceRange> result;
    result.reserve(pieces.size());
    std::vector<PieceRange> parts;
    for (const PieceRange& piece : pieces) {
        parts.clear();
        split(pieceText(piece), parts);
        for (const PieceRange& part : parts)
            if (part.begin < part.end)
                result.push_back({piece.begin + part.begin, piece.begin + part.end});
    }
    pieces = std::move(result);
}

void PreTokenized::rewritePieces(
    const std::function<void(const AlignedText&, const PieceRange&, AlignedText&)>& rewrite) {
    AlignedText rebuilt;
    rebuilt.text.reserve(buffer.text.size() + pieces.size());
    rebuilt.origin.reserve(buffer.text.size() + pieces.size());
    std::vector<PieceRange> result;
    result.reserve(pieces.size());
    for (const PieceRange& piece : pieces) {
        const size_t begin = rebuilt.text.size();
        rewrite(buffer, piece, rebuilt);
        if (rebuilt.text.size() > begin) result.push_back({begin, rebuilt.text.size()});
    }
    buffer = std::move(rebuilt);
    pieces = std::move(result);
}

}  // namespace attnscope::capture::detail
