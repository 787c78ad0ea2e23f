#include "logit_lens_readout.h"

#include <string>

#include "attnscope/capture/logit_lens.h"
#include "attnscope/capture/transformer_model.h"

namespace attnscope::ui::detail {

std::vector<at::Tensor> lensLogits(capture::TransformerModel& model,
                                   const capture::ActivationCache& cache) {
    at::NoGradGuard noGrad;
    std::vector<at::Tensor> out;
    for (int64_t l = 0; l < model.config().nLayers; ++l) {
        const at::Tensor resid =
            cache.get("blocks." + std::to_string(l) + ".hook_resid_post");  // [1, pos, d_model]
        // [1, 1, d_model], the slice forward() takes before its final norm; the same shape and
        // the same ops keep the last layer bit-identical to the run's own logits.
        const at::Tensor last = resid.narrow(1, resid.size(1) - 1, 1);
        out.push_back(capture::logitsFromResidual(model, last).select(1, -1)[0].to(at::kCPU));
    }
    return out;
}

std::vector<double> lensProbs(const std::vector<at::Tensor>& logits, int64_t token) {
    std::vector<double> out;
    for (const at::Tensor& l : logits)
        out.push_back(at::softmax(l.to(at::kDouble), -1)[token].item<double>());
    return out;
}

}  // namespace attnscope::ui::detail
