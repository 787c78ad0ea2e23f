#include "attnscope/analysis/attack_success.h"

#include <ATen/ATen.h>

#include <cmath>
#include <map>
#include <optional>

#include "attnscope/analysis/refusal_rule.h"
#include "attnscope/capture/generation.h"
#include "attnscope/capture/hook_registry.h"
#include "attnscope/capture/load_error.h"
#include "attnscope/capture/tokenizer.h"
#include "attnscope/capture/transformer_model.h"

namespace attnscope::analysis {

std::vector<std::vector<std::string>> generateAblated(
    capture::TransformerModel& model, const capture::Tokenizer& tokenizer,
    const std::vector<std::vector<int64_t>>& prompts, const std::vector<HeadSet>& variants,
    const AblationSpec& spec, const GenerationSettings& settings) {
    if (prompts.empty()) throw capture::InputError("no prompts to generate from");
    if (settings.batchSize < 1)
        throw capture::InputError("batch_size must be at least 1, got " +
                                  std::to_string(settings.batchSize));
    if (settings.maxNewTokens < 1)
        throw capture::InputError("max_new_tokens must be at least 1, got " +
                                  std::to_string(settings.maxNewTokens));
    for (const auto& p : prompts)
        if (p.empty()) throw capture::InputError("a prompt has no tokens");

    capture::GenerationOptions options;
    options.maxNewTokens = settings.maxNewTokens;
    options.greedy = true;
    // Generation stops with Cancelled when the job is cancelled; the batches report progress.
    options.progress = capture::Progress({}, settings.progress.token());
    std::optional<int64_t> eos = model.config().eosTokenId;
    if (!eos) eos = tokenizer.eosId();
    if (eos) options.stopTokens = {*eos};

    // Work items (variant, prompt), grouped by prompt length: one batch holds one length.
    std::map<std::size_t, std::vector<std::pair<std::size_t, std::size_t>>> byLength;
    for (std::size_t v = 0; v < variants.size(); ++v)
        for (std::size_t p = 0; p < prompts.size(); ++p)
            byLength[prompts[p].size()].push_back({v, p});

    std::vector<std::vector<std::string>> out(variants.size(),
                                              std::vector<std::string>(prompts.size()));
    const double total = double(variants.size() * prompts.size());
    double done = 0;
    for (const auto& [length, work] : byLength) {
        for (std::size_t start = 0; start < work.size();
             start += static_cast<std::size_t>(settings.batchSize)) {
            settings.progress.check();
            const std::size_t rows =
                std::min(work.size() - start, static_cast<std::size_t>(settings.batchSize));
            std::vector<int64_t> flat;
            std::vector<HeadSet> perElement;
            for (std::size_t r = 0; r < rows; ++r) {
                const auto [v, p] = work[start + r];
                flat.insert(flat.end(), prompts[p].begin(), prompts[p].end());
                perElement.push_back(variants[v]);
            }
            const at::Tensor ids =
                at::tensor(flat, at::TensorOptions().dtype(at::kLong))
                    .view({static_cast<int64_t>(rows), static_cast<int64_t>(length)});
            at::Tensor tokens;
            {
                capture::HookScope scope(model.hooks());
                addAblationHooks(scope, model, perElement, spec);
                tokens = capture::generate(model, ids, options).tokens.contiguous();
            }
            settings.progress.check();
            for (std::size_t r = 0; r < rows; ++r) {
                const int64_t* row = tokens[static_cast<int64_t>(r)].data_ptr<int64_t>();
                std::vector<int64_t> kept;
                for (int64_t i = 0; i < tokens.size(1) && !(eos && row[i] == *eos); ++i)
                    kept.push_back(row[i]);
                const auto [v, p] = work[start + r];
                out[v][p] = tokenizer.decode(kept, true);
            }
            done += double(rows);
            settings.progress.report(done / total);
        }
    }
    return out;
}

double attackSuccessRate(capture::TransformerModel& model, const capture::Tokenizer& tokenizer,
                         const std::vector<std::string>& prompts, const HeadSet& heads,
                         const AblationSpec& spec, const GenerationSettings& settings) {
    if (prompts.empty()) throw capture::InputError("attack-success rate needs prompts");
    std::vector<std::vector<int64_t>> ids;
    for (const auto& p : prompts)
        ids.push_back(tokenizer.encode(p).ids);
    return attackSuccessRate(generateAblated(model, tokenizer, ids, {heads}, spec, settings)[0],
                             settings.compatReference);
}

}  // namespace attnscope::analysis
