#pragma once

#include "attnscope/app/session.h"
#include "attnscope/ui/attention_map_snapshot.h"
#include "attnscope/ui/head_scores_snapshot.h"
#include "attnscope/ui/intervention_item.h"
#include "attnscope/ui/logit_lens_snapshot.h"
#include "attnscope/ui/predictions_snapshot.h"
#include "attnscope/ui/tokens_snapshot.h"

#include <QString>
#include <QStringList>

#include <memory>
#include <optional>
#include <vector>

namespace attnscope::ui {

/// Which map the heatmap shows for a selection.
enum class MapAverage {
    Head,        // the selected head
    LayerHeads,  // mean of the selected layer's heads
    AllHeads,    // mean of every head of every layer
};

/// Everything one finished run produced, as an immutable value the views read: tokens,
/// next-token predictions (edited with the baseline's probabilities), every layer's
/// attention patterns of the edited and the baseline run, cheap per-head scores and the
/// logit lens.
/// Built on the worker thread, then only read (shared as shared_ptr<const RunSnapshot>).
struct RunSnapshot {
    quint64 generation = 0;
    /// The app/core result this snapshot shows (what a saved session writes).
    std::shared_ptr<const app::RunResult> result;
    QString prompt;
    QString corruptedPrompt;
    InterventionList interventions;
    TokensSnapshot tokens;
    QStringList tokenLabels;           // display strings, one per position
    QStringList corruptedTokenLabels;  // the corrupted prompt's, empty without one
    PredictionsSnapshot predictions;
    int layers = 0;
    int heads = 0;
    int length = 0;  // tokens in the prompt
    /// [layer] -> [head, query, key] row-major softmax weights, shared with app/core's result
    /// (a baseline is shared by every edited run of the same prompt).
    app::SharedPatterns patterns;
    app::SharedPatterns baselinePatterns;
    /// The corrupted prompt's unedited patterns (null without one, or when its length differs).
    app::SharedPatterns corruptedPatterns;
    /// Live sink score per head: mean over queries q >= 1 of the weight on token 0.
    HeadScoresSnapshot sinkScores;
    HeadScoresSnapshot baselineSinkScores;
    std::vector<double> sinkMassPerLayer;  // mean of sinkScores over each layer's heads
    std::vector<double> baselineSinkMassPerLayer;
    /// Probability of the edited run's top prediction after each layer, edited and baseline.
    LogitLensSnapshot logitLens;

    enum class Source { Edited, Baseline, Corrupted };

    /// The map of head (layer, head), or a mean of maps (see MapAverage), with token labels.
    /// Invalid (empty) when out of range or the source is missing.
    AttentionMapSnapshot map(int layer, int head, MapAverage average = MapAverage::Head,
                             Source source = Source::Edited) const;

    /// A map as the heatmap shows it: one head or a mean of heads (`average`) of `source`,
    /// or, with `minus` set, its difference from the same map of `*minus`.
    struct MapSpec {
        int layer = 0;
        int head = 0;
        MapAverage average = MapAverage::Head;
        Source source = Source::Edited;
        std::optional<Source> minus;
    };
    /// Whether the spec's sources exist and its layer and head are in range.
    bool hasMap(const MapSpec& spec) const;
    /// The tile [q0, q1) x [k0, k1) of the spec's map with at most `maxCells` cells per axis,
    /// max-pooled (a difference by largest magnitude), read row by row from the shared pattern
    /// buffers: a tile of a long prompt costs its own area, and no T x T map is copied. Equal
    /// to makeTile() over map() (a difference: over map() - map(minus)).
    AttentionMapSnapshot tile(const MapSpec& spec, int q0, int q1, int k0, int k1,
                              int maxCells) const;
    /// The title map() gives the spec's map.
    QString mapTitle(const MapSpec& spec) const;
};

}  // namespace attnscope::ui
