#include "intervention_builder.h"

#include <Eigen/Core>

#include "attnscope/analysis/act_calibration.h"
#include "attnscope/capture/load_error.h"
#include "attnscope/ui/intervention_kinds.h"

namespace attnscope::ui::detail {
namespace {

using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// ACT calibration (§4.3) of one head's prefill map, as a PatternEdit. Maps that are not a
// whole causal prefill (decode rows, or rows another edit left invalid) pass unchanged.
at::Tensor actEdit(const at::Tensor& pattern, int64_t offset, float thres) {
    if (offset != 0 || pattern.dim() != 2 || pattern.size(0) != pattern.size(1)) return pattern;
    const at::Tensor p = pattern.to(at::kCPU, at::kFloat).contiguous();
    const auto n = static_cast<Eigen::Index>(p.size(0));
    const analysis::AttentionMap map = Eigen::Map<const RowMajor>(p.data_ptr<float>(), n, n);
    try {
        RowMajor out = analysis::actCalibrate(map, thres, kActBeta).calibrated;
        return at::from_blob(out.data(), {p.size(0), p.size(1)}, at::kFloat)
            .clone()
            .to(pattern.options());
    } catch (const std::invalid_argument&) {
        return pattern;
    }
}

}  // namespace

std::vector<capture::Intervention> buildInterventions(const Engine& engine,
                                                      const InterventionList& items) {
    std::vector<capture::Intervention> out;
    for (const InterventionItem& item : items) {
        if (!item.enabled) continue;
        const int64_t layer = item.layer;
        const std::vector<int64_t> heads{item.head};
        if (item.kind == kinds::kZeroAblation || item.kind == kinds::kMeanAblation) {
            capture::HeadAblation a;
            a.layer = layer;
            a.heads = heads;
            a.mode = item.kind == kinds::kZeroAblation ? capture::AblationMode::Zero
                                                       : capture::AblationMode::Mean;
            out.emplace_back(a);
        } else if (item.kind == kinds::kScale) {
            capture::HeadScale s;
            s.layer = layer;
            s.heads = heads;
            s.factor = item.param;
            out.emplace_back(s);
        } else if (item.kind == kinds::kSinkWindow) {
            capture::StreamingRestriction r;
            r.layer = layer;
            r.heads = heads;
            r.sinkTokens = kSinkTokens;
            r.window = item.param >= 1 ? static_cast<int64_t>(item.param) : kDefaultWindow;
            out.emplace_back(r);
        } else if (item.kind == kinds::kActCalibration) {
            const float thres = item.param > 0 ? static_cast<float>(item.param) : kActThreshold;
            capture::PatternEdit e;
            e.layer = layer;
            e.heads = heads;
            e.description = "ACT calibration (thres " + std::to_string(thres) + ")";
            e.edit = [thres](const at::Tensor& pattern, int64_t, int64_t offset) {
                return actEdit(pattern, offset, thres);
            };
            out.emplace_back(e);
        } else if (item.kind == kinds::kPatch) {
            const std::string hook = "blocks." + std::to_string(layer) + ".attn.hook_z";
            const auto it = engine.corrupted.hookZ.find(hook);
            if (engine.corrupted.ids.empty() || it == engine.corrupted.hookZ.end())
                throw capture::InputError("patching needs a second (corrupted) prompt");
            if (engine.corrupted.ids.size() != engine.baseline.ids.size())
                throw capture::InputError(
                    "patching needs a corrupted prompt with as many tokens as the prompt (" +
                    std::to_string(engine.corrupted.ids.size()) + " vs " +
                    std::to_string(engine.baseline.ids.size()) + ")");
            capture::HookPatch p;
            p.hook = hook;
            p.value = it->second;
            p.heads = heads;
            out.emplace_back(p);
        } else {
            throw capture::InputError("unknown intervention kind '" + item.kind.toStdString() +
                                      "'");
        }
    }
    return out;
}

}  // namespace attnscope::ui::detail
