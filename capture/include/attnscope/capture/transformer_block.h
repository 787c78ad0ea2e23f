#pragma once
// One decoder block: attention and MLP with TransformerLens hook points.
#include <torch/nn/module.h>

#include <memory>

#include "attnscope/capture/hook_point.h"
#include "attnscope/capture/model_config.h"
#include "attnscope/capture/weight_init.h"

namespace attnscope::capture {

class KvCache;
struct AttentionStatistics;

/// What the block needs from the model for one forward call.
struct BlockInputs {
    int64_t positionOffset = 0;   ///< absolute position of the first query
    at::Tensor ropeCos, ropeSin;  ///< [pos, d_head] float32; undefined for learned positions
    KvCache* cache = nullptr;
    int64_t scoreBudgetBytes = 64ll << 20;      ///< see ForwardOptions
    bool plainAttention = false;                ///< see ForwardOptions
    AttentionStatistics* statistics = nullptr;  ///< see ForwardOptions
};

class AttentionLayer : public torch::nn::Module {
public:
    AttentionLayer(const ModelConfig& config, int64_t layer, at::TensorOptions options,
                   WeightInit init = WeightInit::Zeros);

    /// x [batch, pos, d_model] (already normalised) → attention output [batch, pos, d_model].
    at::Tensor forward(const at::Tensor& x, const BlockInputs& in);
    /// What forward() does after the q/k/v projection, for callers that project each head from
    /// its own input (edge patching): q [batch, pos, head, d_head], k and v [batch, pos,
    /// kv_head, d_head] → z [batch, pos, head, d_head]. Runs hook_q … hook_z and RoPE.
    at::Tensor attendProjected(at::Tensor q, at::Tensor k, at::Tensor v, const BlockInputs& in);

    at::Tensor wQkv;  ///< [(H + 2·H_kv)·d_head, d_model]
    at::Tensor bQkv;  ///< [(H + 2·H_kv)·d_head] or undefined
    at::Tensor wO;    ///< [d_model, H·d_head]
    at::Tensor bO;    ///< [d_model] or undefined

    std::shared_ptr<HookPoint> hookQ, hookK, hookV;  // [batch, pos, head|kv_head, d_head]
    std::shared_ptr<HookPoint> hookRotQ, hookRotK;   // after RoPE, same shapes
    std::shared_ptr<HookPoint> hookAttnScores;       // [batch, head, query, key], masked -inf
    std::shared_ptr<HookPoint> hookPattern;          // [batch, head, query, key]
    std::shared_ptr<HookPoint> hookPatternLse;       // [batch, head, query] log-sum-exp of rows
    std::shared_ptr<HookPoint> hookZ;                // [batch, pos, head, d_head]
    std::shared_ptr<HookPoint> hookResult;           // [batch, pos, head, d_model]

private:
    at::Tensor attend(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                      const BlockInputs& in);
    at::Tensor attendFull(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                          const BlockInputs& in);
    /// The CPU kernel without autograd: query × key tiles with an online softmax, keys hidden
    /// by the causal mask never multiplied; patterns, when a hook wants them, written from it.
    at::Tensor attendTiled(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                           const BlockInputs& in);
    at::Tensor attendBlockwise(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                               const BlockInputs& in);
    at::Tensor causalMask(int64_t queries, int64_t queryOffset, int64_t keys) const;

    ModelConfig m_config;
    int64_t m_layer;
    double m_scale;
};

class TransformerBlock : public torch::nn::Module {
public:
    TransformerBlock(const ModelConfig& config, int64_t layer, at::TensorOptions options,
                     WeightInit init = WeightInit::Zeros);

    at::Tensor forward(const at::Tensor& resid, const BlockInputs& in);
    /// The MLP alone: normalised input [..., d_model] → output [..., d_model].
    at::Tensor mlp(const at::Tensor& x) const;

    std::shared_ptr<AttentionLayer> attn;
    at::Tensor norm1W, norm1B, norm2W, norm2B;  ///< [d_model]; biases for LayerNorm only
    at::Tensor wIn;   ///< [d_mlp, d_model] (GELU) or [2·d_mlp, d_model] (gate rows, then up rows)
    at::Tensor bIn;   ///< matching bias or undefined
    at::Tensor wOut;  ///< [d_model, d_mlp]
    at::Tensor bOut;  ///< [d_model] or undefined

    std::shared_ptr<HookPoint> hookResidPre, hookAttnOut, hookResidMid, hookMlpOut, hookResidPost;

private:
    ModelConfig m_config;
};

/// LayerNorm or RMSNorm as the config says (RMSNorm computed in float32 as HF does).
at::Tensor applyNorm(const ModelConfig& config, const at::Tensor& x, const at::Tensor& weight,
                     const at::Tensor& bias);

}  // namespace attnscope::capture
