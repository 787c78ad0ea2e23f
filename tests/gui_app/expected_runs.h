#pragma once
// Values the tests expect, computed with the runtime directly (app::runPrompt), independent of
// the controller and the views. Torch-free interface.
#include <QString>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace attnscope::test {

/// The model the application tests open: the demo model when the checkout has it, else the
/// llama-tiny-gqa parity fixture (no tokenizer: the prompt is token ids).
struct TestModel {
    std::filesystem::path dir;
    QString prompt;
    QString corruptedPrompt;  // same token count as `prompt`
};
TestModel testModel();

struct ExpectedRun {
    std::vector<int64_t> topIds;
    std::vector<double> topProbs;
    std::vector<double> fullProbs;             // [vocab]
    std::vector<std::vector<float>> patterns;  // [layer] -> [head, query, key]
    int length = 0;

    /// One head's map [query, key].
    std::vector<float> map(int layer, int head) const;
};

/// Runs the prompt with zero-ablated heads `ablated` ({layer, head} pairs), topK 10.
class ExpectedRunner {
public:
    explicit ExpectedRunner(const std::filesystem::path& dir);
    ~ExpectedRunner();
    ExpectedRun run(const QString& prompt, const std::vector<std::pair<int, int>>& ablated);
    /// Runs the prompt with one edit of a GUI kind (intervention_kinds.h) on (layer, head),
    /// built here from the runtime's types: scale (factor param), mean ablation, sink + window
    /// (4 sinks, window param), ACT calibration (thres param, beta 0.4), patch (hook_z of
    /// `corrupted`).
    ExpectedRun runEdit(const QString& prompt, const QString& kind, int layer, int head,
                        double param, const QString& corrupted = QString());

    struct Impl;
    Impl& impl() { return *m_impl; }

private:
    std::unique_ptr<Impl> m_impl;
};

/// The logit lens computed here from the runtime's hook_resid_post: the probability of `token`
/// after `layer` at the last position, with the model's final norm (RMSNorm or LayerNorm,
/// written out in float64) and unembedding, on the prompt with zero-ablated heads `ablated`.
double expectedLensProb(ExpectedRunner& runner, const QString& prompt,
                        const std::vector<std::pair<int, int>>& ablated, int layer, int64_t token);

/// A registry metric's [layer, head] scores over `prompts` (text, or ids without tokenizer),
/// computed with analysis::runMetric on a model of this runner.
std::vector<double> expectedMetric(ExpectedRunner& runner, const std::string& metric,
                                   const std::map<std::string, std::string>& params,
                                   const std::vector<QString>& prompts);

}  // namespace attnscope::test
