#include "bpe_model.h"

#include <cstdio>
#include <queue>

#include "attnscope/capture/tokenizer_error.h"
#include "utf8.h"

namespace attnscope::capture::detail {

namespace {

std::string byteTokenName(unsigned char byte) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", byte);
    return name;
}

}  // namespace

BpeModel::BpeModel(Vocabulary vocabulary,
                   const std::vector<std::pair<std::string, std::string>>& merges,
                   BpeOptions options)
    : m_vocabulary(std::move(vocabulary)), m_options(std::move(options)) {
    if (m_options.unkToken) {
        m_unkId = m_vocabulary.find(*m_options.unkToken);
        if (!m_unkId)
            throw TokenizerError("unk_token '" + *m_options.unkToken +
                                 "' is not in the vocabulary");
    }
    const std::string& prefix = m_options.continuingSubwordPrefix;
    m_merges.reserve(merges.size());
    for (size_t rank = 0; rank < merges.size(); ++rank) {
        const std::string& left = merges[rank].first;
        const std::string& right = merges[rank].second;
        const auto describe = [&] {
            return "merge " + std::to_string(rank) + " ('" + left + "' '" + right + "')";
        };
        const auto leftId = m_vocabulary.find(left);
        if (!leftId)
            throw TokenizerError(describe() + ": token '" + left + "' is not in the vocabulary");
        const auto rightId = m_vocabulary.find(right);
        if (!rightId)
            throw TokenizerError(describe() + ": token '" + right + "' is not in the vocabulary");
        const bool rightHasPrefix = !prefix.empty() && right.compare(0, prefix.size(), prefix) == 0;
        const std::string merged = left + (rightHasPrefix ? right.substr(prefix.size()) : right);
        const auto mergedId = m_vocabulary.find(merged);
        if (!mergedId)
            throw TokenizerError(describe() + ": merged token '" + merged +
                                 "' is not in the vocabulary");
        // A repeated pair takes its later rank, as the reference loader's map insertion does.
        m_merges.insert_or_assign(pairKey(*leftId, *rightId),
                                  Merge{static_cast<int32_t>(rank), *mergedId});
    }

    m_smallCharIds.assign(kSmallChars, -1);
    for (int64_t id = 0; id < m_vocabulary.size(); ++id) {
        const std::string* token = m_vocabulary.tokenOf(id);
        if (token == nullptr || token->empty()) continue;
        size_t pos = 0;
        const uint32_t codePoint = decodeUtf8(*token, pos);
        if (pos != token->size()) continue;
        if (codePoint < kSmallChars)
            m_smallCharIds[codePoint] = static_cast<int32_t>(id);
        else
            m_largeCharIds.emplace(codePoint, static_cast<int32_t>(id));
    }
    for (int byte = 0; byte < 256; ++byte)
        m_byteIds[byte] =
            m_vocabulary.find(byteTokenName(static_cast<unsigned char>(byte))).value_or(-1);
}

const BpeModel::Merge* BpeModel::findMerge(int32_t left, int32_t right) const {
    const auto it = m_merges.find(pairKey(left, right));
    return it == m_merges.end() ? nullptr : &it->second;
}

std::optional<int32_t> BpeModel::charId(std::string_view word, size_t begin, size_t end,
                                        uint32_t codePoint) const {
    const bool withPrefix = begin > 0 && !m_options.continuingSubwordPrefix.empty();
    const bool withSuffix = end == word.size() && !m_options.endOfWordSuffix.empty();
    if (!withPrefix && !withSuffix) {
        if (codePoint < kSmallChars) {
            const int32_t id = m_smallCharIds[codePoint];
            return id >= 0 ? std::optional<int32_t>(id) : std::nullopt;
        }
        const auto it = m_largeCharIds.find(codePoint);
        return it == m_largeCharIds.end() ? std::nullopt : std::optional<int32_t>(it->second);
    }
    std::string token;
    if (withPrefix) token += m_options.continuingSubwordPrefix;
    token.append(word.substr(begin, end - begin));
    if (withSuffix) token += m_options.endOfWordSuffix;
    return m_vocabulary.find(token);
}

