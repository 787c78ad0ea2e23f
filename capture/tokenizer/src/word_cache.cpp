#include "word_cache.h"

#include <mutex>

namespace attnscope::capture::detail {

WordCache::Shard& WordCache::shardOf(std::string_view word, size_t& hash) const {
    hash = std::hash<std::string_view>{}(word);
    return m_shards[(hash >> 7) % kShards];
}

bool WordCache::find(std::string_view word, std::vector<ModelToken>& out) const {
    if (word.size() > kMaxWordBytes) return false;
    size_t hash = 0;
    Shard& shard = shardOf(word, hash);
    std::shared_lock lock(shard.mutex);
    const auto it = shard.tokens.find(word);
    if (it == shard.tokens.end()) return false;
    out.insert(out.end(), it->second.begin(), it->second.end());
    return true;
}

void WordCache::insert(std::string_view word, const ModelToken* begin,
                       const ModelToken* end) const {
    if (word.size() > kMaxWordBytes) return;
    size_t hash = 0;
    Shard& shard = shardOf(word, hash);
    std::unique_lock lock(shard.mutex);
    if (shard.tokens.count(word) != 0) return;
    if (shard.tokens.size() >= kMaxEntriesPerShard) {
        shard.tokens.clear();
        shard.words.clear();
    }
    const std::string& key = shard.words.emplace_back(word);
    shard.tokens.emplace(key, std::vector<ModelToken>(begin, end));
}

}  // namespace attnscope::capture::detail
