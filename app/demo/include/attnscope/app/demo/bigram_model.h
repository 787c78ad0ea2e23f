#pragma once
// The fixed random bigram model behind Bigram-Backcopy text and the needle task's haystack.
#include <cstdint>
#include <vector>

#include "attnscope/app/demo/demo_random.h"

namespace attnscope::app::demo {

class BigramModel {
public:
    /// Each of `words` gets `successors` distinct successors among `words` with random weights,
    /// all drawn from `seed`.
    BigramModel(std::vector<int64_t> words, uint64_t seed, int64_t successors = 6);

    const std::vector<int64_t>& words() const { return m_words; }
    /// The successors of `word` and their probabilities (summing to 1); empty for other ids.
    const std::vector<std::pair<int64_t, double>>& successors(int64_t word) const;
    /// A successor of `word` drawn from its distribution.
    int64_t next(Rng& rng, int64_t word) const;
    /// A word drawn uniformly (the first word of a text).
    int64_t start(Rng& rng) const { return pick(rng, m_words); }

private:
    std::vector<int64_t> m_words;
    std::vector<std::vector<std::pair<int64_t, double>>> m_table;  // indexed by word id
};

}  // namespace attnscope::app::demo
