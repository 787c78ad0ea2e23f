#include "attnscope/app/demo/demo_evaluation.h"

#include <algorithm>
#include <stdexcept>

#include "attnscope/app/demo/demo_vocabulary.h"
#include "attnscope/capture/transformer_model.h"

namespace attnscope::app::demo {

std::pair<at::Tensor, at::Tensor> batchExamples(const std::vector<Example>& examples) {
    if (examples.empty()) throw std::invalid_argument("batchExamples: no examples");
    size_t longest = 0;
    for (const auto& ex : examples)
        longest = std::max(longest, ex.tokens.size());
    const auto b = static_cast<int64_t>(examples.size()), t = static_cast<int64_t>(longest);
    at::Tensor ids = at::full({b, t}, DemoVocabulary::kPad, at::kLong);
    at::Tensor targets = at::full({b, t}, kNoTarget, at::kLong);
    auto idsA = ids.accessor<int64_t, 2>();
    auto targetsA = targets.accessor<int64_t, 2>();
    for (int64_t i = 0; i < b; ++i) {
        const auto& ex = examples[static_cast<size_t>(i)];
        for (size_t p = 0; p < ex.tokens.size(); ++p) {
            idsA[i][static_cast<int64_t>(p)] = ex.tokens[p];
            targetsA[i][static_cast<int64_t>(p)] = ex.targets[p];
        }
    }
    return {ids, targets};
}

TaskScore scoreExamples(capture::TransformerModel& model, const std::vector<Example>& examples,
                        int64_t batchSize) {
    if (batchSize < 1) throw std::invalid_argument("scoreExamples: batchSize must be positive");
    at::NoGradGuard noGrad;
    TaskScore score;
    for (size_t begin = 0; begin < examples.size(); begin += static_cast<size_t>(batchSize)) {
        const size_t end = std::min(examples.size(), begin + static_cast<size_t>(batchSize));
        const std::vector<Example> chunk(examples.begin() + static_cast<std::ptrdiff_t>(begin),
                                         examples.begin() + static_cast<std::ptrdiff_t>(end));
        capture::ForwardOptions options;
        options.allLogits = true;
        const at::Tensor predicted = model.forward(batchExamples(chunk).first, options).argmax(-1);
        auto pred = predicted.accessor<int64_t, 2>();
        for (size_t i = 0; i < chunk.size(); ++i) {
            const auto& ex = chunk[i];
            for (const auto& unit : ex.units) {
                const bool ok = std::all_of(unit.begin(), unit.end(), [&](int64_t p) {
                    return pred[static_cast<int64_t>(i)][p] ==
                           ex.tokens[static_cast<size_t>(p + 1)];
                });
                ++score.units;
                score.correct += ok ? 1 : 0;
            }
        }
    }
    return score;
}

}  // namespace attnscope::app::demo
