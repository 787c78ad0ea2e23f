// Edit (the shared vocabulary) -> capture::Intervention (the runtime's value objects).
#include <Eigen/Core>

#include <algorithm>

#include "attnscope/analysis/act_calibration.h"
#include "attnscope/analysis/attention_edits.h"
#include "attnscope/app/edit_interventions.h"
#include "attnscope/capture/interventions.h"
#include "attnscope/capture/load_error.h"
#include "attnscope/capture/transformer_model.h"
#include "session_state.h"

namespace attnscope::app {
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
        RowMajor out = analysis::actCalibrate(map, thres, static_cast<float>(kActBeta)).calibrated;
        return at::from_blob(out.data(), {p.size(0), p.size(1)}, at::kFloat)
            .clone()
            .to(pattern.options());
    } catch (const std::invalid_argument&) {
        return pattern;
    }
}

}  // namespace

std::vector<capture::Intervention> toInterventions(
    const EditList& edits, int layers, int heads, size_t promptLength,
    const std::map<std::string, at::Tensor>* corruptedZ, size_t corruptedLength) {
    checkEdits(edits, layers, heads, "edit list");
    std::vector<capture::Intervention> out;
    for (const Edit& e : edits) {
        if (!e.enabled) continue;
        const int64_t layer = e.layer;
        const std::vector<int64_t> headList{e.head};
        switch (e.kind) {
            case EditKind::RemoveEdge:
                break;  // edges act on circuit evaluations (app/core's circuit API), not here
            case EditKind::ZeroAblation:
            case EditKind::MeanAblation: {
                capture::HeadAblation a;
                a.layer = layer;
                a.heads = headList;
                a.mode = e.kind == EditKind::ZeroAblation ? capture::AblationMode::Zero
                                                          : capture::AblationMode::Mean;
                out.emplace_back(a);
                break;
            }
            case EditKind::Scale: {
                capture::HeadScale s;
                s.layer = layer;
                s.heads = headList;
                s.factor = e.param;
                out.emplace_back(s);
                break;
            }
            case EditKind::SinkWindow: {
                capture::StreamingRestriction r;
                r.layer = layer;
                r.heads = headList;
                r.sinkTokens = kSinkWindowSinkTokens;
                r.window = e.param >= 1 ? static_cast<int64_t>(e.param) : kDefaultSinkWindow;
                out.emplace_back(r);
                break;
            }
            case EditKind::ActCalibration: {
                const auto thres = static_cast<float>(e.param > 0 ? e.param : kDefaultActThreshold);
                capture::PatternEdit p;
                p.layer = layer;
                p.heads = headList;
                p.description = "ACT calibration (thres " + std::to_string(thres) + ")";
                p.edit = [thres](const at::Tensor& pattern, int64_t, int64_t offset) {
                    return actEdit(pattern, offset, thres);
                };
                out.emplace_back(p);
                break;
            }
            case EditKind::PluginEdit: {
                // checkEdits() above found the edit and its parameters.
                capture::PatternEdit p = analysis::attentionEditProvider()->make(
                    analysis::attentionEditKey(e.plugin), layer, headList, e.params);
                out.emplace_back(std::move(p));
                break;
            }
            case EditKind::Patch: {
                const std::string hook = "blocks." + std::to_string(layer) + ".attn.hook_z";
                if (!corruptedZ || corruptedLength == 0 || !corruptedZ->count(hook))
                    throw capture::InputError("patching needs a second (corrupted) prompt");
                if (corruptedLength != promptLength)
                    throw capture::InputError(
                        "patching needs a corrupted prompt with as many tokens as the prompt (" +
                        std::to_string(corruptedLength) + " vs " + std::to_string(promptLength) +
                        ")");
                const auto it = corruptedZ->find(hook);
                capture::HookPatch p;
                p.hook = hook;
                p.value = it->second;
                p.heads = headList;
                out.emplace_back(p);
                break;
            }
        }
    }
    return out;
}

}  // namespace attnscope::app

namespace attnscope::app {

std::vector<capture::Intervention> interventionsFor(OpenedModel& opened, const EditList& edits,
                                                    const PromptTokens& prompt,
                                                    const PromptTokens* corrupted) {
    const auto& config = opened.model->config();
    CachedRun source;
    const bool patches = std::any_of(edits.begin(), edits.end(), [](const Edit& e) {
        return e.enabled && e.kind == EditKind::Patch;
    });
    if (patches && corrupted && !corrupted->ids.empty()) source = runUnedited(opened, *corrupted);
    return toInterventions(edits, static_cast<int>(config.nLayers), static_cast<int>(config.nHeads),
                           prompt.ids.size(), source.patterns ? &source.hookZ : nullptr,
                           source.tokens.ids.size());
}

}  // namespace attnscope::app