void BpeModel::initialSymbols(std::string_view word, std::vector<ModelToken>& symbols) const {
    size_t pos = 0;
    bool previousIsUnk = false;
    while (pos < word.size()) {
        const size_t begin = pos;
        const uint32_t codePoint = decodeUtf8(word, pos);
        const auto b = static_cast<uint32_t>(begin);
        const auto e = static_cast<uint32_t>(pos);
        if (const auto id = charId(word, begin, pos, codePoint)) {
            symbols.push_back({*id, b, e});
            previousIsUnk = false;
            continue;
        }
        if (m_options.byteFallback) {
            bool allBytesKnown = true;
            for (size_t i = begin; i < pos; ++i)
                allBytesKnown =
                    allBytesKnown && m_byteIds[static_cast<unsigned char>(word[i])] >= 0;
            if (allBytesKnown) {
                // One token per byte, each spanning exactly its byte.
                for (size_t i = begin; i < pos; ++i)
                    symbols.push_back({m_byteIds[static_cast<unsigned char>(word[i])],
                                       static_cast<uint32_t>(i), static_cast<uint32_t>(i + 1)});
                previousIsUnk = false;
                continue;
            }
        }
        if (!m_unkId) {
            char hex[16];
            std::snprintf(hex, sizeof hex, "U+%04X", codePoint);
            throw TokenizerError(std::string("character ") + hex +
                                 " is not in the vocabulary and the model has neither an "
                                 "unk_token nor byte fallback");
        }
        if (m_options.fuseUnk && previousIsUnk)
            symbols.back().end = e;
        else
            symbols.push_back({*m_unkId, b, e});
        previousIsUnk = true;
    }
}

void BpeModel::mergeSymbols(std::vector<ModelToken>& symbols, std::vector<ModelToken>& out) const {
    const auto count = static_cast<int32_t>(symbols.size());
    // A doubly linked list over the symbols; a merged-away symbol gets id -1.
    std::vector<int32_t> prev(symbols.size());
    std::vector<int32_t> next(symbols.size());
    for (int32_t i = 0; i < count; ++i) {
        prev[i] = i - 1;
        next[i] = i + 1 < count ? i + 1 : -1;
    }
    struct Candidate {
        int32_t rank;
        int32_t pos;
        int32_t mergedId;
        bool operator>(const Candidate& other) const {
            return rank != other.rank ? rank > other.rank : pos > other.pos;
        }
    };
    std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> queue;
    const auto consider = [&](int32_t left) {
        if (left < 0 || next[left] < 0) return;
        if (const Merge* merge = findMerge(symbols[left].id, symbols[next[left]].id))
            queue.push({merge->rank, left, merge->mergedId});
    };
    for (int32_t i = 0; i + 1 < count; ++i)
        consider(i);

    while (!queue.empty()) {
        const Candidate top = queue.top();
        queue.pop();
        const int32_t right = next[top.pos];
        if (symbols[top.pos].id < 0 || right < 0) continue;
        // Skip stale candidates: either side may have been merged since it was queued.
        const Merge* merge = findMerge(symbols[top.pos].id, symbols[right].id);
        if (merge == nullptr || merge->rank != top.rank || merge->mergedId != top.mergedId)
            continue;
        symbols[top.pos].id = top.mergedId;
        symbols[top.pos].end = symbols[right].end;
        symbols[right].id = -1;
        next[top.pos] = next[right];
        if (next[right] >= 0) prev[next[right]] = top.pos;
        consider(prev[top.pos]);
        consider(top.pos);
    }
    for (int32_t i = 0; i >= 0 && i < count; i = next[i])
        out.push_back(symbols[i]);
}

void BpeModel::tokenize(std::string_view word, std::vector<ModelToken>& out) const {
    if (m_options.ignoreMerges) {
        if (const auto id = m_vocabulary.find(word)) {
            out.push_back({*id, 0, static_cast<uint32_t>(word.size())});
            return;
        }
    }
    if (m_cache.find(word, out)) return;
    thread_local std::vector<ModelToken> symbols;
    symbols.clear();
    initialSymbols(word, symbols);
    const size_t first = out.size();
    mergeSymbols(symbols, out);
    m_cache.insert(word, out.data() + first, out.data() + out.size());
}

}  // namespace attnscope::capture::detail
