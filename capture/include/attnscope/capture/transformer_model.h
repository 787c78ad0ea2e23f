#pragma once
// The decoder-only transformer shared by every supported architecture. Architectures differ in
// config mapping and weight names (one file each in src/), not in the forward pass.
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>

#include <memory>
#include <string>

#include "attnscope/capture/attention_statistics.h"
#include "attnscope/capture/hook_point.h"
#include "attnscope/capture/hook_registry.h"
#include "attnscope/capture/kv_cache.h"
#include "attnscope/capture/model_config.h"
#include "attnscope/capture/weight_init.h"

namespace attnscope::capture {

class TransformerBlock;

struct ForwardOptions {
    KvCache* cache = nullptr;  ///< when set, keys/values are appended and positions continue
    bool allLogits = false;    ///< logits for every position, not only the last
    /// Attention scores [batch, head, query, key] larger than this are never materialised
    /// unless a hook asks for scores or patterns: attention then runs over query × key tiles
    /// with an online softmax (on CPU without autograd), or else in blocks of query rows.
    int64_t scoreBudgetBytes = 64ll << 20;
    /// Attention from tensor operations only (the differentiable path, with full or blockwise
    /// scores by the budget), even where the tiled kernel would run: the reference the kernel
    /// is tested against.
    bool plainAttention = false;
    /// When set, per-head row statistics of every layer are filled in (after interventions).
    AttentionStatistics* statistics = nullptr;
};

/// Holds weights with an `[out, in]` layout for every linear map; q, k and v are fused into one
/// matrix per layer (rows: H·d query, then H_kv·d key, then H_kv·d value), and the SwiGLU gate
/// and up projections into one (rows: gate, then up).
class TransformerModel : public torch::nn::Module {
public:
    TransformerModel(ModelConfig config, at::TensorOptions options,
                     WeightInit init = WeightInit::Zeros);

    /// ids [batch, pos] (int64) → logits [batch, pos or 1, vocab] (float32). Throws InputError
    /// for ids out of range or sequences longer than the context.
    at::Tensor forward(const at::Tensor& ids, const ForwardOptions& options = {});

    const ModelConfig& config() const { return m_config; }
    /// Every hook point of the model by TransformerLens name.
    const HookRegistry& hooks() const { return m_registry; }
    at::TensorOptions tensorOptions() const { return m_options; }
    const std::string& fingerprint() const { return m_fingerprint; }
    void setFingerprint(std::string f) { m_fingerprint = std::move(f); }

    /// Whether some weights may be read-only views of checkpoint files (see loadModel): they
    /// must not be written in place (training, hand edits). The loader sets it.
    bool weightsShareFiles() const { return m_weightsShareFiles; }
    void setWeightsShareFiles(bool shared) { m_weightsShareFiles = shared; }
    /// Makes every weight an owned, writable, contiguous copy when weightsShareFiles(); a no-op
    /// otherwise. The files' mappings are released once no view of them is left.
    void ownWeights();

    TransformerBlock& block(int64_t layer);
    at::Tensor& embedWeight() { return m_embed; }        ///< [vocab, d_model]
    at::Tensor& posEmbedWeight() { return m_posEmbed; }  ///< [positions, d_model]; learned only
    at::Tensor& finalNormWeight() { return m_normW; }    ///< [d_model]
    at::Tensor& finalNormBias() { return m_normB; }      ///< [d_model]; LayerNorm only
    at::Tensor& unembedWeight() { return m_unembed; }    ///< [vocab, d_model]; = embed if tied

    /// Cached cos/sin tables for positions [offset, offset+count) ([count, d_head], float32).
    std::pair<at::Tensor, at::Tensor> rotaryTables(int64_t offset, int64_t count);

private:
    void validateInput(const at::Tensor& ids, int64_t offset) const;
    at::Tensor finalNorm(const at::Tensor& x) const;

    ModelConfig m_config;
    at::TensorOptions m_options;
    std::string m_fingerprint;
    bool m_weightsShareFiles = false;

    at::Tensor m_embed, m_posEmbed, m_normW, m_normB, m_unembed;
    at::Tensor m_invFreq;             // [d_head / 2], float32
    at::Tensor m_ropeCos, m_ropeSin;  // [cached positions, d_head]

    std::shared_ptr<HookPoint> m_hookEmbed, m_hookPosEmbed, m_hookNormalized, m_hookLogits;
    torch::nn::ModuleList m_blocks;
    HookRegistry m_registry;
};

}  // namespace attnscope::capture
