#include "attnscope/app/capture_export.h"

#include <chrono>

#include "attnscope/capture/runtime_settings.h"
#include "attnscope/capture/transformer_model.h"
#include "attnscope/store/capture_writer.h"

namespace attnscope::app {
namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

store::ModelInfo modelInfo(const OpenedModel& opened) {
    const auto& config = opened.model->config();
    return {config.architecture, config.rawJson, capture::computeDTypeName(opened.dtype),
            opened.model->fingerprint()};
}

// The batch dimension is dropped: a capture-file run is one sequence.
void writeActivation(store::CaptureWriter& writer, const std::string& name, const at::Tensor& t,
                     const capture::TransformerModel& model, int64_t layer) {
    const at::Tensor first = t[0].to(at::kCPU, at::kFloat).contiguous();
    store::ArrayView view{first.data_ptr<float>(), first.sizes().vec()};
    if (name.size() > 17 && name.compare(name.size() - 17, 17, ".hook_pattern_lse") == 0)
        writer.writeLse(static_cast<int>(layer), view,
                        static_cast<float>(model.config().attentionScale(layer)), 0.0f);
    else
        writer.writeHook(name, view);
}

}  // namespace

std::vector<std::string> longContextHooks() {
    return {"blocks.*.attn.hook_rot_q", "blocks.*.attn.hook_rot_k",
            "blocks.*.attn.hook_pattern_lse"};
}

PromptRun runPromptToFile(OpenedModel& opened, const PromptTokens& prompt,
                          const capture::CaptureSpec& specIn,
                          const std::vector<capture::Intervention>& interventions, int64_t topK,
                          const std::filesystem::path& path, const CaptureFileOptions& options) {
    capture::CaptureSpec spec = specIn;
    if (options.longContext) {
        for (const auto& h : longContextHooks())
            spec.hooks.push_back(h);
        // For library callers that skipped configureRuntime(): at long context every layer's
        // temporaries are tens of MB, which the C allocator would fault in afresh each time.
        capture::configureAllocator();
    }

    PromptRun run;
    auto t0 = Clock::now();
    store::CaptureWriter writer =
        options.append && std::filesystem::exists(path)
            ? store::CaptureWriter::append(path, options.writer)
            : store::CaptureWriter::create(path, options.writer, modelInfo(opened));
    store::RunInfo info;
    info.prompt = prompt.text;
    info.inputIds = prompt.ids;
    info.tokens = prompt.tokens;
    info.offsets = prompt.offsets;
    info.captureSpecJson = spec.toJson().dump();
    info.interventionsJson = capture::describeInterventions(interventions).dump();
    writer.beginRun(info);
    run.writeSeconds = secondsSince(t0);

    at::NoGradGuard noGrad;
    auto& model = *opened.model;
    {
        capture::HookScope scope(model.hooks());
        capture::applyInterventions(scope, model, interventions);
        for (const auto& name : capture::selectedHooks(model.hooks(), spec))
            scope.add(name,
                      [&writer, &model, &run](at::Tensor& t, const capture::HookContext& ctx) {
                          const auto start = Clock::now();
                          writeActivation(writer, ctx.name, t, model, ctx.layer);
                          run.writeSeconds += secondsSince(start);
                      });
        const at::Tensor ids =
            at::tensor(prompt.ids, at::TensorOptions().dtype(at::kLong)).unsqueeze(0);
        run.logits = model.forward(ids).select(1, -1)[0].to(at::kCPU);
    }
    t0 = Clock::now();
    writer.commit();
    run.writeSeconds += secondsSince(t0);
    run.top = topTokens(run.logits, topK, opened.tokenizer.get());
    return run;
}

}  // namespace attnscope::app
