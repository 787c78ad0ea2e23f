#pragma once

#include <Eigen/Core>
#include <vector>

#include "attnscope/analysis/head_table.h"

namespace attnscope::analysis {

/// A half-open token span [begin, end); {-1, -1} when not found.
struct TokenSpan {
    int begin = -1;
    int end = -1;
    bool found() const { return begin >= 0; }
};

/// §2.3 find_needle_idx: with m = |needleIds|, the first i such that
/// |set(P[i:i+m]) ∩ set(needleIds)| / |set(needleIds)| > 0.9 gives [i, i+m); the window is
/// shorter near the end of P, as Python slicing makes it, and `end` may then exceed |P|.
/// Returns {-1, -1} if no window qualifies. Throws std::invalid_argument on empty needleIds.
TokenSpan findNeedleSpan(const std::vector<int>& promptIds, const std::vector<int>& needleIds,
                         double overlapThreshold = 0.9);

/// §2.1 retrieval-score bookkeeping across NIAH instances (RH retrieval_head_detection.py:
/// retrieval_calculate, retrieval_head_accumulate, evaluate_and_log). Not thread-safe: one
/// owner feeds it from the decode loop.
///
/// Per instance: beginInstance(P, span); for each greedy decode step t, addStep(rows, w_t)
/// with the last query row of every head over all K cached keys (including the current
/// token) and the token w_t generated at that step (the stop token included); then
/// endInstance(rouge1 recall * 100).
class RetrievalScoreAccumulator {
public:
    /// Throws std::invalid_argument if layers or heads < 1.
    RetrievalScoreAccumulator(int layers, int heads);

    /// Starts an instance with the prompt ids P and the needle span [s, e) of P.
    /// Throws std::logic_error if an instance is already open.
    void beginInstance(std::vector<int> promptIds, TokenSpan needleSpan);

    /// One decode step. rows[l * heads + h] is head (l,h)'s attention row [K] for the current
    /// query. For every head: j* = argmax_k row[k] (first maximum on ties); if s <= j* < e and
    /// generatedToken == P[j*], the head scores += 1/(e - s) (at most once per step). A j*
    /// past the end of P never scores (the reference would fail indexing P there).
    /// Throws std::invalid_argument on a wrong row count or an empty row, std::logic_error
    /// outside an instance.
    void addStep(const std::vector<Eigen::VectorXf>& rows, int generatedToken);

    /// Ends the instance. Only if recall > 50 (strict, recall on the 0..100 scale) is every
    /// head's score of this instance appended to its list. Returns whether it was.
    /// Throws std::logic_error outside an instance.
    bool endInstance(double rougeRecallPercent);

    /// The running scores of the open instance (or of the last one).
    const HeadTable& instanceScores() const { return m_current; }

    /// RS[l,h] = mean of head (l,h)'s list; NaN for every head if no instance was appended.
    HeadTable meanScores() const;

    /// The per-head list of appended instance scores.
    const std::vector<double>& scoreList(int layer, int head) const;

    /// Number of instances whose scores were appended (recall > 50).
    int acceptedInstances() const { return m_accepted; }

    int layers() const { return m_layers; }
    int heads() const { return m_heads; }

private:
    int m_layers;
    int m_heads;
    bool m_open = false;
    std::vector<int> m_prompt;
    TokenSpan m_span;
    HeadTable m_current;
    std::vector<std::vector<double>> m_lists;  // [layers * heads]
    int m_accepted = 0;
};

/// §2.1 [PAPER] classification: the fraction of all heads with score > threshold (0.1). NaN
/// scores count as not above. Throws std::invalid_argument on an empty table.
double fractionAbove(const HeadTable& scores, double threshold = 0.1);

/// The heads with score > threshold, in row-major order.
std::vector<HeadId> headsAbove(const HeadTable& scores, double threshold = 0.1);

}  // namespace attnscope::analysis
