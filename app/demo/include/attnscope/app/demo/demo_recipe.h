#pragma once
// The demo model's recipe: training from scratch, then the phases that give the heads their
// roles, run in one process (`attnscope-cli train-demo --out DIR`).
#include <string>
#include <vector>

#include "attnscope/app/demo/demo_trainer.h"

namespace attnscope::app::demo {

/// One phase of the recipe: its own seed, steps, batch mix, learning rate and head roles, and a
/// fresh AdamW state; it continues from the previous phase's weights.
struct TrainPhase {
    std::string name;
    std::string purpose;  ///< why the phase exists, for the log and training.json
    TrainOptions options;
};

/// The shipped model's recipe. Phase 1 trains from scratch; every later phase is a fine-tuning
/// phase (constant learning rate after a 20-step warm-up, no MQAR curriculum).
std::vector<TrainPhase> demoRecipe();

struct RecipeResult {
    TrainResult final;                ///< the last phase's result: the model to write
    std::vector<TrainResult> phases;  ///< per phase (their `model` is the same final model)
    double seconds = 0.0;
};

/// Called before each phase starts (index into the recipe).
using PhaseStartFn = std::function<void(size_t phase)>;
/// Called after each phase ends, with its result (whose model later phases go on training).
using PhaseEndFn = std::function<void(size_t phase, const TrainResult& result)>;

/// Runs the phases in order, each from the previous one's weights. `progress` covers the whole
/// recipe, each phase weighted by its estimated work (steps × the tokens of a step's batch), so
/// that an ETA from it holds across phases of different batch mixes. Cancellation throws
/// capture::Cancelled and returns no model.
RecipeResult trainDemoRecipe(const std::vector<TrainPhase>& phases,
                             const DemoVocabulary& vocabulary,
                             const capture::Progress& progress = {}, const TrainLogFn& log = {},
                             const PhaseStartFn& onPhase = {}, const PhaseEndFn& onPhaseEnd = {});

/// A phase's estimated work in tokens: steps × Σ over tasks of batch × mean sequence length
/// (sampled from the task generator with a fixed seed).
double phaseWork(const TrainOptions& options, const DemoVocabulary& vocabulary);

}  // namespace attnscope::app::demo
