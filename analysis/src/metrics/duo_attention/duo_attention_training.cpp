#include "attnscope/analysis/duo_attention_training.h"

#include <ATen/ATen.h>
#include <torch/optim/adamw.h>

#include <limits>

#include "attnscope/analysis/duo_attention.h"
#include "attnscope/capture/hook_registry.h"
#include "attnscope/capture/load_error.h"
#include "attnscope/capture/transformer_model.h"

namespace attnscope::analysis {
namespace {

std::string hookName(int64_t layer, const char* suffix) {
    return "blocks." + std::to_string(layer) + ".attn." + suffix;
}

// The q/k/v of every layer seen earlier in the same forward: hook_v and hook_rot_q/rot_k run
// before hook_z of their layer. Owned by the thread running the forward.
struct LayerInputs {
    std::vector<at::Tensor> q, k, v;  // [batch, pos, head | kv_head, d_head]
};

// Streaming attention output [batch, pos, head, d_head] from post-RoPE q/k and v (no cache).
at::Tensor streamingZ(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, double scale,
                      int64_t sink, int64_t recent) {
    const int64_t g = q.size(2) / k.size(2), t = q.size(1);
    const at::Tensor kk = k.repeat_interleave(g, 2), vv = v.repeat_interleave(g, 2);
    at::Tensor scores = at::einsum("bqhd,bkhd->bhqk", {q * scale, kk}).to(at::kFloat);
    const auto opts = at::TensorOptions().dtype(at::kLong).device(q.device());
    const at::Tensor i = at::arange(t, opts).unsqueeze(1), j = at::arange(t, opts).unsqueeze(0);
    const at::Tensor visible = (j <= i).logical_and((j < sink).logical_or(j > i - recent));
    scores = scores.masked_fill(visible.logical_not(), -std::numeric_limits<float>::infinity());
    const at::Tensor p = at::softmax(scores, -1).to(v.scalar_type());
    return at::einsum("bhqk,bkhd->bqhd", {p, vv});
}

// Adds the §5.1 gate mix to every layer; `gates` [layers, kv_heads] may require grad.
void addGateMix(capture::HookScope& scope, capture::TransformerModel& model,
                const at::Tensor& gates, int64_t sink, int64_t recent, LayerInputs& in) {
    const auto& c = model.config();
    in.q.assign(static_cast<std::size_t>(c.nLayers), {});
    in.k = in.q;
    in.v = in.q;
    const int64_t g = c.nHeads / c.nKvHeads;
    for (int64_t l = 0; l < c.nLayers; ++l) {
        const auto li = static_cast<std::size_t>(l);
        scope.add(hookName(l, "hook_v"),
                  [&in, li](at::Tensor& a, const capture::HookContext&) { in.v[li] = a; });
        scope.add(hookName(l, "hook_rot_q"),
                  [&in, li](at::Tensor& a, const capture::HookContext&) { in.q[li] = a; });
        scope.add(hookName(l, "hook_rot_k"),
                  [&in, li](at::Tensor& a, const capture::HookContext&) { in.k[li] = a; });
        const double scale = c.attentionScale(l);
        scope.add(hookName(l, "hook_z"), [&in, li, l, g, gates, scale, sink, recent](
                                             at::Tensor& z, const capture::HookContext& ctx) {
            if (ctx.positionOffset != 0)
                throw capture::InputError("the DuoAttention gate mix runs without a KV cache");
            const at::Tensor zs = streamingZ(in.q[li], in.k[li], in.v[li], scale, sink, recent);
            const at::Tensor a = gates[l].clamp(0.0, 1.0).repeat_interleave(g).to(z.scalar_type());
            const at::Tensor alpha = a.view({1, 1, a.size(0), 1});
            z = alpha * z + (1 - alpha) * zs;
        });
    }
}

// Final hidden states [T, D] (post final norm) of one forward, with whatever hooks are attached.
at::Tensor finalHidden(capture::TransformerModel& model, const std::vector<int64_t>& ids) {
    at::Tensor out;
    capture::HookScope scope(model.hooks());
    scope.add("ln_final.hook_normalized",
              [&out](at::Tensor& a, const capture::HookContext&) { out = a; });
    model.forward(at::tensor(ids, at::TensorOptions().dtype(at::kLong)).unsqueeze(0));
    return out[0];
}

void checkStreaming(int64_t sink, int64_t recent) {
    if (sink < 0 || recent < 1)
        throw capture::InputError("DuoAttention streaming needs sink >= 0 and recent >= 1");
}

}  // namespace

Eigen::MatrixXf duoMixedFinalHidden(capture::TransformerModel& model,
                                    const std::vector<int64_t>& ids, const HeadTable& gates,
                                    int64_t sink, int64_t recent) {
    const auto& c = model.config();
    checkStreaming(sink, recent);
    if (gates.layers != c.nLayers || gates.heads != c.nKvHeads)
        throw capture::InputError("DuoAttention gates must be [" + std::to_string(c.nLayers) +
                                  ", " + std::to_string(c.nKvHeads) + "]");
    at::NoGradGuard noGrad;
    const at::Tensor g = at::tensor(std::vector<float>(gates.values.begin(), gates.values.end()))
                             .view({gates.layers, gates.heads});
    LayerInputs in;
    capture::HookScope scope(model.hooks());
    addGateMix(scope, model, g.to(model.tensorOptions().device()), sink, recent, in);
    const at::Tensor h = finalHidden(model, ids).to(at::kCPU, at::kFloat).contiguous();
    using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    return Eigen::Map<const RowMajor>(h.data_ptr<float>(), h.size(0), h.size(1));
}

DuoTrainResult trainDuoGates(capture::TransformerModel& model,
                             const std::vector<DuoSequence>& sequences, const DuoTrainOptions& o) {
    const auto& c = model.config();
    checkStreaming(o.sink, o.recent);
    if (o.steps < 1) throw capture::InputError("DuoAttention needs steps >= 1");
    if (sequences.empty()) throw capture::InputError("DuoAttention needs training sequences");
    // Copy 0: the unmodified model's final hidden states, fixed since the model is frozen.
    std::vector<at::Tensor> targets;
    for (const auto& s : sequences) {
        const auto t = static_cast<int64_t>(s.ids.size());
        if (s.supervisedFrom < 0 || s.supervisedFrom >= t)
            throw capture::InputError("a DuoAttention sequence has no supervised position");
        at::NoGradGuard noGrad;
        targets.push_back(finalHidden(model, s.ids)
                              .narrow(0, s.supervisedFrom, t - s.supervisedFrom)
                              .to(at::kFloat));
    }
    const auto device = model.tensorOptions().device();
    at::Tensor gates = at::full({c.nLayers, c.nKvHeads}, o.initialGate,
                                at::TensorOptions().dtype(at::kFloat).device(device))
                           .set_requires_grad(true);
    torch::optim::AdamW opt({gates}, torch::optim::AdamWOptions(o.lr).weight_decay(0.0));
    DuoTrainResult out;
    for (int64_t step = 0; step < o.steps; ++step) {
        o.progress.check();
        {
            at::NoGradGuard noGrad;
            gates.clamp_(0.0, 1.0);
        }
        static_cast<torch::optim::AdamWOptions&>(opt.param_groups()[0].options())
            .lr(o.lr * duoLrMultiplier(step, o.steps));
        opt.zero_grad();
        const std::size_t i = static_cast<std::size_t>(step) % sequences.size();
        const auto& s = sequences[i];
        const auto t = static_cast<int64_t>(s.ids.size());
        LayerInputs in;
        at::Tensor mixed;
        {
            capture::HookScope scope(model.hooks());
            addGateMix(scope, model, gates, o.sink, o.recent, in);
            mixed = finalHidden(model, s.ids).narrow(0, s.supervisedFrom, t - s.supervisedFrom);
        }
        const at::Tensor distill = (targets[i] - mixed.to(at::kFloat)).pow(2).mean(-1).mean();
        const at::Tensor loss = distill + o.regWeight * gates.abs().mean();
        loss.backward();
        opt.step();
        out.loss.push_back(loss.item<double>());
        out.distill.push_back(distill.item<double>());
        o.progress.report(
            double(step + 1) / double(o.steps),
            "step " + std::to_string(step + 1) + " loss " + std::to_string(out.loss.back()));
    }
    at::NoGradGuard noGrad;
    const at::Tensor g = gates.detach().clamp(0.0, 1.0).to(at::kCPU, at::kDouble).contiguous();
    out.gates =
        HeadTable(static_cast<int>(c.nLayers), static_cast<int>(c.nKvHeads),
                  std::vector<double>(g.data_ptr<double>(), g.data_ptr<double>() + g.numel()));
    return out;
}

}  // namespace attnscope::analysis
