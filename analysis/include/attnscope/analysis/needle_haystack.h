#pragma once

#include <set>
#include <vector>

namespace attnscope::analysis {

/// numpy's np.round(np.linspace(start, stop, num)).astype(int): y[i] = start + i * step with
/// step = (stop - start) / (num - 1), the last point set to `stop` exactly, then rounded half
/// to even. num = 1 gives {round(start)}. Throws std::invalid_argument if num < 1.
std::vector<long long> roundedLinspace(double start, double stop, int num);

/// §2.3 context lengths: roundedLinspace(minLength, maxLength, intervals) (RH default 20
/// intervals; README run 0..50000), keeping only values inside [minLength, maxLength].
/// Throws std::invalid_argument if minLength > maxLength or intervals < 1.
std::vector<long long> contextLengthGrid(long long minLength, long long maxLength,
                                         int intervals = 20);

/// §2.3 depths in percent: roundedLinspace(minPercent, maxPercent, intervals); the default is
/// {0, 11, 22, 33, 44, 56, 67, 78, 89, 100}.
std::vector<long long> depthGrid(double minPercent = 0.0, double maxPercent = 100.0,
                                 int intervals = 10);

/// Result of the needle insertion on token ids.
struct NeedleInsertion {
    std::vector<int> ids;          ///< the context with the needle inserted (decode it to text)
    long long insertionPoint = 0;  ///< index of the first needle token in `ids`
};

/// RH default final_context_length_buffer.
inline constexpr long long kFinalContextLengthBuffer = 200;

/// §2.3 insert_needle on token ids:
///  1. budget = contextLength - buffer; if |ctx| + |needle| > budget, ctx = ctx[:budget -
///     |needle|] with Python slice semantics (a negative bound counts from the end, clamped
///     at 0: reference behaviour for tiny contexts).
///  2. depth == 100: append the needle. Otherwise ip = int(|ctx| * (depth / 100)), then
///     decrement ip until ctx[ip - 1] is a period token or ip = 0, and insert the needle at ip.
/// `periodTokenIds`: {29889, 869} for the LLaMA tokenizer, {842, 28723} for Mistral, else
/// the ids of encode("."). Throws std::invalid_argument if depth is outside [0, 100].
NeedleInsertion insertNeedle(const std::vector<int>& contextIds, const std::vector<int>& needleIds,
                             double depthPercent, long long contextLength,
                             const std::set<int>& periodTokenIds,
                             long long finalContextLengthBuffer = kFinalContextLengthBuffer);

}  // namespace attnscope::analysis
