#pragma once
// A bounded cache from words to their tokens, shared by all threads that use one tokenizer.
#include <array>
#include <deque>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "token_model.h"

namespace attnscope::capture::detail {

class WordCache {
public:
    /// Words longer than this are not cached: they rarely repeat.
    static constexpr size_t kMaxWordBytes = 64;

    /// Appends the cached tokens of `word` to `out` and returns true, or returns false.
    bool find(std::string_view word, std::vector<ModelToken>& out) const;
    void insert(std::string_view word, const ModelToken* begin, const ModelToken* end) const;

private:
    static constexpr size_t kShards = 16;
    static constexpr size_t kMaxEntriesPerShard = 16384;
    struct Shard {
        // Readers share the lock; a full shard is emptied rather than evicted entry by entry.
        mutable std::shared_mutex mutex;
        std::deque<std::string> words;  // owns the keys; a deque never moves its elements
        std::unordered_map<std::string_view, std::vector<ModelToken>> tokens;
    };
    Shard& shardOf(std::string_view word, size_t& hash) const;
    mutable std::array<Shard, kShards> m_shards;
};

}  // namespace attnscope::capture::detail
