#pragma once
// What the commands built on app::Session (lens, ablation-curve) share: opening the session
// from --model/--dtype/--device/--threads and the prompt from --prompt or --ids.
#include <memory>
#include <set>
#include <string>

#include "attnscope/app/session.h"
#include "cli_args.h"

namespace attnscope::app {

/// --prompt, --ids, --corrupted, --corrupted-ids.
const std::set<std::string>& promptOptionNames();
/// Opens --model as a session, with the CLI's thread, load and tokenizer options
/// (--split-special-tokens).
std::unique_ptr<Session> openSessionFromArgs(const CliArgs& args);
/// The run of --prompt TEXT or --ids 1,2,3 (exactly one), with the corrupted prompt if given.
RunRequest runRequestFromArgs(const CliArgs& args);

/// The options every edited-run command takes: model, prompts, edits (editOptionNames()).
std::set<std::string> editedRunOptionNames();

/// An opened session and the edited run the arguments ask for. The edit files are read before
/// the model loads (a malformed one fails fast) and checked against the model after.
struct EditedRun {
    std::unique_ptr<Session> session;
    RunRequest request;
};
EditedRun openEditedRun(const CliArgs& args);

}  // namespace attnscope::app
