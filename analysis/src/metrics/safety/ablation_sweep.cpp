#include "attnscope/analysis/ablation_sweep.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "attnscope/capture/interventions.h"
#include "attnscope/capture/load_error.h"
#include "attnscope/capture/transformer_model.h"

namespace attnscope::analysis {
namespace {

using capture::InputError;

const char* targetHook(MaskTarget t) {
    switch (t) {
        case MaskTarget::Query:
            return "attn.hook_q";
        case MaskTarget::Key:
            return "attn.hook_k";
        case MaskTarget::Output:
            return "attn.hook_z";
    }
    return "attn.hook_q";
}

capture::ScaleTarget scaleTarget(MaskTarget t) {
    switch (t) {
        case MaskTarget::Query:
            return capture::ScaleTarget::Query;
        case MaskTarget::Key:
            return capture::ScaleTarget::Key;
        case MaskTarget::Output:
            return capture::ScaleTarget::Output;
    }
    return capture::ScaleTarget::Query;
}

void checkSet(const capture::TransformerModel& model, const HeadSet& set, MaskTarget target) {
    const int layers = static_cast<int>(model.config().nLayers);
    const int heads = maskHeadCount(model, target);
    for (const HeadId& h : set)
        if (h.layer < 0 || h.layer >= layers || h.head < 0 || h.head >= heads)
            throw InputError("ablation of head (" + std::to_string(h.layer) + ", " +
                             std::to_string(h.head) + "): the model has " + std::to_string(layers) +
                             " layers of " + std::to_string(heads) +
                             (target == MaskTarget::Key ? " KV heads" : " heads"));
}

// Heads of `set` in `layer`, as the int64 list the interventions take.
std::map<int, std::vector<int64_t>> byLayer(const HeadSet& set) {
    std::map<int, std::vector<int64_t>> out;
    for (const HeadId& h : set)
        out[h.layer].push_back(h.head);
    return out;
}

void addMeanHooks(capture::HookScope& scope, const capture::TransformerModel& model,
                  const std::vector<HeadSet>& perElement, MaskTarget target) {
    const int64_t rows = static_cast<int64_t>(perElement.size());
    const int64_t heads = maskHeadCount(model, target);
    // One [rows, 1, heads, 1] mask per layer, built on the CPU once per batch.
    std::map<int, at::Tensor> masks;
    for (int64_t b = 0; b < rows; ++b)
        for (const HeadId& h : perElement[static_cast<std::size_t>(b)]) {
            auto& m = masks[h.layer];
            if (!m.defined()) m = at::zeros({rows, 1, heads, 1}, at::kBool);
            m[b][0][h.head][0] = true;
        }
    for (auto& [layer, mask] : masks) {
        const at::Tensor m = mask.to(model.tensorOptions().device());
        scope.add("blocks." + std::to_string(layer) + "." + targetHook(target),
                  [m](at::Tensor& x, const capture::HookContext&) {
                      // x [batch, pos, head, d_head]: the mean over heads at each position.
                      if (m.size(0) != 1 && m.size(0) != x.size(0))
                          throw InputError("mean ablation built for " + std::to_string(m.size(0)) +
                                           " batch elements, got " + std::to_string(x.size(0)));
                      x = at::where(m, x.mean(2, true).expand_as(x), x);
                  });
    }
}

at::Tensor lastPosition(const at::Tensor& t) {  // [batch, pos, n] -> [batch, n]
    return t.select(1, t.size(1) - 1).to(at::kCPU, at::kFloat).contiguous();
}

}  // namespace

MaskTarget parseMaskTarget(const std::string& text) {
    if (text == "q") return MaskTarget::Query;
    if (text == "k") return MaskTarget::Key;
    if (text == "v") return MaskTarget::Output;
    throw InputError("mask_qkv must be 'q', 'k' or 'v', not '" + text + "'");
}

MaskType parseMaskType(const std::string& text) {
    if (text == "scale") return MaskType::Scale;
    if (text == "mean") return MaskType::Mean;
    throw InputError("mask_type must be 'scale' or 'mean', not '" + text + "'");
}

int maskHeadCount(const capture::TransformerModel& model, MaskTarget target) {
    const auto& c = model.config();
    return static_cast<int>(target == MaskTarget::Key ? c.nKvHeads : c.nHeads);
}

std::vector<HeadSet> singleHeadVariants(const capture::TransformerModel& model, MaskTarget target) {
    std::vector<HeadSet> out;
    const int heads = maskHeadCount(model, target);
    for (int l = 0; l < static_cast<int>(model.config().nLayers); ++l)
        for (int h = 0; h < heads; ++h)
            out.push_back({HeadId{l, h}});
    return out;
}

void addAblationHooks(capture::HookScope& scope, const capture::TransformerModel& model,
                      const std::vector<HeadSet>& perElement, const AblationSpec& spec) {
    for (const auto& set : perElement)
        checkSet(model, set, spec.target);
    if (spec.type == MaskType::Mean) {
        addMeanHooks(scope, model, perElement, spec.target);
        return;
    }
    if (!std::isfinite(spec.epsilon))
        throw InputError("ablation epsilon must be finite, got " + std::to_string(spec.epsilon));
    std::vector<capture::Intervention> list;
    const bool all = perElement.size() == 1;
    for (std::size_t b = 0; b < perElement.size(); ++b)
        for (auto& [layer, heads] : byLayer(perElement[b]))
            list.emplace_back(capture::HeadScale{layer, heads, spec.epsilon,
                                                 scaleTarget(spec.target),
                                                 all ? -1 : static_cast<int64_t>(b)});
    capture::applyInterventions(scope, model, list);
}

SweepRows ablationSweep(capture::TransformerModel& model, const std::vector<int64_t>& ids,
                        const std::vector<HeadSet>& variants, const AblationSpec& spec,
                        const SweepOptions& options) {
    if (ids.empty()) throw InputError("ablation sweep: the prompt has no tokens");
    if (options.batchSize < 1)
        throw InputError("batch_size must be at least 1, got " + std::to_string(options.batchSize));
    for (const auto& set : variants)
        checkSet(model, set, spec.target);
    at::NoGradGuard noGrad;
    const int64_t layers = model.config().nLayers;
    const int64_t width = options.output == SweepOutput::LastLogits ? model.config().vocabSize
                                                                    : model.config().dModel;
    const int64_t n = static_cast<int64_t>(variants.size());
    SweepRows out(n, width);

    // Variants sorted by their earliest ablated layer, so that a batch shares a long prefix.
    auto earliest = [&](const HeadSet& s) {
        int64_t m = layers;
        for (const HeadId& h : s)
            m = std::min<int64_t>(m, h.layer);
        return m;
    };
    std::vector<int64_t> order(static_cast<std::size_t>(n));
    for (int64_t i = 0; i < n; ++i)
        order[static_cast<std::size_t>(i)] = i;
    if (options.sharePrefix)
        std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
            return earliest(variants[static_cast<std::size_t>(a)]) <
                   earliest(variants[static_cast<std::size_t>(b)]);
        });

    const at::Tensor prompt =
        at::tensor(ids, at::TensorOptions().dtype(at::kLong)).unsqueeze(0);  // [1, pos]
    for (int64_t start = 0; start < n; start += options.batchSize) {
        options.progress.check();
        const int64_t rows = std::min(options.batchSize, n - start);
        std::vector<HeadSet> batch;
        int64_t first = layers;
        for (int64_t r = 0; r < rows; ++r) {
            batch.push_back(variants[static_cast<std::size_t>(order[start + r])]);
            first = std::min(first, earliest(batch.back()));
        }
        at::Tensor result;  // [rows or 1, width]
        {
            capture::HookScope scope(model.hooks());
            at::Tensor input = prompt;
            if (options.sharePrefix && first < layers) {
                scope.add("blocks." + std::to_string(first) + ".hook_resid_pre",
                          [rows](at::Tensor& x, const capture::HookContext&) {
                              // x [1, pos, d_model] -> [rows, pos, d_model]
                              x = x.expand({rows, x.size(1), x.size(2)}).contiguous();
                          });
            } else if (first < layers) {
                input = prompt.expand({rows, prompt.size(1)}).contiguous();
            }
            // Unablated batches (first == layers) need one row only.
            if (first < layers) addAblationHooks(scope, model, batch, spec);
            if (options.output == SweepOutput::FinalHidden)
                scope.add("ln_final.hook_normalized",
                          [&result](at::Tensor& x, const capture::HookContext&) {
                              result = lastPosition(x);  // x [batch, pos, d_model]
                          });
            at::Tensor logits = model.forward(input);
            if (options.output == SweepOutput::LastLogits) result = lastPosition(logits);
        }
        for (int64_t r = 0; r < rows; ++r) {
            const at::Tensor row = result[result.size(0) == 1 ? 0 : r];
            std::copy(row.data_ptr<float>(), row.data_ptr<float>() + width,
                      out.row(order[start + r]).data());
        }
        options.progress.report(
            double(start + rows) / double(n),
            std::to_string(start + rows) + " of " + std::to_string(n) + " variants");
    }
    return out;
}

}  // namespace attnscope::analysis
