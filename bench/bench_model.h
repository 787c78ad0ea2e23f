#pragma once
// The random GPT-2-small-shaped model the benchmarks run on: float32, weights drawn from
// N(0, 0.02²) with LibTorch's global generator (seed it with at::manual_seed first).
#include <ATen/ATen.h>

#include <algorithm>
#include <memory>

#include "attnscope/capture/model_config.h"
#include "attnscope/capture/transformer_model.h"
#include "bench_roof.h"

namespace attnscope::bench {

/// `contextLength` widens the learned position table beyond GPT-2's 1,024 when a benchmark needs
/// longer sequences; every other shape stays GPT-2 small's.
inline std::shared_ptr<capture::TransformerModel> randomGpt2Small(int64_t contextLength = 1024) {
    capture::ModelConfig config = capture::parseModelConfig(kGpt2SmallConfigJson, "bench");
    config.maxPositions = std::max(config.maxPositions, contextLength);
    auto model =
        std::make_shared<capture::TransformerModel>(config, at::TensorOptions().dtype(at::kFloat));
    at::NoGradGuard noGrad;
    for (auto& p : model->parameters())
        p.normal_(0.0, 0.02);
    return model;
}

}  // namespace attnscope::bench
