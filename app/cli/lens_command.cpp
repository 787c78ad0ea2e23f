// `attnscope-cli lens`: the logit lens of a prompt under an edit list, next to its baseline.
#include <iomanip>
#include <nlohmann/json.hpp>
#include <ostream>

#include "commands.h"
#include "common_options.h"
#include "edit_options.h"
#include "session_options.h"

namespace attnscope::app {

int runLensCommand(const std::vector<std::string>& argv, std::istream&, std::ostream& out,
                   std::ostream&) {
    auto valued = modelOptionNames();
    valued.insert(promptOptionNames().begin(), promptOptionNames().end());
    valued.insert(editOptionNames().begin(), editOptionNames().end());
    const CliArgs args(argv, valued, {"--json", kSplitSpecialTokens});
    RunRequest request = runRequestFromArgs(args);
    const EditOptions edits(args);
    auto session = openSessionFromArgs(args);
    edits.check(session->model().layers, session->model().heads);
    request.edits = edits.all();
    request.topK = 1;
    const auto run = session->run(request);
    const LogitLens& lens = run->lens;
    if (args.flag("--json")) {
        nlohmann::ordered_json j;
        j["token"] = lens.token;
        j["token_id"] = lens.tokenId;
        j["prob"] = lens.prob;
        j["baseline_prob"] = lens.baselineProb;
        out << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
        return 0;
    }
    out << "logit lens: p('" << lens.token << "') after each layer (the edited run's top token)\n";
    out << "layer  edited      baseline\n";
    for (size_t l = 0; l < lens.prob.size(); ++l)
        out << std::left << std::setw(7) << l << std::fixed << std::setprecision(6) << std::setw(12)
            << lens.prob[l] << lens.baselineProb[l] << "\n";
    return 0;
}

}  // namespace attnscope::app
