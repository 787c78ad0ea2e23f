#include "head_ablation_loss.h"

#include "attnscope/capture/interventions.h"
#include "attnscope/capture/load_error.h"
#include "attnscope/capture/transformer_model.h"

namespace attnscope::analysis {

at::Tensor meanNextTokenCe(const at::Tensor& logits, const std::vector<int64_t>& ids) {
    const int64_t t = static_cast<int64_t>(ids.size());
    const at::Tensor logp = at::log_softmax(logits.to(at::kDouble).narrow(1, 0, t - 1), -1);
    const at::Tensor next = at::tensor(std::vector<int64_t>(ids.begin() + 1, ids.end()),
                                       at::TensorOptions().dtype(at::kLong).device(logp.device()));
    const at::Tensor picked =
        logp.gather(-1, next.view({1, t - 1, 1}).expand({logp.size(0), t - 1, 1})).squeeze(-1);
    return (-picked).mean(1).to(at::kCPU);
}

HeadTable zeroAblationDeltaCe(capture::TransformerModel& model, const std::vector<int64_t>& ids) {
    if (ids.size() < 2) throw capture::InputError("ΔCE needs at least 2 tokens");
    const auto& c = model.config();
    const int64_t heads = c.nHeads;
    at::NoGradGuard noGrad;
    capture::ForwardOptions all;
    all.allLogits = true;
    const at::Tensor row = at::tensor(ids, at::TensorOptions().dtype(at::kLong)).unsqueeze(0);
    const double base = meanNextTokenCe(model.forward(row, all), ids)[0].item<double>();
    HeadTable out(static_cast<int>(c.nLayers), static_cast<int>(heads));
    for (int64_t l = 0; l < c.nLayers; ++l) {
        std::vector<capture::Intervention> edits;
        for (int64_t h = 0; h < heads; ++h)
            edits.emplace_back(capture::HeadAblation{l, {h}, capture::AblationMode::Zero, {}, h});
        capture::HookScope scope(model.hooks());
        capture::applyInterventions(scope, model, edits);
        const at::Tensor ce = meanNextTokenCe(model.forward(row.expand({heads, -1}), all), ids);
        for (int64_t h = 0; h < heads; ++h)
            out.at(static_cast<int>(l), static_cast<int>(h)) = ce[h].item<double>() - base;
    }
    return out;
}

}  // namespace attnscope::analysis
