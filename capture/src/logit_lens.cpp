#include "attnscope/capture/logit_lens.h"

#include "attnscope/capture/transformer_block.h"
#include "attnscope/capture/transformer_model.h"

namespace attnscope::capture {

// Mirrors the tail of TransformerModel::forward() (finalNorm, then the float32 unembedding);
// the GUI's logit-lens test checks that the last layer reproduces forward()'s probabilities.
at::Tensor logitsFromResidual(TransformerModel& model, const at::Tensor& resid) {
    const at::Tensor x = resid.to(model.tensorOptions());
    const at::Tensor normed =
        applyNorm(model.config(), x, model.finalNormWeight(), model.finalNormBias());
    return at::linear(normed, model.unembedWeight()).to(at::kFloat);
}

}  // namespace attnscope::capture
