#pragma once
// Text that normalizers and pre-tokenizers rewrite while remembering, for every byte, which
// bytes of the caller's original text it came from: that is how tokens get their offsets.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace attnscope::capture::detail {

/// [begin, end) byte offsets into the original text. Inserted text has begin == end.
struct OriginSpan {
    uint32_t begin = 0;
    uint32_t end = 0;
};

struct AlignedText {
    std::string text;
    std::vector<OriginSpan> origin;  // one entry per byte of `text`

    /// Text taken unchanged from the original, which starts at `originalOffset`.
    static AlignedText identity(std::string_view text, size_t originalOffset);

    /// Appends bytes that all come from the same original span.
    void append(std::string_view bytes, OriginSpan from);
    /// Appends bytes [begin, end) of another aligned text with their origins.
    void appendFrom(const AlignedText& other, size_t begin, size_t end);

    /// The original span that the bytes [begin, end) cover; for an empty range, an empty span
    /// at the position of `begin` (or of the end of the previous byte).
    OriginSpan originOf(size_t begin, size_t end) const;
};

/// A [begin, end) byte range of the pre-tokenized buffer.
struct PieceRange {
    size_t begin = 0;
    size_t end = 0;
};

/// The words the model tokenizes one by one: non-empty ranges of one buffer, in text order.
struct PreTokenized {
    AlignedText buffer;
    std::vector<PieceRange> pieces;

    std::string_view pieceText(const PieceRange& piece) const {
        return std::string_view(buffer.text).substr(piece.begin, piece.end - piece.begin);
    }

    /// Replaces every piece by the sub-ranges `split` returns for its text (offsets relative to
    /// the piece); empty ranges are dropped.
    void splitPieces(const std::function<void(std::string_view, std::vector<PieceRange>&)>& split);

    /// Rebuilds the buffer: `rewrite` appends the new text of each piece to the new buffer.
    /// Text between pieces is dropped; pieces that become empty are dropped.
    void rewritePieces(const std::function<void(const AlignedText& from, const PieceRange&,
                                                AlignedText& to)>& rewrite);
};

}  // namespace attnscope::capture::detail
