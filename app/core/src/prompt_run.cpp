#include "attnscope/app/prompt_run.h"

#include "attnscope/capture/tokenizer.h"
#include "attnscope/capture/transformer_model.h"

namespace attnscope::app {

std::vector<TopToken> topTokens(const at::Tensor& logits, int64_t k,
                                const capture::Tokenizer* tokenizer) {
    const at::Tensor probs = at::softmax(logits.to(at::kDouble), -1);
    k = std::min<int64_t>(k, logits.size(-1));
    auto [values, indices] = probs.topk(k);
    std::vector<TopToken> out;
    for (int64_t i = 0; i < k; ++i) {
        TopToken t;
        t.id = indices[i].item<int64_t>();
        t.prob = values[i].item<double>();
        t.logit = logits[t.id].item<double>();
        t.text = std::to_string(t.id);
        if (tokenizer && t.id < tokenizer->vocabSize()) {
            try {
                t.text = tokenizer->displayString(t.id);
            } catch (const std::exception&) {
                // rows of the embedding the tokenizer has no string for keep their id
            }
        }
        out.push_back(std::move(t));
    }
    return out;
}

PromptRun runPrompt(OpenedModel& opened, const PromptTokens& prompt,
                    const capture::CaptureSpec& spec,
                    const std::vector<capture::Intervention>& interventions, int64_t topK) {
    at::NoGradGuard noGrad;
    auto& model = *opened.model;
    PromptRun run;
    capture::HookScope scope(model.hooks());
    capture::applyInterventions(scope, model, interventions);
    if (!spec.hooks.empty()) capture::attachCapture(scope, model.hooks(), spec, run.cache);
    const at::Tensor ids =
        at::tensor(prompt.ids, at::TensorOptions().dtype(at::kLong)).unsqueeze(0);
    run.logits = model.forward(ids).select(1, -1)[0].to(at::kCPU);
    run.top = topTokens(run.logits, topK, opened.tokenizer.get());
    return run;
}

}  // namespace attnscope::app
