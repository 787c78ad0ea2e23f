// §3.4-3.5 Generalized Ships of every single head and the Sahara greedy group search.
#include <limits>

#include "attnscope/analysis/sahara_sweep.h"
#include "attnscope/capture/load_error.h"
#include "attnscope/capture/transformer_model.h"
#include "builtin_metrics.h"
#include "safety_prompts.h"

namespace attnscope::analysis {
namespace {

class SaharaMetric : public Metric {
public:
    SaharaMetric() {
        m_info.name = "sahara";
        m_info.title = "Generalized Ships and Sahara safety-head search (Zhou et al.)";
        m_info.description =
            "GShips: principal angle (degrees) between the top left singular vectors of the "
            "[N, d_model] final hidden states of N harmful prompts, unablated vs with the head "
            "ablated; high = the head shapes the model's harmful-query representation. The "
            "table is the first search step (single heads); details give the Sahara set and "
            "every step's table";
        m_info.citation =
            "spec §3.4-3.5 (SH lib/Sahara/attribution.py, svd.py::compute_subspace_similarity, "
            "safety_head_attribution)";
        m_info.hooks = {"ln_final.hook_normalized"};
        m_info.usesInterventions = true;
        // Sahara/attribution.py::default_search_cfg uses epsilon 1e-5.
        m_info.params = ablationParams("1e-5");
        m_info.params.push_back({"use_template", ParamType::Boolean, "true",
                                 "wrap each query as \"## Query:{input}\\n## Answer:\" "
                                 "(get_last_hidden_states)",
                                 false});
        m_info.params.push_back({"search_step", ParamType::Integer, "1",
                                 "heads added by the greedy search (code default 1; the "
                                 "paper's group size, about 3, is not in the code)",
                                 true});
        m_info.params.push_back({"rank", ParamType::Integer, "1",
                                 "principal angles compared (code: 1; r > 1 sums the angles)",
                                 true});
    }
    const MetricInfo& info() const override { return m_info; }

    MetricResult compute(const MetricContext& ctx, const MetricParams& params) const override {
        const AblationSpec spec = ablationSpecOf(params);
        GShipsOptions options;
        options.batchSize = batchSizeOf(params);
        options.rank = static_cast<int>(params.integer("rank"));
        options.progress = capture::Progress(
            [&ctx](double f, const std::string&) { ctx.report(f, "Sahara search"); },
            ctx.cancelToken());
        const int64_t steps = params.integer("search_step");
        const auto prompts =
            safetyPromptIds(ctx, params.boolean("harmful_only"), params.boolean("use_template"),
                            "## Query:", "\n## Answer:", params.integer("max_tokens"));
        const auto r = saharaSweep(ctx.model, prompts, static_cast<int>(steps), spec, options);

        MetricResult result;
        const int layers = static_cast<int>(ctx.model.config().nLayers);
        const int heads = maskHeadCount(ctx.model, spec.target);
        result.scores = r.stepScores.empty()
                            ? HeadTable(layers, heads, std::numeric_limits<double>::quiet_NaN())
                            : r.stepScores.front();
        nlohmann::json selected = nlohmann::json::array();
        nlohmann::json tables = nlohmann::json::array();
        for (std::size_t s = 0; s < r.selected.size(); ++s) {
            selected.push_back({{"layer", r.selected[s].layer},
                                {"head", r.selected[s].head},
                                {"gships", r.stepScores[s].at(r.selected[s])}});
            tables.push_back(r.stepScores[s].values);
        }
        result.details["selected"] = selected;
        result.details["step_tables"] = tables;
        result.details["selected_gships"] = r.selectedScore;
        result.details["prompts"] = prompts.size();
        result.details["table_heads"] = spec.target == MaskTarget::Key ? "kv_head" : "head";
        return result;
    }

private:
    MetricInfo m_info;
};

}  // namespace

std::shared_ptr<const Metric> makeSaharaMetric() {
    return std::make_shared<SaharaMetric>();
}

}  // namespace attnscope::analysis
