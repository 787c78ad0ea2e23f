#include "safety_fixture.h"

#include "attnscope/capture/capture_spec.h"
#include "attnscope/capture/model_loader.h"
#include "fixture_paths.h"

namespace attnscope::analysis::test {

std::shared_ptr<capture::TransformerModel> loadParityModel(const std::string& name) {
    const auto dir = attnscope::test::fixturesDir() / "parity" / name;
    if (!std::filesystem::exists(dir)) return nullptr;
    return capture::loadModel(dir);
}

std::vector<std::vector<int64_t>> randomPrompts(const capture::TransformerModel& model, int count,
                                                uint64_t seed) {
    at::Generator gen = at::detail::createCPUGenerator(seed);
    std::vector<std::vector<int64_t>> out;
    for (int i = 0; i < count; ++i) {
        const at::Tensor t = at::randint(3, model.config().vocabSize, {5 + i}, gen,
                                         at::TensorOptions().dtype(at::kLong));
        out.emplace_back(t.data_ptr<int64_t>(), t.data_ptr<int64_t>() + t.numel());
    }
    return out;
}

SingleRun singleForward(capture::TransformerModel& model, const std::vector<int64_t>& ids,
                        const HeadSet& heads, MaskTarget target, double eps) {
    at::NoGradGuard noGrad;
    capture::ActivationCache cache;
    SingleRun run;
    {
        capture::HookScope scope(model.hooks());
        // Written here rather than through the runtime's interventions: x [batch, pos, head, d].
        const char* hook = target == MaskTarget::Query ? "attn.hook_q"
                           : target == MaskTarget::Key ? "attn.hook_k"
                                                       : "attn.hook_z";
        for (const HeadId& h : heads)
            scope.add("blocks." + std::to_string(h.layer) + "." + hook,
                      [h, eps](at::Tensor& x, const capture::HookContext&) {
                          at::Tensor out = x.clone();
                          out.select(2, h.head).mul_(eps);
                          x = out;
                      });
        capture::CaptureSpec spec;
        spec.hooks = {"ln_final.hook_normalized"};
        capture::attachCapture(scope, model.hooks(), spec, cache);
        run.logits =
            model.forward(at::tensor(ids, at::TensorOptions().dtype(at::kLong)).unsqueeze(0))[0]
                .select(0, -1);
    }
    const at::Tensor h = cache.get("ln_final.hook_normalized");  // [1, pos, d_model]
    run.hidden = h[0].select(0, -1);
    return run;
}

}  // namespace attnscope::analysis::test
