#include "head_shaping.h"

#include <algorithm>

#include "attnscope/capture/transformer_model.h"

namespace attnscope::app::demo {
namespace {

// [K, B, T, T]: 1/n at (row, key) of each source kind for a sequence with n rows, so that
// summing a head's masked pattern gives its mean attention on a kind's keys per row.
at::Tensor keyMask(const std::vector<ShapedRows>& batch, int64_t kinds, int64_t length) {
    at::Tensor mask = at::zeros({kinds, static_cast<int64_t>(batch.size()), length, length});
    auto a = mask.accessor<float, 4>();
    for (size_t i = 0; i < batch.size(); ++i) {
        const ShapedRows& s = batch[i];
        if (s.rows.empty()) continue;
        const float w = 1.0f / static_cast<float>(s.rows.size());
        for (size_t kind = 0; kind < s.keys.size(); ++kind)
            for (const int64_t q : s.rows)
                for (const int64_t k : s.keys[kind])
                    a[static_cast<int64_t>(kind)][static_cast<int64_t>(i)][q][k] = w;
    }
    return mask;
}

int64_t sourceKindCount(const std::vector<ShapedRows>& batch) {
    size_t kinds = 1;
    for (const ShapedRows& s : batch)
        kinds = std::max(kinds, s.keys.size());
    return static_cast<int64_t>(kinds);
}

}  // namespace

HeadShaping::HeadShaping(capture::TransformerModel& model, const HeadRole& role,
                         const std::vector<ShapedRows>& batch, int64_t length, Rng& rng)
    : m_scope(model.hooks()) {
    const int64_t layers = model.config().nLayers, heads = model.config().nHeads;
    const int64_t kinds = sourceKindCount(batch);
    m_keys = keyMask(batch, kinds, length).unsqueeze(2);
    // Every head outside the role is penalised on every kind; a role head with a kind of its
    // own on the others.
    m_penalised = at::ones({layers, kinds, 1, heads});
    std::vector<char> inRole(static_cast<size_t>(layers * heads), 0);
    for (size_t i = 0; i < role.heads.size(); ++i) {
        const auto [layer, head] = role.heads[i];
        inRole[static_cast<size_t>(layer * heads + head)] = 1;
        for (int64_t kind = 0; kind < kinds; ++kind)
            if (role.sourceKinds.empty() || role.sourceKinds[i] == kind)
                m_penalised[layer][kind][0][head] = 0.0;
    }
    std::vector<std::pair<int64_t, int64_t>> candidates;
    for (int64_t l = 0; l < layers; ++l)
        for (int64_t h = 0; h < heads; ++h)
            if (!inRole[static_cast<size_t>(l * heads + h)]) candidates.emplace_back(l, h);
    const auto penalisedHeads = (m_penalised.amax({1, 2}) > 0).sum().item<int64_t>();
    m_divisor = static_cast<double>(static_cast<int64_t>(batch.size()) * penalisedHeads);

    const auto count = static_cast<int64_t>(batch.size());
    const auto dropout = std::min<int64_t>(role.dropout, static_cast<int64_t>(candidates.size()));
    const bool anyRoleDropped = std::any_of(batch.begin(), batch.end(), [](const ShapedRows& s) {
        return !s.droppedRoleHeads.empty();
    });
    if (dropout > 0 || anyRoleDropped) {
        m_dropped = at::zeros({layers, count, heads, length, 1});
        auto d = m_dropped.accessor<float, 5>();
        for (int64_t b = 0; b < count; ++b) {
            const ShapedRows& s = batch[static_cast<size_t>(b)];
            std::vector<std::pair<int64_t, int64_t>> drop = s.droppedRoleHeads;
            if (dropout > 0) {
                std::shuffle(candidates.begin(), candidates.end(), rng);
                drop.insert(drop.end(), candidates.begin(), candidates.begin() + dropout);
            }
            for (const auto& [l, h] : drop)
                for (const int64_t q : s.droppedRows)
                    d[l][b][h][q][0] = 1.0f;
        }
        const at::Tensor counts = at::arange(1, length + 1, at::kFloat).unsqueeze(1);
        m_uniform = at::ones({length, length}).tril() / counts;
    }
    m_scope.addMatching("blocks.*.attn.hook_pattern",
                        [this](at::Tensor& pattern, const capture::HookContext& ctx) {
                            onPattern(pattern, ctx.layer);
                        });
}

void HeadShaping::onPattern(at::Tensor& pattern, int64_t layer) {
    if (m_dropped.defined()) {
        const at::Tensor drop = m_dropped[layer];
        pattern = pattern * (1 - drop) + m_uniform * drop;
    }
    // [K, B, H]: each head's mean attention on each kind's keys per row.
    const at::Tensor mass = (pattern.unsqueeze(0) * m_keys).sum({3, 4});
    const at::Tensor term = (mass * m_penalised[layer]).sum();
    m_sum = m_sum.defined() ? m_sum + term : term;
}

at::Tensor HeadShaping::penalty() const {
    return m_sum.defined() ? m_sum / std::max(1.0, m_divisor) : at::zeros({});
}

SinkShaping::SinkShaping(capture::TransformerModel& model, const SinkRole& role,
                         const std::vector<Example>& batch, int64_t length)
    : m_scope(model.hooks()), m_role(role) {
    const auto count = static_cast<int64_t>(batch.size());
    m_ordinary = at::zeros({count, length});
    m_trigger = at::zeros({count, length});
    auto ordinary = m_ordinary.accessor<float, 2>();
    auto trigger = m_trigger.accessor<float, 2>();
    for (int64_t b = 0; b < count; ++b) {
        const Example& ex = batch[static_cast<size_t>(b)];
        std::vector<char> isTrigger(ex.tokens.size(), 0);
        for (const auto& unit : ex.units)
            for (const int64_t p : unit)
                isTrigger[static_cast<size_t>(p)] = 1;
        const auto triggers = std::count(isTrigger.begin(), isTrigger.end(), char{1});
        const auto others = static_cast<int64_t>(ex.tokens.size()) - 1 - triggers;
        for (int64_t p = 1; p < static_cast<int64_t>(ex.tokens.size()); ++p) {
            if (isTrigger[static_cast<size_t>(p)])
                trigger[b][p] = 1.0f / static_cast<float>(triggers);
            else
                ordinary[b][p] = 1.0f / static_cast<float>(others);
        }
    }
    const auto sequences = static_cast<double>(std::max<int64_t>(1, count));
    m_scope.addMatching(
        "blocks.*.attn.hook_pattern",
        [this, sequences](at::Tensor& pattern, const capture::HookContext& ctx) {
            // [B, H, T]: every head's attention on key 0 from every query.
            const at::Tensor bos = pattern.select(3, 0);
            const auto [layer, head] = m_role.head;
            if (ctx.layer == layer) {
                const at::Tensor a = bos.select(1, head);
                const at::Tensor dormant = at::relu(m_role.dormantFloor - a) * m_ordinary;
                const at::Tensor active = at::relu(a - m_role.activeCeiling) * m_trigger;
                m_value = (dormant.sum() + active.sum()) / sequences;
            }
            if (m_role.othersMaxGap >= 1.0) return;
            // [B, H]: each head's mean at the ordinary positions less its mean at the triggers
            // (sequences without triggers have no gap).
            const at::Tensor gap =
                (bos * m_ordinary.unsqueeze(1)).sum(2) - (bos * m_trigger.unsqueeze(1)).sum(2);
            at::Tensor over = at::relu(gap - m_role.othersMaxGap) *
                              (m_trigger.sum(1, true) > 0).to(gap.scalar_type());
            if (ctx.layer == layer) over = over.index_fill(1, at::tensor({head}), 0.0);
            const at::Tensor term = over.sum() / sequences;
            m_others = m_others.defined() ? m_others + term : term;
        });
}

at::Tensor SinkShaping::shortfall() const {
    at::Tensor total = m_value.defined() ? m_value : at::zeros({});
    return m_others.defined() ? total + m_others : total;
}

}  // namespace attnscope::app::demo
