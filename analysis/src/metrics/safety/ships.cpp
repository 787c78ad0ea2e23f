// §3.2 Ships: KL(p || p') between the next-token distributions at the last prompt position of
// the unablated model and of the model with one head ablated, averaged over the dataset.
#include <limits>

#include "attnscope/analysis/ablation_sweep.h"
#include "attnscope/analysis/ships.h"
#include "attnscope/capture/load_error.h"
#include "attnscope/capture/transformer_model.h"
#include "builtin_metrics.h"
#include "safety_prompts.h"

namespace attnscope::analysis {
namespace {

class ShipsMetric : public Metric {
public:
    ShipsMetric() {
        m_info.name = "ships";
        m_info.title = "Ships: safety head importance score (Zhou et al.)";
        m_info.description =
            "KL(p || p') of the next-token distribution at the last prompt position when the "
            "head is ablated, mean over the (harmful) prompts; high = the head matters for the "
            "model's answer to harmful queries. Details: per-item top heads";
        m_info.citation =
            "spec §3.1-3.2 (SH lib/SHIPS/get_ships.py::SHIPS.get_ships, pd_diff.kl_divergence)";
        m_info.usesInterventions = true;
        m_info.params = ablationParams("1e-4");
        m_info.params.push_back({"use_template", ParamType::Boolean, "false",
                                 "wrap each query as \"## Query:{q} \\n## Answer:\" (get_ships "
                                 "main); default: the raw query",
                                 false});
        m_info.params.push_back({"top_k", ParamType::Integer, "10",
                                 "heads listed per item in the details (sort_ships_dict)", false});
        m_info.params.push_back(
            {"per_item_tables", ParamType::Boolean, "false", "store every item's table", false});
    }
    const MetricInfo& info() const override { return m_info; }

    MetricResult compute(const MetricContext& ctx, const MetricParams& params) const override {
        const AblationSpec spec = ablationSpecOf(params);
        const int64_t topK = params.integer("top_k");
        if (topK < 0) throw capture::InputError("top_k must be >= 0");
        SweepOptions options;
        options.batchSize = batchSizeOf(params);
        const auto prompts =
            safetyPromptIds(ctx, params.boolean("harmful_only"), params.boolean("use_template"),
                            "## Query:", " \n## Answer:", params.integer("max_tokens"));
        auto& model = ctx.model;
        const int layers = static_cast<int>(model.config().nLayers);
        const int heads = maskHeadCount(model, spec.target);
        const auto variants = singleHeadVariants(model, spec.target);

        MetricResult result;
        HeadTable sum(layers, heads);
        nlohmann::json perItem = nlohmann::json::array();
        std::size_t done = 0;
        for (std::size_t i = 0; i < prompts.size(); ++i) {
            options.progress = ctx.progress.part(double(i) / double(prompts.size()),
                                                 double(i + 1) / double(prompts.size()));
            const SweepRows base = ablationSweep(model, prompts[i], {HeadSet{}}, spec, options);
            const SweepRows ablated = ablationSweep(model, prompts[i], variants, spec, options);
            const std::vector<float> p(base.row(0).data(), base.row(0).data() + base.cols());
            HeadTable table(layers, heads);
            for (std::size_t v = 0; v < variants.size(); ++v) {
                const float* row = ablated.row(static_cast<Eigen::Index>(v)).data();
                const double s = shipsKl(p, std::vector<float>(row, row + ablated.cols()));
                table.values[v] = s;
                sum.values[v] += s;
            }
            ++done;
            nlohmann::json item = {
                {"prompt_tokens", prompts[i].size()},
                {"top_heads", headList(topHeads(table, static_cast<int>(topK)), table)}};
            if (params.boolean("per_item_tables")) item["table"] = table.values;
            perItem.push_back(item);
        }
        for (double& v : sum.values)
            v = done > 0 ? v / double(done) : std::numeric_limits<double>::quiet_NaN();
        result.scores = sum;
        result.details["per_item"] = perItem;
        result.details["items_scored"] = done;
        result.details["table_heads"] = spec.target == MaskTarget::Key ? "kv_head" : "head";
        result.details["top_heads"] = headList(topHeads(sum, static_cast<int>(topK)), sum);
        return result;
    }

private:
    MetricInfo m_info;
};

}  // namespace

std::shared_ptr<const Metric> makeShipsMetric() {
    return std::make_shared<ShipsMetric>();
}

}  // namespace attnscope::analysis
