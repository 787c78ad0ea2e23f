#include "attnscope/analysis/circuits/activation_patching.h"

#include <ATen/ATen.h>

#include <algorithm>

#include "attnscope/capture/capture_spec.h"
#include "attnscope/capture/load_error.h"
#include "attnscope/capture/transformer_model.h"
#include "patch_masks.h"

namespace attnscope::analysis::circuits {
namespace {

using capture::InputError;

struct SiteInfo {
    PatchSite site;
    const char* name;
    const char* hook;  // after "blocks.L."
};

const std::vector<SiteInfo>& sites() {
    static const std::vector<SiteInfo> table = {
        {PatchSite::Z, "z", "attn.hook_z"},
        {PatchSite::Q, "q", "attn.hook_q"},
        {PatchSite::K, "k", "attn.hook_k"},
        {PatchSite::V, "v", "attn.hook_v"},
        {PatchSite::Pattern, "pattern", "attn.hook_pattern"},  // [b, head, query, key]
        {PatchSite::ResidPre, "resid_pre", "hook_resid_pre"},
        {PatchSite::AttnOut, "attn_out", "hook_attn_out"},
        {PatchSite::MlpOut, "mlp_out", "hook_mlp_out"},
        {PatchSite::Embed, "embed", "hook_embed"},
    };
    return table;
}

const SiteInfo& info(PatchSite site) {
    return sites()[static_cast<size_t>(site)];
}

struct RowPatch {
    int64_t row;
    std::vector<int64_t> heads, positions;
};

}  // namespace

namespace detail {

at::Tensor idsOf(const std::vector<int64_t>& ids) {
    return at::tensor(ids, at::kLong).view({1, static_cast<int64_t>(ids.size())});
}

std::vector<int64_t> resolvePositions(const std::vector<int64_t>& positions, int64_t length) {
    std::vector<int64_t> out;
    for (int64_t p : positions) {
        const int64_t a = p < 0 ? length + p : p;
        if (a < 0 || a >= length)
            throw InputError("position " + std::to_string(p) + " is outside the prompt of " +
                             std::to_string(length) + " tokens");
        out.push_back(a);
    }
    return out;
}

at::Tensor axisMask(int64_t size, const std::vector<int64_t>& chosen, int64_t dim, int64_t rank,
                    const at::Device& device) {
    at::Tensor m = at::zeros({size}, at::TensorOptions().dtype(at::kBool));
    if (chosen.empty()) m.fill_(true);
    for (int64_t i : chosen)
        m[i] = true;
    std::vector<int64_t> shape(static_cast<size_t>(rank), 1);
    shape[static_cast<size_t>(dim)] = size;
    return m.view(shape).to(device);
}

int64_t variantsPerForward(int64_t maxBatch, int64_t length, int64_t count) {
    const int64_t rows = maxBatch > 0 ? maxBatch : std::max<int64_t>(1, kAutoBatchTokens / length);
    return std::max<int64_t>(1, std::min(rows, count));
}

void checkTarget(const capture::TransformerModel& model, const PatchTarget& t) {
    const int64_t layers = model.config().nLayers;
    if (t.site != PatchSite::Embed && (t.layer < 0 || t.layer >= layers))
        throw InputError("patch at " + std::string(patchSiteName(t.site)) + ": layer " +
                         std::to_string(t.layer) + " does not exist (the model has " +
                         std::to_string(layers) + " layers)");
    if (!t.heads.empty() && !isPerHeadSite(t.site))
        throw InputError(std::string("site ") + patchSiteName(t.site) + " has no heads");
    const int64_t heads = siteComponents(model, t.site);
    for (int64_t h : t.heads)
        if (h < 0 || h >= heads)
            throw InputError("patch at " + std::string(patchSiteName(t.site)) + ": head " +
                             std::to_string(h) + " does not exist (layer has " +
                             std::to_string(heads) + ")");
}

}  // namespace detail

using detail::axisMask;
using detail::checkTarget;
using detail::resolvePositions;

PatchSite parsePatchSite(const std::string& name) {
    for (const auto& s : sites())
        if (name == s.name) return s.site;
    throw InputError("unknown patch site '" + name +
                     "' (known: z, q, k, v, pattern, resid_pre, attn_out, mlp_out)");
}

const char* patchSiteName(PatchSite site) {
    return info(site).name;
}

std::string patchSiteHook(PatchSite site, int64_t layer) {
    if (site == PatchSite::Embed) return info(site).hook;
    return "blocks." + std::to_string(layer) + "." + info(site).hook;
}

bool isPerHeadSite(PatchSite site) {
    return siteHeadDim(site) >= 0;
}

// The capture module knows each hook's layout; the sites reuse it.
int64_t siteHeadDim(PatchSite site) {
    return capture::headDimOf(patchSiteHook(site, 0));
}

int64_t sitePositionDim(PatchSite site) {
    return capture::positionDimOf(patchSiteHook(site, 0));
}

int64_t siteComponents(const capture::TransformerModel& model, PatchSite site) {
    if (site == PatchSite::K || site == PatchSite::V) return model.config().nKvHeads;
    return isPerHeadSite(site) ? model.config().nHeads : 1;
}

PatchDirection parsePatchDirection(const std::string& name) {
    if (name == "noising") return PatchDirection::Noising;
    if (name == "denoising") return PatchDirection::Denoising;
    throw InputError("unknown patching direction '" + name + "' (known: noising, denoising)");
}

const char* patchDirectionName(PatchDirection direction) {
    return direction == PatchDirection::Noising ? "noising" : "denoising";
}

at::Tensor runWithCache(capture::TransformerModel& model, const at::Tensor& ids,
                        const std::vector<std::string>& hooks, HookActivations& cache) {
    capture::HookScope scope(model.hooks());
    for (const auto& name : hooks)
        scope.add(name, [&cache](at::Tensor& x, const capture::HookContext& ctx) {
            cache[ctx.name] = x;
        });
    return model.forward(ids).select(1, 0);  // [batch, vocab]
}

at::Tensor runPatchedVariants(capture::TransformerModel& model, const at::Tensor& baseIds,
                              const HookActivations& source,
                              const std::vector<std::vector<PatchTarget>>& variants,
                              int64_t maxBatch) {
    if (baseIds.dim() != 2 || baseIds.size(0) != 1)
        throw InputError("patched variants need one base prompt [1, pos]");
    const int64_t length = baseIds.size(1);
    const auto count = static_cast<int64_t>(variants.size());
    const int64_t chunk = detail::variantsPerForward(maxBatch, length, count);
    // Every target is checked before the first forward.
    std::vector<std::vector<PatchTarget>> resolved = variants;
    for (auto& v : resolved)
        for (auto& t : v) {
            checkTarget(model, t);
            t.positions = resolvePositions(t.positions, length);
            if (!source.count(patchSiteHook(t.site, t.layer)))
                throw InputError("the source run has no activation at '" +
                                 patchSiteHook(t.site, t.layer) + "'");
        }
    std::vector<at::Tensor> logits;
    for (int64_t from = 0; from < std::max<int64_t>(count, 1); from += chunk) {
        const int64_t rows = std::min(chunk, std::max<int64_t>(count - from, 1));
        // Targets by hook, as (row, heads, positions).
        std::map<std::string, std::pair<PatchSite, std::vector<RowPatch>>> byHook;
        for (int64_t r = 0; r < rows && from + r < count; ++r)
            for (const auto& t : resolved[static_cast<size_t>(from + r)]) {
                auto& entry = byHook[patchSiteHook(t.site, t.layer)];
                entry.first = t.site;
                entry.second.push_back({r, t.heads, t.positions});
            }
        capture::HookScope scope(model.hooks());
        for (auto& [hook, entry] : byHook) {
            const int64_t headDim = siteHeadDim(entry.first), posDim = sitePositionDim(entry.first);
            at::Tensor value = source.at(hook);
            scope.add(hook, [headDim, posDim, value, patches = entry.second](
                                at::Tensor& x, const capture::HookContext&) {
                // x [variants, ...]: each row takes its components from the source run.
                const int64_t rank = x.dim();
                at::Tensor mask;
                for (const RowPatch& p : patches) {
                    at::Tensor m = axisMask(x.size(0), {p.row}, 0, rank, x.device());
                    if (headDim >= 0)
                        m = m.logical_and(
                            axisMask(x.size(headDim), p.heads, headDim, rank, x.device()));
                    m = m.logical_and(
                        axisMask(x.size(posDim), p.positions, posDim, rank, x.device()));
                    mask = mask.defined() ? mask.logical_or(m) : m;
                }
                x = at::where(mask, value.to(x.scalar_type()).expand_as(x), x);
            });
        }
        logits.push_back(model.forward(baseIds.expand({rows, length}).contiguous()).select(1, 0));
    }
    at::Tensor all = at::cat(logits, 0);
    return count == 0 ? all.narrow(0, 0, 0) : all;
}

}  // namespace attnscope::analysis::circuits
