// `attnscope-cli score` runs any registered metric; `attnscope-cli metrics` lists them.
#include <csignal>
#include <fstream>
#include <iostream>

#include "attnscope/analysis/dataset.h"
#include "attnscope/analysis/result_export.h"
#include "attnscope/capture/transformer_model.h"
#include "attnscope/plugins/plugin_host.h"
#include "commands.h"
#include "common_options.h"
#include "score_params.h"
#include "terminal_progress.h"

namespace attnscope::app {
namespace {

analysis::Dataset defaultDataset(const OpenedModel& opened, const analysis::MetricInfo& info) {
    // Without --data: the model folder's data for this metric, its probe prompts, else
    // AttnScope's natural-text probe set.
    if (!info.modelData.empty() && std::filesystem::exists(opened.dir / "eval" / info.modelData))
        return analysis::loadDataset(opened.dir / "eval" / info.modelData);
    for (const auto& p : {opened.dir / "eval" / "probe.txt",
                          std::filesystem::path(ATTNSCOPE_RESOURCES_DIR) / "prompts" / "probe.txt"})
        if (std::filesystem::exists(p)) return analysis::loadDataset(p);
    throw UsageError("no --data given and no default probe prompts found");
}

void printTable(std::ostream& out, const std::string& metric, const analysis::MetricResult& r) {
    out << metric << " (" << r.datasetDescription << ")\n";
    out << "params: " << r.params.dump() << "\n";
    out << "layer";
    for (int h = 0; h < r.scores.heads; ++h)
        out << "\t"
            << "h" << h;
    out << "\n";
    out.precision(4);
    for (int l = 0; l < r.scores.layers; ++l) {
        out << l;
        for (int h = 0; h < r.scores.heads; ++h)
            out << "\t" << std::fixed << r.scores.at(l, h);
        out << "\n";
    }
    const auto top = analysis::topHeads(r.scores, std::min(5, r.scores.size()));
    out << "top heads:";
    for (const auto& id : top)
        out << " L" << id.layer << "H" << id.head << "=" << r.scores.at(id);
    out << "\n";
}

}  // namespace

std::map<std::string, std::string> parseScoreParams(const std::vector<std::string>& items) {
    std::map<std::string, std::string> out;
    for (const auto& item : items) {
        const auto eq = item.find('=');
        if (eq == std::string::npos || eq == 0)
            throw UsageError("--param expects NAME=VALUE, got '" + item + "'");
        out[item.substr(0, eq)] = item.substr(eq + 1);
    }
    return out;
}

int runMetricsCommand(const std::vector<std::string>& argv, std::istream&, std::ostream& out,
                      std::ostream&) {
    const CliArgs args(argv, {}, {"--json"});
    nlohmann::json list = nlohmann::json::array();
    for (const auto& m : analysis::MetricRegistry::global().all()) {
        const auto& i = m->info();
        nlohmann::json params = nlohmann::json::array();
        for (const auto& p : i.params) {
            nlohmann::json param = {{"name", p.name},
                                    {"default", p.defaultValue},
                                    {"help", p.help},
                                    {"unverified", p.unverified}};
            if (!p.choices.empty()) param["choices"] = p.choices;
            if (p.minimum) param["min"] = *p.minimum;
            if (p.maximum) param["max"] = *p.maximum;
            params.push_back(std::move(param));
        }
        list.push_back({{"name", i.name},
                        {"title", i.title},
                        {"description", i.description},
                        {"citation", i.citation},
                        {"params", params}});
        if (!args.flag("--json")) {
            out << i.name << " — " << i.title << "\n    " << i.description << "\n    " << i.citation
                << "\n";
            for (const auto& p : i.params)
                out << "    --param " << p.name << "=" << p.defaultValue << "  " << p.help
                    << (p.unverified ? " [UNVERIFIED]" : "") << "\n";
        }
    }
    if (args.flag("--json")) out << list.dump(2) << "\n";
    return 0;
}

int runScoreCommand(const std::vector<std::string>& argv, std::istream&, std::ostream& out,
                    std::ostream& err) {
    auto valued = modelOptionNames();
    valued.insert({"--metric", "--param", "--data", "--out", "--csv", "--key"});
    const CliArgs args(argv, valued, {"--json", "--quiet", kSplitSpecialTokens});
    const std::string metric = args.required("--metric");
    const auto params = parseScoreParams(args.all("--param"));
    // Fails fast, before the model loads, for an unknown metric.
    plugins::requirePluginMetric(metric, analysis::MetricRegistry::global());
    const analysis::MetricInfo& info = analysis::MetricRegistry::global().find(metric)->info();
    OpenedModel opened = openModelFromArgs(args);
    applyTokenizerOptions(args, opened);
    const analysis::Dataset data = args.has("--data") ? analysis::loadDataset(*args.value("--data"))
                                                      : defaultDataset(opened, info);
    TerminalProgress progress(err, !args.flag("--quiet"));
    const analysis::MetricContext ctx{*opened.model, opened.tokenizer.get(), data,
                                      progress.progress()};
    const analysis::MetricResult result =
        analysis::runMetric(analysis::MetricRegistry::global(), metric, params, ctx);
    progress.finish();

    if (auto path = args.value("--out")) {
        const auto& c = opened.model->config();
        analysis::writeResult(*path, metric, args.value("--key").value_or("default"), result,
                              {c.architecture, c.rawJson, capture::computeDTypeName(opened.dtype),
                               opened.model->fingerprint()});
    }
    if (auto path = args.value("--csv")) {
        std::ofstream csv(*path);
        if (!csv) throw std::runtime_error(*path + ": cannot write");
        csv << analysis::resultToCsv(result);
    }
    if (args.flag("--json"))
        out << analysis::resultToJson(metric, result).dump(2) << "\n";
    else
        printTable(out, metric, result);
    return 0;
}

}  // namespace attnscope::app
