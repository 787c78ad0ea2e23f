// The ablation curve: many zero-ablated variants of one prompt, several per batched forward.
#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <utility>

#include "attnscope/capture/interventions.h"
#include "attnscope/capture/load_error.h"
#include "attnscope/capture/transformer_model.h"
#include "session_state.h"

namespace attnscope::app {
namespace {

// Variants per batched forward: enough to amortise the per-call overhead, few enough that a
// large model's activations stay small.
constexpr size_t kRowsPerForward = 16;

struct Head {
    int64_t layer = 0;
    int64_t head = 0;
};
using Order = std::vector<Head>;
// One variant of the prompt: the first `count` heads of `order` zero-ablated.
struct Row {
    const Order* order = nullptr;
    int count = 0;
};

// Scored heads, highest first; NaN marks heads the metric did not score, so they are left out.
// Ties keep (layer, head) order.
Order scoreOrder(const HeadScores& s) {
    std::vector<std::pair<double, Head>> scored;
    for (int l = 0; l < s.layers; ++l)
        for (int h = 0; h < s.heads; ++h)
            if (!std::isnan(s.at(l, h))) scored.push_back({s.at(l, h), {l, h}});
    std::stable_sort(scored.begin(), scored.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    Order order;
    for (const auto& entry : scored)
        order.push_back(entry.second);
    return order;
}

// The zero ablations of `rows`, row b on batch element b (one HeadAblation per layer and row).
std::vector<capture::Intervention> rowAblations(const std::vector<Row>& rows) {
    std::vector<capture::Intervention> out;
    for (size_t b = 0; b < rows.size(); ++b) {
        std::map<int64_t, std::vector<int64_t>> byLayer;
        for (int i = 0; i < rows[b].count; ++i)
            byLayer[(*rows[b].order)[i].layer].push_back((*rows[b].order)[i].head);
        for (auto& [layer, heads] : byLayer) {
            capture::HeadAblation a;
            a.layer = layer;
            a.heads = std::move(heads);
            a.mode = capture::AblationMode::Zero;
            a.batch = static_cast<int64_t>(b);
            out.emplace_back(std::move(a));
        }
    }
    return out;
}

// The probability of `token` at the last position for each row, in one batched forward, with
// the float64 softmax of the predictions.
std::vector<double> rowProbs(capture::TransformerModel& model, const std::vector<int64_t>& ids,
                             const std::vector<Row>& rows, int64_t token) {
    at::NoGradGuard noGrad;
    capture::HookScope scope(model.hooks());
    capture::applyInterventions(scope, model, rowAblations(rows));
    const auto n = static_cast<int64_t>(rows.size());
    const at::Tensor batch = at::tensor(ids, at::TensorOptions().dtype(at::kLong))
                                 .unsqueeze(0)
                                 .expand({n, -1})
                                 .contiguous();
    const at::Tensor logits = model.forward(batch).select(1, -1).to(at::kCPU);  // [row, vocab]
    const at::Tensor p = at::softmax(logits.to(at::kDouble), -1).select(1, token).contiguous();
    return {p.data_ptr<double>(), p.data_ptr<double>() + n};
}

}  // namespace

AblationCurve Session::ablationCurve(const AblationCurveRequest& request,
                                     const capture::Progress& progress) {
    Impl& d = *m_impl;
    const ModelSummary& m = d.summary;
    const HeadScores& scores = request.scores;
    if (!scores.valid() || scores.layers != m.layers || scores.heads != m.heads)
        throw capture::InputError("the score '" + scores.metric + "' does not cover the model's " +
                                  std::to_string(m.layers) + " layers x " +
                                  std::to_string(m.heads) + " heads");
    const PromptTokens tokens = d.tokensOf(request.prompt, request.promptIsIds);
    if (tokens.ids.empty()) throw capture::InputError("the prompt is empty");
    // Point 0 of every curve is the unedited run: the cached baseline when it is this prompt's.
    const CachedRun& baseline = d.unedited(d.baseline, tokens);
    const Order byScore = scoreOrder(scores);
    if (byScore.empty())
        throw capture::InputError("the score '" + scores.metric +
                                  "' has no value to order heads by");
    const int n = std::clamp(request.maxHeads, 0, static_cast<int>(byScore.size()));
    const at::Tensor& baseProbs = baseline.probs;  // [vocab] float64
    const int64_t token = std::get<1>(baseProbs.topk(1))[0].item<int64_t>();
    const double p0 = baseProbs[token].item<double>();

    // Random orders of the same scored heads: only the order differs from the score's curve.
    std::vector<Order> orders{byScore};
    std::mt19937_64 rng(request.seed);
    for (int r = 0; r < request.randomOrders; ++r) {
        Order o = byScore;
        std::shuffle(o.begin(), o.end(), rng);
        orders.push_back(std::move(o));
    }
    std::vector<Row> rows;
    for (const Order& o : orders)
        for (int k = 1; k <= n; ++k)
            rows.push_back({&o, k});
    std::vector<double> measured;
    for (size_t start = 0; start < rows.size(); start += kRowsPerForward) {
        progress.check();
        const std::vector<Row> chunk(rows.begin() + start,
                                     rows.begin() + std::min(rows.size(), start + kRowsPerForward));
        const std::vector<double> p = rowProbs(*d.opened.model, tokens.ids, chunk, token);
        measured.insert(measured.end(), p.begin(), p.end());
        progress.report(static_cast<double>(measured.size()) / rows.size(),
                        std::to_string(measured.size()) + " of " + std::to_string(rows.size()) +
                            " ablated runs");
    }

    AblationCurve c;
    c.metric = "p(\u201c" + tokenDisplay(d.opened, token) + "\u201d)";
    c.score = request.scoreLabel.empty() ? scores.metric : request.scoreLabel;
    const int draws = request.randomOrders;
    for (int k = 0; k <= n; ++k) {
        c.headsRemoved.push_back(k);
        c.byScore.push_back(k == 0 ? p0 : measured[k - 1]);
        if (draws <= 0) continue;
        const auto drawn = [&](int r) {  // order r >= 1 with k heads removed
            return k == 0 ? p0 : measured[static_cast<size_t>(r) * n + k - 1];
        };
        double mean = 0, var = 0;
        for (int r = 1; r <= draws; ++r)
            mean += drawn(r) / draws;
        for (int r = 1; r <= draws; ++r)
            var += (drawn(r) - mean) * (drawn(r) - mean) / draws;
        c.random.push_back(mean);
        c.randomStd.push_back(std::sqrt(var));  // population spread: 0 for a single draw
    }
    return c;
}

}  // namespace attnscope::app
