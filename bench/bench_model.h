#pragma once
// The random GPT-2-small-shaped model the benchmarks run on: float32, weights drawn from
// N(0, 0.02²) with LibTorch's global generator (seed it with at::manual_seed first).
#include <ATen/ATen.h>

#include <memory>

#include "attnscope/capture/model_config.h"
#include "attnscope/capture/transformer_model.h"
#include "bench_roof.h"

namespace attnscope::bench {

inline std::shared_ptr<capture::TransformerModel> randomGpt2Small() {
    const capture::ModelConfig config = capture::parseModelConfig(kGpt2SmallConfigJson, "bench");
    auto model =
        std::make_shared<capture::TransformerModel>(config, at::TensorOptions().dtype(at::kFloat));
    at::NoGradGuard noGrad;
    for (auto& p : model->parameters())
        p.normal_(0.0, 0.02);
    return model;
}

}  // namespace attnscope::bench
