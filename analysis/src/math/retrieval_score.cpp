#include "attnscope/analysis/retrieval_score.h"

#include <limits>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>

namespace attnscope::analysis {

TokenSpan findNeedleSpan(const std::vector<int>& promptIds, const std::vector<int>& needleIds,
                         double overlapThreshold) {
    if (needleIds.empty()) throw std::invalid_argument("findNeedleSpan: empty needle");
    const std::set<int> needleSet(needleIds.begin(), needleIds.end());
    const std::size_t m = needleIds.size();
    for (std::size_t i = 0; i < promptIds.size(); ++i) {
        const std::size_t stop = std::min(promptIds.size(), i + m);
        const std::set<int> window(promptIds.begin() + static_cast<std::ptrdiff_t>(i),
                                   promptIds.begin() + static_cast<std::ptrdiff_t>(stop));
        std::size_t shared = 0;
        for (int id : window)
            shared += needleSet.count(id);
        if (double(shared) / double(needleSet.size()) > overlapThreshold) {
            return {static_cast<int>(i), static_cast<int>(i + m)};
        }
    }
    return {};
}

RetrievalScoreAccumulator::RetrievalScoreAccumulator(int layers, int heads)
    : m_layers(layers), m_heads(heads) {
    if (layers < 1 || heads < 1) {
        throw std::invalid_argument("RetrievalScoreAccumulator: need at least one layer and head");
    }
    m_current = HeadTable(layers, heads, 0.0);
    m_lists.resize(static_cast<std::size_t>(layers) * static_cast<std::size_t>(heads));
}

void RetrievalScoreAccumulator::beginInstance(std::vector<int> promptIds, TokenSpan needleSpan) {
    if (m_open) throw std::logic_error("RetrievalScoreAccumulator: instance already open");
    m_prompt = std::move(promptIds);
    m_span = needleSpan;
    m_current = HeadTable(m_layers, m_heads, 0.0);
    m_open = true;
}

void RetrievalScoreAccumulator::addStep(const std::vector<Eigen::VectorXf>& rows,
                                        int generatedToken) {
    if (!m_open) throw std::logic_error("RetrievalScoreAccumulator::addStep: no open instance");
    if (rows.size() != m_lists.size()) {
        throw std::invalid_argument("RetrievalScoreAccumulator::addStep: got " +
                                    std::to_string(rows.size()) + " attention rows for " +
                                    std::to_string(m_lists.size()) + " heads");
    }
    if (!m_span.found() || m_span.end <= m_span.begin) return;  // no head can score
    const double increment = 1.0 / double(m_span.end - m_span.begin);
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const Eigen::VectorXf& row = rows[i];
        if (row.size() == 0) {
            throw std::invalid_argument("RetrievalScoreAccumulator::addStep: empty row for head " +
                                        std::to_string(i));
        }
        Eigen::Index best = 0;
        row.maxCoeff(&best);  // first maximum
        const bool inSpan = best >= m_span.begin && best < m_span.end;
        if (inSpan && best < static_cast<Eigen::Index>(m_prompt.size()) &&
            m_prompt[static_cast<std::size_t>(best)] == generatedToken) {
            m_current.values[i] += increment;
        }
    }
}

bool RetrievalScoreAccumulator::endInstance(double rougeRecallPercent) {
    if (!m_open) throw std::logic_error("RetrievalScoreAccumulator::endInstance: no instance");
    m_open = false;
    if (!(rougeRecallPercent > 50.0)) return false;
    for (std::size_t i = 0; i < m_lists.size(); ++i)
        m_lists[i].push_back(m_current.values[i]);
    ++m_accepted;
    return true;
}

HeadTable RetrievalScoreAccumulator::meanScores() const {
    HeadTable out(m_layers, m_heads, std::numeric_limits<double>::quiet_NaN());
    for (std::size_t i = 0; i < m_lists.size(); ++i) {
        if (m_lists[i].empty()) continue;
        double sum = 0.0;
        for (double v : m_lists[i])
            sum += v;
        out.values[i] = sum / double(m_lists[i].size());
    }
    return out;
}

const std::vector<double>& RetrievalScoreAccumulator::scoreList(int layer, int head) const {
    return m_lists[m_current.indexOf(layer, head)];
}

double fractionAbove(const HeadTable& scores, double threshold) {
    if (scores.values.empty()) throw std::invalid_argument("fractionAbove: empty table");
    std::size_t above = 0;
    for (double v : scores.values) {
        if (v > threshold) ++above;
    }
    return double(above) / double(scores.values.size());
}

std::vector<HeadId> headsAbove(const HeadTable& scores, double threshold) {
    std::vector<HeadId> out;
    for (int l = 0; l < scores.layers; ++l) {
        for (int h = 0; h < scores.heads; ++h) {
            if (scores.at(l, h) > threshold) out.push_back({l, h});
        }
    }
    return out;
}

}  // namespace attnscope::analysis
