// `attnscope-cli ablation-curve`: heads zero-ablated cumulatively in the order of a metric's
// scores, against random orders of the same heads.
#include <iomanip>
#include <nlohmann/json.hpp>
#include <ostream>

#include "attnscope/analysis/metric.h"
#include "commands.h"
#include "common_options.h"
#include "score_params.h"
#include "session_options.h"
#include "terminal_progress.h"

namespace attnscope::app {

int runAblationCurveCommand(const std::vector<std::string>& argv, std::istream&, std::ostream& out,
                            std::ostream& err) {
    auto valued = modelOptionNames();
    valued.insert({"--prompt", "--ids", "--metric", "--param", "--data", "--max-heads",
                   "--random-orders", "--seed"});
    const CliArgs args(argv, valued, {"--json", "--quiet", kSplitSpecialTokens});
    const RunRequest prompt = runRequestFromArgs(args);
    ScoreRequest score;
    score.metric = args.required("--metric");
    score.params = parseScoreParams(args.all("--param"));
    score.datasetPath = args.value("--data").value_or("");
    if (score.datasetPath.empty()) score.prompts = {prompt.prompt};
    analysis::MetricRegistry::global().find(score.metric);  // fail fast before loading
    AblationCurveRequest request;
    request.prompt = prompt.prompt;
    request.promptIsIds = prompt.promptsAreIds;
    request.maxHeads = static_cast<int>(args.integer("--max-heads", 16, 1, 1000000));
    request.randomOrders = static_cast<int>(args.integer("--random-orders", 5, 0, 10000));
    request.seed = static_cast<uint64_t>(args.integer("--seed", 1, 0, INT64_MAX));

    auto session = openSessionFromArgs(args);
    TerminalProgress bar(err, !args.flag("--quiet"));
    const capture::Progress progress = bar.progress();
    request.scores = session->score(score, progress.part(0.0, 0.5));
    const AblationCurve curve = session->ablationCurve(request, progress.part(0.5, 1.0));
    bar.finish();

    if (args.flag("--json")) {
        nlohmann::ordered_json j;
        j["metric"] = curve.metric;
        j["score"] = curve.score;
        j["heads_removed"] = curve.headsRemoved;
        j["by_score"] = curve.byScore;
        j["random_mean"] = curve.random;
        j["random_std"] = curve.randomStd;
        out << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
        return 0;
    }
    out << curve.metric << " as heads are zero-ablated in descending " << curve.score
        << " order\nremoved  by score   random (mean ± std)\n";
    for (size_t i = 0; i < curve.headsRemoved.size(); ++i) {
        out << std::left << std::setw(9) << curve.headsRemoved[i] << std::fixed
            << std::setprecision(6) << std::setw(11) << curve.byScore[i];
        if (i < curve.random.size()) out << curve.random[i] << " ± " << curve.randomStd[i];
        out << "\n";
    }
    return 0;
}

}  // namespace attnscope::app
