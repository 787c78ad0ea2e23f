#include "attnscope/analysis/head_table.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>

namespace attnscope::analysis {

bool operator==(const HeadId& a, const HeadId& b) {
    return a.layer == b.layer && a.head == b.head;
}

bool operator!=(const HeadId& a, const HeadId& b) {
    return !(a == b);
}

bool operator<(const HeadId& a, const HeadId& b) {
    return std::tie(a.layer, a.head) < std::tie(b.layer, b.head);
}

namespace {

void checkDims(int layers, int heads) {
    if (layers < 0 || heads < 0) {
        throw std::invalid_argument("HeadTable: layers and heads must be non-negative, got " +
                                    std::to_string(layers) + "x" + std::to_string(heads));
    }
}

}  // namespace

HeadTable::HeadTable(int layers_, int heads_, double fill) : layers(layers_), heads(heads_) {
    checkDims(layers, heads);
    values.assign(static_cast<std::size_t>(layers) * static_cast<std::size_t>(heads), fill);
}

HeadTable::HeadTable(int layers_, int heads_, std::vector<double> values_)
    : layers(layers_), heads(heads_), values(std::move(values_)) {
    checkDims(layers, heads);
    if (values.size() != static_cast<std::size_t>(layers) * static_cast<std::size_t>(heads)) {
        throw std::invalid_argument("HeadTable: " + std::to_string(values.size()) +
                                    " values do not fill a " + std::to_string(layers) + "x" +
                                    std::to_string(heads) + " table");
    }
}

std::size_t HeadTable::indexOf(int layer, int head) const {
    if (layer < 0 || layer >= layers || head < 0 || head >= heads) {
        throw std::out_of_range("HeadTable::at: (" + std::to_string(layer) + ", " +
                                std::to_string(head) + ") outside " + std::to_string(layers) + "x" +
                                std::to_string(heads));
    }
    return static_cast<std::size_t>(layer) * static_cast<std::size_t>(heads) +
           static_cast<std::size_t>(head);
}

double& HeadTable::at(int layer, int head) {
    return values[indexOf(layer, head)];
}

double HeadTable::at(int layer, int head) const {
    return values[indexOf(layer, head)];
}

std::vector<HeadId> topHeads(const HeadTable& table, int count) {
    if (count < 0) throw std::invalid_argument("topHeads: count must be >= 0");
    std::vector<HeadId> heads;
    for (int l = 0; l < table.layers; ++l) {
        for (int h = 0; h < table.heads; ++h) {
            if (!std::isnan(table.at(l, h))) heads.push_back({l, h});
        }
    }
    std::stable_sort(heads.begin(), heads.end(),
                     [&](const HeadId& a, const HeadId& b) { return table.at(a) > table.at(b); });
    if (heads.size() > static_cast<std::size_t>(count))
        heads.resize(static_cast<std::size_t>(count));
    return heads;
}

HeadTable expandKvHeads(const HeadTable& table, int queryHeads) {
    if (table.heads == queryHeads || table.values.empty()) return table;
    if (table.heads <= 0 || queryHeads % table.heads != 0)
        throw std::invalid_argument("expandKvHeads: " + std::to_string(queryHeads) +
                                    " query heads do not group into " +
                                    std::to_string(table.heads) + " KV heads");
    const int group = queryHeads / table.heads;
    HeadTable out(table.layers, queryHeads);
    for (int l = 0; l < table.layers; ++l)
        for (int h = 0; h < queryHeads; ++h)
            out.at(l, h) = table.at(l, h / group);
    return out;
}

}  // namespace attnscope::analysis
