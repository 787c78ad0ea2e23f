#pragma once
// Teacher-forced scoring of demo examples. A unit (see Example::units) is correct when the
// greedy prediction at each of its positions is the next token of the sequence, which is the
// same as greedy decoding reproducing the whole expected answer.
#include <ATen/ATen.h>

#include <utility>
#include <vector>

#include "attnscope/app/demo/demo_example.h"

namespace attnscope::capture {
class TransformerModel;
}

namespace attnscope::app::demo {

struct TaskScore {
    int64_t units = 0;
    int64_t correct = 0;
    double accuracy() const { return units == 0 ? 0.0 : static_cast<double>(correct) / units; }
};

/// Token ids [batch, longest] padded on the right with <pad>, and targets [batch, longest]
/// (kNoTarget where unsupervised or padded). Throws std::invalid_argument for no examples.
std::pair<at::Tensor, at::Tensor> batchExamples(const std::vector<Example>& examples);

/// Scores `examples` with `model` (no gradients), `batchSize` sequences per forward.
TaskScore scoreExamples(capture::TransformerModel& model, const std::vector<Example>& examples,
                        int64_t batchSize = 64);

}  // namespace attnscope::app::demo
