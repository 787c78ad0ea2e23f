#pragma once
// The analyses an experiment item can run besides registry metrics (which come, plugins
// included, from analysis::MetricRegistry): each kind declares its parameters, which the
// experiment parser checks, and how it runs on a session. A new kind is one entry in
// analysisKinds().
#include <cmath>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "attnscope/analysis/metric.h"
#include "attnscope/app/experiment.h"
#include "attnscope/app/session.h"

namespace attnscope::app {

/// One result table of one item: a [layer, head] score table ("head_scores"), one row per layer
/// ("per_layer"), a curve ("curve") or one row per edge of the model's circuit graph ("edges":
/// score and in_circuit, the edge names in the params), `columns` naming the columns of all but
/// the first. Values are
/// float32, as the results file holds them, so that a table read back compares equal.
struct ResultTable {
    std::string analysis;  ///< AnalysisSpec::label
    std::string shape;     ///< "head_scores", "per_layer", "curve" or "edges"
    int rows = 0;
    int cols = 0;
    std::vector<float> values;         ///< row-major [rows, cols]
    std::vector<std::string> columns;  ///< empty for head_scores (the columns are heads)
    std::string paramsJson = "{}";     ///< what the table was computed with

    /// Equal tables, NaN (an unscored cell) equal to NaN.
    bool operator==(const ResultTable& o) const {
        if (values.size() != o.values.size()) return false;
        for (size_t i = 0; i < values.size(); ++i)
            if (values[i] != o.values[i] && !(std::isnan(values[i]) && std::isnan(o.values[i])))
                return false;
        return analysis == o.analysis && shape == o.shape && rows == o.rows && cols == o.cols &&
               columns == o.columns && paramsJson == o.paramsJson;
    }
};

/// What one item runs on: a prompt of a dataset under one edit list.
struct ItemInput {
    std::string prompt;
    std::string corruptedPrompt;
    /// The dataset entry with all its fields, as JSON text (metrics read e.g. "answer").
    std::string fieldsJson = "{}";
    EditList edits;
};

/// Runs one analysis of an item. `earlier` holds the tables this item already computed (the
/// ablation curve orders heads by one of them).
using AnalysisRunner = std::function<ResultTable(
    Session& session, const ItemInput& item, const AnalysisSpec& spec,
    const std::vector<ResultTable>& earlier, const capture::Progress& progress)>;

struct AnalysisKind {
    std::string name;
    std::string description;
    std::vector<analysis::ParamSpec> params;
    AnalysisRunner run;
};

/// logit_lens, ablation_curve, and the circuit methods eap, eap_ig, acdc and
/// activation_patching. Registry metrics are kind "metric".
const std::vector<AnalysisKind>& analysisKinds();
/// The kind called `name`, or null.
const AnalysisKind* findAnalysisKind(const std::string& name);
/// Runs `spec` (kind "metric" or one of analysisKinds()).
ResultTable runAnalysis(Session& session, const ItemInput& item, const AnalysisSpec& spec,
                        const std::vector<ResultTable>& earlier,
                        const capture::Progress& progress = {});

}  // namespace attnscope::app
