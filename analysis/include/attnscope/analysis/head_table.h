#pragma once

#include <cstddef>
#include <vector>

namespace attnscope::analysis {

/// One attention head, addressed by layer and query-head index (both 0-based).
struct HeadId {
    int layer = 0;
    int head = 0;
};

bool operator==(const HeadId& a, const HeadId& b);
bool operator!=(const HeadId& a, const HeadId& b);
/// Row-major order: by layer, then by head.
bool operator<(const HeadId& a, const HeadId& b);

/// A [layer, head] table of doubles, stored row-major (index = layer * heads + head).
/// Every per-head result of the analysis library is returned in this type.
struct HeadTable {
    int layers = 0;
    int heads = 0;
    std::vector<double> values;  // [layers * heads]

    HeadTable() = default;
    /// A layers x heads table filled with `fill`. Throws std::invalid_argument on negative sizes.
    HeadTable(int layers, int heads, double fill = 0.0);
    /// Wraps existing row-major values; throws std::invalid_argument if the size does not match.
    HeadTable(int layers, int heads, std::vector<double> values);

    /// Bounds-checked access; throws std::out_of_range.
    double& at(int layer, int head);
    double at(int layer, int head) const;
    double& at(const HeadId& id) { return at(id.layer, id.head); }
    double at(const HeadId& id) const { return at(id.layer, id.head); }

    /// layers * heads.
    int size() const { return layers * heads; }
    /// Row-major index of (layer, head) in `values`; throws std::out_of_range.
    std::size_t indexOf(int layer, int head) const;
};

/// The `count` heads with the largest values, in decreasing value; ties keep row-major order
/// and NaN values are skipped (fewer heads come back if fewer are not NaN). Used for "top-10
/// Ships heads per query" (§3.2) and "top-K retrieval heads" (§2.4). Throws
/// std::invalid_argument if count < 0.
std::vector<HeadId> topHeads(const HeadTable& table, int count);

/// A [layer, kv_head] table of a grouped-query model shown per query head: query head h takes
/// the value of its KV head h / (queryHeads / kvHeads), the grouping every GQA runtime uses.
/// A table that already has `queryHeads` columns is returned as it is. Throws
/// std::invalid_argument when queryHeads is not a multiple of the table's heads.
HeadTable expandKvHeads(const HeadTable& table, int queryHeads);

}  // namespace attnscope::analysis
