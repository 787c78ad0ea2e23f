// Ships sweep over every head of a GPT-2-small-shaped random model at 64 tokens: one batched
// ablation sweep (B variants per forward, shared prefix) against one ablation per forward, in
// one run. Prints both times, the ratio (target >= 4x) and the largest Ships difference.
#include <ATen/ATen.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "attnscope/analysis/ablation_sweep.h"
#include "attnscope/analysis/ships.h"
#include "attnscope/capture/interventions.h"
#include "attnscope/capture/model_config.h"
#include "attnscope/capture/runtime_settings.h"
#include "attnscope/capture/transformer_model.h"

using namespace attnscope;

namespace {

double seconds(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::vector<float> toVector(const at::Tensor& t) {
    const at::Tensor c = t.to(at::kFloat).contiguous();
    return {c.data_ptr<float>(), c.data_ptr<float>() + c.numel()};
}

}  // namespace

int main(int argc, char** argv) {
    const int threads = capture::configureRuntime();
    const int64_t T = argc > 1 ? std::atoll(argv[1]) : 64;
    const int64_t batch = argc > 2 ? std::atoll(argv[2]) : 16;
    at::NoGradGuard noGrad;
    at::manual_seed(0);
    const capture::ModelConfig c = capture::parseModelConfig(
        R"({"architectures":["GPT2LMHeadModel"],"vocab_size":50257,"n_positions":1024,
            "n_embd":768,"n_layer":12,"n_head":12})",
        "bench");
    auto model =
        std::make_shared<capture::TransformerModel>(c, at::TensorOptions().dtype(at::kFloat));
    for (auto& p : model->parameters())
        p.normal_(0.0, 0.02);
    const at::Tensor idsT = at::randint(0, c.vocabSize, {T}, at::TensorOptions().dtype(at::kLong));
    const std::vector<int64_t> ids(idsT.data_ptr<int64_t>(), idsT.data_ptr<int64_t>() + T);
    const at::Tensor input = idsT.unsqueeze(0);
    const auto variants = analysis::singleHeadVariants(*model, analysis::MaskTarget::Query);
    analysis::AblationSpec spec;  // q scaled by 1e-4

    model->forward(input);  // warm-up
    const std::vector<float> base = toVector(model->forward(input)[0][0]);

    // One ablation per forward, as the reference code runs it (L·H forwards).
    auto t0 = std::chrono::steady_clock::now();
    std::vector<double> sequential;
    for (const auto& v : variants) {
        capture::HookScope scope(model->hooks());
        capture::applyInterventions(
            scope, *model,
            {capture::HeadScale{
                v[0].layer, {v[0].head}, spec.epsilon, capture::ScaleTarget::Query, -1}});
        sequential.push_back(analysis::shipsKl(base, toVector(model->forward(input)[0][0])));
    }
    const double sequentialSeconds = seconds(t0);

    auto sweepSeconds = [&](bool share, std::vector<double>& ships) {
        analysis::SweepOptions options;
        options.batchSize = batch;
        options.sharePrefix = share;
        const auto t = std::chrono::steady_clock::now();
        const analysis::SweepRows rows =
            analysis::ablationSweep(*model, ids, variants, spec, options);
        for (Eigen::Index r = 0; r < rows.rows(); ++r)
            ships.push_back(analysis::shipsKl(
                base, std::vector<float>(rows.row(r).data(), rows.row(r).data() + rows.cols())));
        return seconds(t);
    };
    std::vector<double> batched, batchedNoShare;
    const double batchedSeconds = sweepSeconds(true, batched);
    const double noShareSeconds = sweepSeconds(false, batchedNoShare);

    double maxDiff = 0, maxShips = 0;
    for (std::size_t i = 0; i < sequential.size(); ++i) {
        maxDiff = std::max({maxDiff, std::abs(batched[i] - sequential[i]),
                            std::abs(batchedNoShare[i] - sequential[i])});
        maxShips = std::max(maxShips, sequential[i]);
    }
    std::printf("threads                          %d\n", threads);
    std::printf("Ships sweep, %zu heads, T=%lld, batch %lld\n", variants.size(),
                static_cast<long long>(T), static_cast<long long>(batch));
    std::printf("one ablation per forward         %.3f s\n", sequentialSeconds);
    std::printf("batched, shared prefix           %.3f s  %.2fx faster\n", batchedSeconds,
                sequentialSeconds / batchedSeconds);
    std::printf("batched, no prefix sharing       %.3f s  %.2fx faster\n", noShareSeconds,
                sequentialSeconds / noShareSeconds);
    std::printf("max |Ships batched - sequential| %.3g (max Ships %.3g)\n", maxDiff, maxShips);
    std::printf("target: batched >= 4x faster: %s\n",
                sequentialSeconds / batchedSeconds >= 4.0 ? "met" : "NOT met");
    return 0;
}
