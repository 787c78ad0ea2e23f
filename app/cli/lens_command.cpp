// `attnscope-cli lens`: the logit lens of a prompt under an edit list, next to its baseline.
#include <iomanip>
#include <nlohmann/json.hpp>
#include <ostream>

#include "commands.h"
#include "common_options.h"
#include "session_options.h"

namespace attnscope::app {

int runLensCommand(const std::vector<std::string>& argv, std::istream&, std::ostream& out,
                   std::ostream&) {
    const CliArgs args(argv, editedRunOptionNames(), {"--json", kSplitSpecialTokens});
    EditedRun edited = openEditedRun(args);
    edited.request.topK = 1;
    const auto run = edited.session->run(edited.request);
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
