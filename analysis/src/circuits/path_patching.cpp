#include "attnscope/analysis/circuits/path_patching.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "attnscope/capture/load_error.h"
#include "attnscope/capture/transformer_model.h"
#include "patch_masks.h"

namespace attnscope::analysis::circuits {
namespace {

using capture::InputError;
using detail::axisMask;

struct Sender {
    int64_t layer, head;
};

std::string zHook(int64_t layer) {
    return patchSiteHook(PatchSite::Z, layer);
}

// Mask over a receiver's activation [rows, ...]: its heads at `positions`.
at::Tensor receiverMask(const PathReceiver& r, const at::Tensor& x,
                        const std::vector<int64_t>& positions) {
    const int64_t rank = x.dim(), headDim = siteHeadDim(r.site);
    const int64_t posDim = sitePositionDim(r.site);
    at::Tensor m = axisMask(x.size(posDim), positions, posDim, rank, x.device());
    if (headDim >= 0)
        m = m.logical_and(axisMask(x.size(headDim), r.heads, headDim, rank, x.device()));
    return m;
}

void checkReceivers(const capture::TransformerModel& model, const PathPatchingOptions& o) {
    if (o.receivers.empty()) throw InputError("path patching needs at least one receiver");
    for (const auto& r : o.receivers) {
        if (r.site != PatchSite::Q && r.site != PatchSite::K && r.site != PatchSite::V &&
            r.site != PatchSite::Z && r.site != PatchSite::ResidPre)
            throw InputError(std::string("path patching receivers are q, k, v, z or resid_pre; "
                                         "not ") +
                             patchSiteName(r.site));
        detail::checkTarget(model, PatchTarget{r.site, r.layer, r.heads, {}});
    }
}

}  // namespace

PathPatchingResult pathPatching(capture::TransformerModel& model,
                                const std::vector<PromptPair>& pairs,
                                const PathPatchingOptions& options,
                                const capture::Progress& progress) {
    validatePromptPairs(pairs, model.config().vocabSize);
    checkReceivers(model, options);
    at::NoGradGuard noGrad;
    const int64_t L = model.config().nLayers, H = model.config().nHeads;

    // Senders: heads of layers before every receiver, except heads whose z is a receiver.
    int64_t senderLayers = L;
    std::vector<std::vector<bool>> receivesZ(static_cast<size_t>(L), std::vector<bool>(H, false));
    for (const auto& r : options.receivers) {
        senderLayers = std::min(senderLayers, r.layer);
        if (r.site == PatchSite::Z)
            for (int64_t h = 0; h < H; ++h)
                if (r.heads.empty() || std::count(r.heads.begin(), r.heads.end(), h))
                    receivesZ[r.layer][h] = true;
    }
    std::vector<Sender> senders;
    for (int64_t l = 0; l < senderLayers; ++l)
        for (int64_t h = 0; h < H; ++h)
            if (!receivesZ[l][h]) senders.push_back({l, h});
    PathPatchingResult result;
    result.scores.assign(static_cast<size_t>(L),
                         std::vector<double>(H, std::numeric_limits<double>::quiet_NaN()));
    if (senders.empty()) return result;
    const auto S = static_cast<int64_t>(senders.size());

    std::vector<std::string> zHooks, mlpHooks;
    for (int64_t l = 0; l < L; ++l) {
        zHooks.push_back(zHook(l));
        mlpHooks.push_back(patchSiteHook(PatchSite::MlpOut, l));
    }
    std::vector<std::string> cleanHooks = zHooks;
    if (options.freezeMlps) cleanHooks.insert(cleanHooks.end(), mlpHooks.begin(), mlpHooks.end());

    at::Tensor patchedSum = at::zeros({S}, at::kDouble);
    double cleanSum = 0, corruptedSum = 0;
    const auto n = static_cast<int64_t>(pairs.size());
    for (int64_t i = 0; i < n; ++i) {
        progress.check();
        progress.report(static_cast<double>(i) / static_cast<double>(n), "path patching");
        const PromptPair& p = pairs[static_cast<size_t>(i)];
        const at::Tensor answer = at::tensor({p.answer}, at::kLong);
        const at::Tensor wrong = at::tensor({p.wrong}, at::kLong);
        const at::Tensor clean = detail::idsOf(p.clean);
        const auto T = static_cast<int64_t>(p.clean.size());
        const auto positions = detail::resolvePositions(options.positions, T);
        HookActivations cleanCache, corruptedCache;
        cleanSum +=
            logitDifference(runWithCache(model, clean, cleanHooks, cleanCache).to(at::kFloat),
                            answer, wrong)
                .item<double>();
        corruptedSum +=
            logitDifference(runWithCache(model, detail::idsOf(p.corrupted), zHooks, corruptedCache)
                                .to(at::kFloat),
                            answer, wrong)
                .item<double>();
        const at::Tensor ids = clean.expand({S, T}).contiguous();

        // Run 1: each row patches its sender and freezes every other head (and the MLPs).
        HookActivations recorded;
        {
            capture::HookScope scope(model.hooks());
            for (int64_t l = 0; l < L; ++l) {
                at::Tensor freeze = at::ones({1, 1, H, 1}, at::kBool);  // [rows, pos, head, d]
                for (int64_t h = 0; h < H; ++h)
                    if (receivesZ[l][h]) freeze[0][0][h][0] = false;
                at::Tensor sender = at::zeros({S, 1, H, 1}, at::kBool);
                for (int64_t r = 0; r < S; ++r)
                    if (senders[r].layer == l) sender[r][0][senders[r].head][0] = true;
                const at::Tensor pos = axisMask(T, positions, 1, 4, at::kCPU);
                sender = sender.logical_and(pos);
                scope.add(zHooks[l], [freeze, sender, c = cleanCache.at(zHooks[l]),
                                      x0 = corruptedCache.at(zHooks[l])](
                                         at::Tensor& z, const capture::HookContext&) {
                    const auto dev = z.device();
                    z = at::where(freeze.to(dev), c.to(z.scalar_type()).expand_as(z), z);
                    z = at::where(sender.to(dev), x0.to(z.scalar_type()).expand_as(z), z);
                });
                if (options.freezeMlps)
                    scope.add(mlpHooks[l], [c = cleanCache.at(mlpHooks[l])](
                                               at::Tensor& x, const capture::HookContext&) {
                        x = c.to(x.scalar_type()).expand_as(x);
                    });
            }
            for (const auto& r : options.receivers) {
                const std::string hook = patchSiteHook(r.site, r.layer);
                if (!recorded.count(hook))
                    scope.add(hook, [&recorded](at::Tensor& x, const capture::HookContext& ctx) {
                        recorded[ctx.name] = x;
                    });
            }
            model.forward(ids);
        }
        // Run 2: the clean run with only the receivers set to what run 1 recorded.
        at::Tensor logits;
        {
            capture::HookScope scope(model.hooks());
            for (const auto& r : options.receivers) {
                const std::string hook = patchSiteHook(r.site, r.layer);
                scope.add(hook, [r, positions, value = recorded.at(hook)](
                                    at::Tensor& x, const capture::HookContext&) {
                    x = at::where(receiverMask(r, x, positions), value.to(x.scalar_type()), x);
                });
            }
            logits = model.forward(ids).select(1, 0).to(at::kFloat);
        }
        result.forwards += 4;
        patchedSum +=
            logitDifference(logits, answer.expand({S}), wrong.expand({S})).to(at::kDouble).cpu();
    }
    result.clean = cleanSum / static_cast<double>(n);
    result.corrupted = corruptedSum / static_cast<double>(n);
    const at::Tensor patched = patchedSum / static_cast<double>(n);
    const double span = result.corrupted - result.clean;
    for (int64_t r = 0; r < S; ++r)
        result.scores[senders[r].layer][senders[r].head] =
            span == 0.0 ? std::numeric_limits<double>::quiet_NaN()
                        : (patched[r].item<double>() - result.clean) / span;
    progress.report(1.0, "path patching done");
    return result;
}

}  // namespace attnscope::analysis::circuits
