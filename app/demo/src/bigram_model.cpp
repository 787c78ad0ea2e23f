#include "attnscope/app/demo/bigram_model.h"

#include <algorithm>
#include <stdexcept>

namespace attnscope::app::demo {

BigramModel::BigramModel(std::vector<int64_t> words, uint64_t seed, int64_t successors)
    : m_words(std::move(words)) {
    if (m_words.empty() || successors < 1 || successors > static_cast<int64_t>(m_words.size()))
        throw std::invalid_argument("BigramModel: need 1 <= successors <= number of words");
    const int64_t maxId = *std::max_element(m_words.begin(), m_words.end());
    m_table.resize(static_cast<size_t>(maxId + 1));
    Rng rng(seed);
    for (const int64_t w : m_words) {
        auto next = sample(rng, m_words, successors);
        std::vector<std::pair<int64_t, double>> row;
        double total = 0;
        for (const int64_t n : next) {
            // Weights 1..4: some successors are clearly preferred, none is negligible.
            const double weight = 1.0 + 3.0 * uniformReal(rng);
            row.emplace_back(n, weight);
            total += weight;
        }
        for (auto& entry : row)
            entry.second /= total;
        m_table[static_cast<size_t>(w)] = std::move(row);
    }
}

const std::vector<std::pair<int64_t, double>>& BigramModel::successors(int64_t word) const {
    static const std::vector<std::pair<int64_t, double>> kNone;
    if (word < 0 || word >= static_cast<int64_t>(m_table.size())) return kNone;
    return m_table[static_cast<size_t>(word)];
}

int64_t BigramModel::next(Rng& rng, int64_t word) const {
    const auto& row = successors(word);
    if (row.empty()) return start(rng);
    double u = uniformReal(rng);
    for (const auto& [id, p] : row) {
        if (u < p) return id;
        u -= p;
    }
    return row.back().first;
}

}  // namespace attnscope::app::demo
