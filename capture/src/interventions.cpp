#include "attnscope/capture/interventions.h"

#include <limits>

#include "attnscope/capture/capture_spec.h"
#include "attnscope/capture/load_error.h"
#include "attnscope/capture/transformer_model.h"

namespace attnscope::capture {
namespace {

std::string layerHook(int64_t layer, const std::string& suffix) {
    return "blocks." + std::to_string(layer) + "." + suffix;
}

void checkHeads(const TransformerModel& model, int64_t layer, const std::vector<int64_t>& heads,
                int64_t headCount, const char* what) {
    if (layer < 0 || layer >= model.config().nLayers)
        throw InputError(std::string(what) + ": layer " + std::to_string(layer) +
                         " does not exist (the model has " +
                         std::to_string(model.config().nLayers) + " layers)");
    if (heads.empty()) throw InputError(std::string(what) + ": no heads given");
    for (int64_t h : heads)
        if (h < 0 || h >= headCount)
            throw InputError(std::string(what) + ": head " + std::to_string(h) +
                             " does not exist (layer has " + std::to_string(headCount) + ")");
}

// Index of the batch elements an intervention applies to, or all of them.
at::Tensor batchMask(int64_t batch, int64_t batchSize, const at::Device& device) {
    if (batch >= batchSize)
        throw InputError("intervention targets batch element " + std::to_string(batch) +
                         " but the batch has " + std::to_string(batchSize));
    auto m = at::zeros({batchSize}, at::TensorOptions().dtype(at::kBool).device(device));
    if (batch < 0)
        m.fill_(true);
    else
        m[batch] = true;
    return m;
}

// Mask over [batch, ..., head at headDim, ...] selecting the targeted batch rows and heads.
at::Tensor selectionMask(const at::Tensor& act, int64_t headDim, const std::vector<int64_t>& heads,
                         int64_t batch) {
    std::vector<int64_t> shape(act.dim(), 1);
    shape[0] = act.size(0);
    auto b = batchMask(batch, act.size(0), act.device()).view(shape);
    shape[0] = 1;
    shape[headDim] = act.size(headDim);
    auto h =
        at::zeros({act.size(headDim)}, at::TensorOptions().dtype(at::kBool).device(act.device()));
    for (int64_t head : heads)
        h[head] = true;
    return b.logical_and(h.view(shape));
}

void addAblation(HookScope& scope, const TransformerModel& model, const HeadAblation& a) {
    checkHeads(model, a.layer, a.heads, model.config().nHeads, "head ablation");
    if (a.mode == AblationMode::Resample && !a.replacement.defined())
        throw InputError("resample ablation needs z from another run");
    scope.add(layerHook(a.layer, "attn.hook_z"), [a](at::Tensor& z, const HookContext& ctx) {
        // z [batch, pos, head, d_head]
        const auto mask = selectionMask(z, 2, a.heads, a.batch);
        at::Tensor replacement;
        if (a.mode == AblationMode::Zero) {
            replacement = at::zeros_like(z);
        } else if (a.mode == AblationMode::Mean && !a.replacement.defined()) {
            replacement = z.mean(1, true).expand_as(z);
        } else {
            at::Tensor r = a.replacement.to(z.device(), z.scalar_type());
            if (a.mode == AblationMode::Resample || r.dim() == 3)  // [pos, head, d] of a run
                r = r.narrow(0, ctx.positionOffset, z.size(1)).unsqueeze(0);
            else if (r.dim() == 2)  // [pos, d]: the same mean for every selected head
                r = r.narrow(0, ctx.positionOffset, z.size(1)).unsqueeze(0).unsqueeze(2);
            replacement = r.expand_as(z);
        }
        z = at::where(mask, replacement, z);
    });
}

void addScale(HookScope& scope, const TransformerModel& model, const HeadScale& s) {
    const bool key = s.target == ScaleTarget::Key;
    checkHeads(model, s.layer, s.heads, key ? model.config().nKvHeads : model.config().nHeads,
               "head scaling");
    const char* hook = s.target == ScaleTarget::Output ? "attn.hook_z"
                       : key                           ? "attn.hook_k"
                                                       : "attn.hook_q";
    scope.add(layerHook(s.layer, hook), [s](at::Tensor& x, const HookContext&) {
        // x [batch, pos, head, d_head]; scaling q before RoPE equals scaling it after.
        x = at::where(selectionMask(x, 2, s.heads, s.batch), x * s.factor, x);
    });
}

void addPatch(HookScope& scope, const TransformerModel& model, const HookPatch& p) {
    model.hooks().at(p.hook);  // throws for unknown hooks
    if (!p.value.defined()) throw InputError("patch of '" + p.hook + "' has no value");
    const int64_t headDim = headDimOf(p.hook), posDim = positionDimOf(p.hook);
    if (!p.heads.empty() && headDim < 0)
        throw InputError("patch of '" + p.hook + "' names heads but the hook has none");
    scope.add(p.hook, [p, headDim, posDim](at::Tensor& x, const HookContext& ctx) {
        at::Tensor v = p.value.to(x.device(), x.scalar_type());
        if (v.dim() + 1 != x.dim())
            throw InputError("patch of '" + p.hook + "' has " + std::to_string(v.dim()) +
                             " dimensions; the activation without batch has " +
                             std::to_string(x.dim() - 1));
        if (v.size(posDim - 1) != x.size(posDim)) {
            if (v.size(posDim - 1) < ctx.positionOffset + x.size(posDim))
                throw InputError("patch of '" + p.hook + "' covers " +
                                 std::to_string(v.size(posDim - 1)) + " positions, fewer than " +
                                 "the run");
            v = v.narrow(posDim - 1, ctx.positionOffset, x.size(posDim));
        }
        v = v.unsqueeze(0);
        if (!v.sizes().slice(1).equals(x.sizes().slice(1)))
            throw InputError("patch of '" + p.hook + "' has the wrong shape for this activation");
        std::vector<int64_t> shape(x.dim(), 1);
        shape[0] = x.size(0);
        at::Tensor mask = batchMask(p.batch, x.size(0), x.device()).view(shape);
        if (!p.heads.empty()) mask = selectionMask(x, headDim, p.heads, p.batch);
        if (!p.positions.empty()) {
            auto pos = at::zeros({x.size(posDim)}, mask.options());
            for (int64_t a : p.positions)
                if (a >= ctx.positionOffset && a < ctx.positionOffset + x.size(posDim))
                    pos[a - ctx.positionOffset] = true;
            std::vector<int64_t> ps(x.dim(), 1);
            ps[posDim] = x.size(posDim);
            mask = mask.logical_and(pos.view(ps));
        }
        x = at::where(mask, v.expand_as(x), x);
    });
}

void addStreaming(HookScope& scope, const TransformerModel& model, const StreamingRestriction& s) {
    checkHeads(model, s.layer, s.heads, model.config().nHeads, "streaming restriction");
    if (s.sinkTokens < 0 || s.window < 1)
        throw InputError("streaming restriction needs sink >= 0 and window >= 1");
    scope.add(layerHook(s.layer, "attn.hook_attn_scores"), [s](at::Tensor& scores,
                                                               const HookContext& ctx) {
        // scores [batch, head, query, key]
        const int64_t q = scores.size(2), k = scores.size(3);
        auto opts = at::TensorOptions().dtype(at::kLong).device(scores.device());
        auto qi = at::arange(ctx.positionOffset, ctx.positionOffset + q, opts).unsqueeze(1);
        auto kj = at::arange(k, opts).unsqueeze(0);
        auto hidden = (kj >= s.sinkTokens).logical_and(kj <= qi - s.window);
        auto mask = selectionMask(scores, 1, s.heads, s.batch).logical_and(hidden);
        scores = scores.masked_fill(mask, -std::numeric_limits<float>::infinity());
    });
}

void addPatternEdit(HookScope& scope, const TransformerModel& model, const PatternEdit& e) {
    checkHeads(model, e.layer, e.heads, model.config().nHeads, "pattern edit");
    if (!e.edit) throw InputError("pattern edit has no callback");
    scope.add(layerHook(e.layer, "attn.hook_pattern"),
              [e](at::Tensor& pattern, const HookContext& ctx) {
                  at::Tensor edited = pattern.clone();
                  for (int64_t b = 0; b < pattern.size(0); ++b) {
                      if (e.batch >= 0 && b != e.batch) continue;
                      for (int64_t h : e.heads) {
                          at::Tensor out = e.edit(pattern[b][h], h, ctx.positionOffset);
                          if (!out.sizes().equals(pattern[b][h].sizes()))
                              throw InputError("pattern edit '" + e.description +
                                               "' returned the wrong shape");
                          edited[b][h].copy_(out);
                      }
                  }
                  pattern = edited;
              });
}

nlohmann::json describeOne(const Intervention& i) {
    return std::visit(
        [](const auto& v) -> nlohmann::json {
            using T = std::decay_t<decltype(v)>;
            nlohmann::json j{{"batch", v.batch}};
            if constexpr (std::is_same_v<T, HeadAblation>) {
                const char* modes[] = {"zero", "mean", "resample"};
                j.update({{"kind", "ablate"},
                          {"layer", v.layer},
                          {"heads", v.heads},
                          {"mode", modes[static_cast<int>(v.mode)]}});
            } else if constexpr (std::is_same_v<T, HeadScale>) {
                const char* targets[] = {"output", "query", "key"};
                j.update({{"kind", "scale"},
                          {"layer", v.layer},
                          {"heads", v.heads},
                          {"factor", v.factor},
                          {"target", targets[static_cast<int>(v.target)]}});
            } else if constexpr (std::is_same_v<T, HookPatch>) {
                j.update({{"kind", "patch"},
                          {"hook", v.hook},
                          {"heads", v.heads},
                          {"positions", v.positions}});
            } else if constexpr (std::is_same_v<T, StreamingRestriction>) {
                j.update({{"kind", "streaming"},
                          {"layer", v.layer},
                          {"heads", v.heads},
                          {"sink_tokens", v.sinkTokens},
                          {"window", v.window}});
            } else {
                j.update({{"kind", "pattern_edit"},
                          {"layer", v.layer},
                          {"heads", v.heads},
                          {"description", v.description}});
            }
            return j;
        },
        i);
}

}  // namespace

void applyInterventions(HookScope& scope, const TransformerModel& model,
                        const std::vector<Intervention>& interventions) {
    for (const auto& i : interventions) {
        std::visit(
            [&](const auto& v) {
                using T = std::decay_t<decltype(v)>;
                if constexpr (std::is_same_v<T, HeadAblation>)
                    addAblation(scope, model, v);
                else if constexpr (std::is_same_v<T, HeadScale>)
                    addScale(scope, model, v);
                else if constexpr (std::is_same_v<T, HookPatch>)
                    addPatch(scope, model, v);
                else if constexpr (std::is_same_v<T, StreamingRestriction>)
                    addStreaming(scope, model, v);
                else
                    addPatternEdit(scope, model, v);
            },
            i);
    }
}

nlohmann::json describeInterventions(const std::vector<Intervention>& interventions) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& i : interventions)
        out.push_back(describeOne(i));
    return out;
}

}  // namespace attnscope::capture
