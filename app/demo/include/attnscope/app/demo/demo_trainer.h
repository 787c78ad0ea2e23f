#pragma once
// Trains the demo model with LibTorch autograd on CPU, on a mixture of the demo tasks generated
// on the fly.
#include <array>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "attnscope/app/demo/demo_example.h"
#include "attnscope/app/demo/demo_model_shape.h"
#include "attnscope/app/demo/task_generator.h"
#include "attnscope/capture/progress.h"

namespace attnscope::capture {
class TransformerModel;
}

namespace attnscope::app::demo {

/// Heads (layer, head) a task's answers are to rest on, so that the demo model's head roles
/// are known by construction. At the task's decision positions every other head's attention
/// on the task's source tokens is penalised (its mean per head and position, times `penalty`),
/// and per sequence `dropout` random other heads attend uniformly there (what the ablation
/// experiments' zeroed query does), so that the answers hinge on none of them.
struct HeadRole {
    std::vector<std::pair<int64_t, int64_t>> heads;
    /// Optional, one per head in `heads`: the kind of source token (an index into
    /// roleSourceKinds) that head alone reads. Each head is then also penalised for attending
    /// the other kinds, so that the task rests on a different head per kind and ablating one
    /// breaks only the examples whose source is of its kind. Empty: every head in `heads` may
    /// read every source token.
    std::vector<int64_t> sourceKinds;
    /// Refusal roles with source kinds only: the probability per sequence that one of the role
    /// heads (drawn uniformly) is dropped as well, with the answer the request would get if its
    /// words of that head's kind were benign (a request harmful only by that kind is answered).
    /// This trains what ablating a role head does instead of leaving it to chance: the heads'
    /// own attention is shaped by the penalty, but not what the model does without them.
    double roleHeadDropout = 0.0;
    double penalty = 0.0;
    int64_t dropout = 0;
    /// The penalty and the dropout act at every prompt position instead of the decision
    /// positions only: what the safety analyses' ablation does (Ships, Sahara and the
    /// attack-success rate scale a head's query at every position), so that neither the
    /// decision nor the prompt's final hidden state (Sahara's subspace) hinges on another head,
    /// and a role head reads the other kinds' words nowhere.
    bool wholePrompt = false;
    bool active() const { return penalty > 0 || dropout > 0; }
};

/// A head made an active-dormant attention sink on Bigram-Backcopy (Guo et al.): dormant (its
/// attention parked on <bos>) at ordinary tokens, active (off <bos>) at the trigger words. The
/// penalty is a hinge on the head's <bos> attention: (dormantFloor − a)+ averaged over a
/// sequence's ordinary positions plus (a − activeCeiling)+ averaged over its triggers, mean over
/// the sequences, times `penalty`. The margins lie beyond the acceptance thresholds (≥ 0.5,
/// < 0.2) so that the role survives a rerun's floating-point drift.
struct SinkRole {
    std::pair<int64_t, int64_t> head{0, 0};
    double penalty = 0.0;
    double dormantFloor = 0.7;
    double activeCeiling = 0.05;
    /// Keeps the role the only one: every other head's mean <bos> attention at a sequence's
    /// ordinary positions may exceed that at its triggers by this much at most (a hinge beyond
    /// it, summed over those heads, joins the penalty). The acceptance rule needs a gap above
    /// 0.3 (>= 0.5 against < 0.2), so a value below that leaves no other head active/dormant;
    /// 1 turns the constraint off.
    double othersMaxGap = 1.0;
    bool active() const { return penalty > 0; }
};

/// The kinds of source tokens a task's role heads read (HeadRole::sourceKinds): the needle's
/// "secret"; the refusal's harmful "verb" and harmful "object". Empty for the other tasks.
const std::vector<std::string>& roleSourceKinds(TaskKind task);

struct TrainOptions {
    uint64_t seed = 1;  ///< initial weights (unless `initialModel` is given) and training data
    /// Weights to continue training (fine-tuning) instead of fresh ones drawn from `seed`; the
    /// model must be the float32 architecture `shape` describes over the vocabulary. The trainer
    /// updates it in place and returns it.
    std::shared_ptr<capture::TransformerModel> initialModel;
    int64_t steps = 2500;
    DemoModelShape shape;
    TaskSettings tasks;
    /// Sequences of each task per step (indexed by taskIndex); 0 leaves a task out.
    std::array<int64_t, kTaskCount> batch = {24, 8, 8, 12};
    /// Weight of each task's mean token loss in the step's loss.
    std::array<double, kTaskCount> lossWeight = {1.0, 1.0, 1.0, 1.0};
    double learningRate = 3e-3;     ///< peak, after a linear warm-up
    double minLearningRate = 3e-4;  ///< end of the cosine decay
    int64_t warmupSteps = 100;
    double weightDecay = 0.01;  ///< matrices only
    double gradClip = 1.0;
    /// MQAR's pair count ramps from minPairs + 2 to maxPairs over this fraction of the steps.
    double curriculumFraction = 0.3;
    /// Needle-copying heads: other heads are kept off the secret at the answer positions.
    HeadRole retrieval;
    /// Refusal heads: other heads are kept off the harmful words at the answer marker, where
    /// the model decides between refusing and answering.
    HeadRole safety;
    /// Active-dormant head: shaped on the Bigram-Backcopy batches.
    SinkRole sink;
    int64_t logEvery = 25;      ///< steps between progress reports
    int64_t evalEvery = 250;    ///< steps between validation scores (and at the end); 0 = end only
    int64_t evalExamples = 64;  ///< validation sequences per task
};

/// One line of the training log: mean losses since the previous report, validation accuracies
/// when `evaluated`.
struct TrainReport {
    int64_t step = 0;
    int64_t steps = 0;
    std::array<double, kTaskCount> loss{};  ///< NaN for tasks left out
    bool evaluated = false;
    std::array<double, kTaskCount> accuracy{};
    double learningRate = 0.0;
    int64_t mqarPairs = 0;  ///< the curriculum's current cap
    /// With a retrieval (safety) role: the mean attention of the other heads on the secret
    /// (on the harmful words), see HeadRole; NaN otherwise.
    double needleAttentionElsewhere = std::numeric_limits<double>::quiet_NaN();
    double harmfulAttentionElsewhere = std::numeric_limits<double>::quiet_NaN();
    /// With a sink role: the mean hinge of SinkRole (before `penalty`); NaN otherwise.
    double sinkShortfall = std::numeric_limits<double>::quiet_NaN();
    double seconds = 0.0;  ///< since training started
};

struct TrainResult {
    std::shared_ptr<capture::TransformerModel> model;
    std::string configJson;                      ///< the config the model was built from
    std::array<double, kTaskCount> firstLoss{};  ///< the first step's (before any update)
    std::array<double, kTaskCount> lastLoss{};   ///< mean over the last report window
    std::array<double, kTaskCount> accuracy{};   ///< final validation accuracy
    int64_t steps = 0;                           ///< steps done
    double seconds = 0.0;
};

/// Receives the training log every `logEvery` steps (on the training thread).
using TrainLogFn = std::function<void(const TrainReport&)>;

/// Trains a fresh model, or continues training `options.initialModel`. Deterministic for a given
/// seed and thread count. Throws std::invalid_argument for inconsistent options (an initial model
/// of another architecture included). `progress` receives the fraction of steps done after each
/// step; once its token is set, training stops before the next step and throws
/// capture::Cancelled (an initial model is then left partly trained).
TrainResult trainDemoModel(const TrainOptions& options, const DemoVocabulary& vocabulary,
                           const capture::Progress& progress = {}, const TrainLogFn& log = {});

/// Validation examples (fixed seed, held-out refusal requests), `count` per task.
std::vector<Example> validationExamples(const TaskGenerator& generator, TaskKind task,
                                        int64_t count, uint64_t seed);

}  // namespace attnscope::app::demo
