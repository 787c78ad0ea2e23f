#pragma once
// Byte-pair encoding: start from characters (or bytes), then repeatedly merge the adjacent pair
// with the lowest merge rank, leftmost first, as the reference implementations do.
#include <array>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "token_model.h"
#include "word_cache.h"

namespace attnscope::capture::detail {

struct BpeOptions {
    std::optional<std::string> unkToken;
    std::string continuingSubwordPrefix;
    std::string endOfWordSuffix;
    bool fuseUnk = false;
    /// Characters not in the vocabulary become their UTF-8 bytes as "<0xAB>" tokens.
    bool byteFallback = false;
    /// A word that is itself in the vocabulary is one token, whatever the merges say.
    bool ignoreMerges = false;
};

class BpeModel : public TokenModel {
public:
    /// Merges are in rank order. Throws TokenizerError (without a file name) when a merge names
    /// a token that is not in the vocabulary or the unknown token is missing.
    BpeModel(Vocabulary vocabulary, const std::vector<std::pair<std::string, std::string>>& merges,
             BpeOptions options);

    void tokenize(std::string_view word, std::vector<ModelToken>& out) const override;
    const Vocabulary& vocabulary() const override { return m_vocabulary; }
    std::optional<int32_t> unkId() const override { return m_unkId; }

private:
    struct Merge {
        int32_t rank;
        int32_t mergedId;
    };
    static uint64_t pairKey(int32_t left, int32_t right) {
        return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) |
               static_cast<uint32_t>(right);
    }
    const Merge* findMerge(int32_t left, int32_t right) const;
    std::optional<int32_t> charId(std::string_view word, size_t begin, size_t end,
                                  uint32_t codePoint) const;
    void initialSymbols(std::string_view word, std::vector<ModelToken>& symbols) const;
    void mergeSymbols(std::vector<ModelToken>& symbols, std::vector<ModelToken>& out) const;

    Vocabulary m_vocabulary;
    BpeOptions m_options;
    std::optional<int32_t> m_unkId;
    std::unordered_map<uint64_t, Merge> m_merges;
    // Ids of single-character tokens, for the common case without prefix or suffix.
    std::vector<int32_t> m_smallCharIds;  // code points below kSmallChars
    std::unordered_map<uint32_t, int32_t> m_largeCharIds;
    std::array<int32_t, 256> m_byteIds{};  // "<0xAB>" tokens, -1 where missing
    WordCache m_cache;
    static constexpr uint32_t kSmallChars = 0x800;
};

}  // namespace attnscope::capture::detail
