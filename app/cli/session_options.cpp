#include "session_options.h"

#include "common_options.h"
#include "edit_options.h"

namespace attnscope::app {

const std::set<std::string>& promptOptionNames() {
    static const std::set<std::string> names = {"--prompt", "--ids", "--corrupted",
                                                "--corrupted-ids"};
    return names;
}

std::unique_ptr<Session> openSessionFromArgs(const CliArgs& args) {
    auto session = std::make_unique<Session>(args.required("--model"), capture::Progress{},
                                             loadOptionsFromArgs(args));
    session->setSplitSpecialTokens(args.flag(kSplitSpecialTokens));
    return session;
}

RunRequest runRequestFromArgs(const CliArgs& args) {
    if (args.has("--prompt") == args.has("--ids"))
        throw UsageError("give exactly one of --prompt TEXT or --ids 1,2,3");
    const bool ids = args.has("--ids");
    if (args.has(ids ? "--corrupted" : "--corrupted-ids"))
        throw UsageError(ids ? "--ids goes with --corrupted-ids, not --corrupted"
                             : "--prompt goes with --corrupted, not --corrupted-ids");
    RunRequest r;
    r.promptsAreIds = ids;
    r.prompt = *args.value(ids ? "--ids" : "--prompt");
    r.corruptedPrompt = args.value(ids ? "--corrupted-ids" : "--corrupted").value_or("");
    r.splitSpecialTokens = args.flag(kSplitSpecialTokens);
    return r;
}

std::set<std::string> editedRunOptionNames() {
    auto names = modelOptionNames();
    names.insert(promptOptionNames().begin(), promptOptionNames().end());
    names.insert(editOptionNames().begin(), editOptionNames().end());
    return names;
}

EditedRun openEditedRun(const CliArgs& args) {
    EditedRun out;
    out.request = runRequestFromArgs(args);
    const EditOptions edits(args);
    out.session = openSessionFromArgs(args);
    edits.check(out.session->model().layers, out.session->model().heads);
    out.request.edits = edits.all();
    return out;
}

}  // namespace attnscope::app
