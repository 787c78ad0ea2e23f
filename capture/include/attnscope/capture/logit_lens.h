#pragma once
// Reading the residual stream through the model's own output head (the logit lens).
#include <ATen/ATen.h>

namespace attnscope::capture {

class TransformerModel;

/// The model's final norm and unembedding applied to a residual stream `resid`
/// [batch, pos, d_model] (any dtype or device: it is moved to the model's): logits
/// [batch, pos, vocab] in float32. The same operations, eps and dtypes as the end of
/// TransformerModel::forward(), so `blocks.{last}.hook_resid_post` at the last position gives
/// forward()'s logits bit for bit.
at::Tensor logitsFromResidual(TransformerModel& model, const at::Tensor& resid);

}  // namespace attnscope::capture
