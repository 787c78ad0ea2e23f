// `attnscope-cli patch`: an activation patching sweep over one site (issue 13). values[l][h]
// (per-layer sites: values[l]) is the logit difference of the run in which only that
// component carries the other run's activation.
#include <iomanip>
#include <nlohmann/json.hpp>
#include <ostream>

#include "attnscope/analysis/circuits/activation_patching.h"
#include "attnscope/capture/load_error.h"
#include "attnscope/capture/tokenizer.h"
#include "attnscope/capture/transformer_model.h"
#include "commands.h"
#include "common_options.h"
#include "terminal_progress.h"

namespace attnscope::app {
namespace {

namespace circuits = analysis::circuits;
using capture::InputError;

std::vector<int64_t> idsOption(const CliArgs& args, const std::string& flag) {
    try {
        return parseIdList(args.required(flag));
    } catch (const InputError& e) {
        const std::string message = e.what();
        throw InputError(flag + message.substr(message.find(':')));
    }
}

const capture::Tokenizer& tokenizerFor(const OpenedModel& opened, const std::string& flag) {
    if (!opened.tokenizer)
        throw InputError(flag + " needs a tokenizer and " + opened.dir.string() +
                         " has none: give the ids form (" + flag + "-ids / " + flag + "-id)");
    return *opened.tokenizer;
}

// Exactly one of --NAME and --NAME-ids must be given.
std::vector<int64_t> promptOption(const CliArgs& args, const OpenedModel& opened,
                                  const std::string& flag) {
    const bool text = args.has(flag), ids = args.has(flag + "-ids");
    if (text == ids) throw UsageError("give one of " + flag + " and " + flag + "-ids");
    if (ids) return idsOption(args, flag + "-ids");
    return circuits::encodePrompt(tokenizerFor(opened, flag), args.required(flag), flag);
}

int64_t answerOption(const CliArgs& args, const OpenedModel& opened, const std::string& flag) {
    const bool text = args.has(flag), id = args.has(flag + "-id");
    if (text == id) throw UsageError("give one of " + flag + " and " + flag + "-id");
    if (id) {
        const auto ids = idsOption(args, flag + "-id");
        if (ids.size() != 1) throw InputError(flag + "-id takes one token id");
        return ids[0];
    }
    return circuits::encodeAnswerToken(tokenizerFor(opened, flag), args.required(flag), flag);
}

std::vector<circuits::PromptPair> pairsFromArgs(const CliArgs& args, const OpenedModel& opened) {
    if (auto data = args.value("--data")) {
        for (const char* flag : {"--clean", "--clean-ids", "--corrupted", "--corrupted-ids",
                                 "--answer", "--answer-id", "--wrong", "--wrong-id"})
            if (args.has(flag))
                throw UsageError(std::string("--data gives the pairs; drop ") + flag);
        return circuits::readPromptPairs(*data, opened.tokenizer.get());
    }
    circuits::PromptPair pair;
    pair.clean = promptOption(args, opened, "--clean");
    pair.corrupted = promptOption(args, opened, "--corrupted");
    pair.answer = answerOption(args, opened, "--answer");
    pair.wrong = answerOption(args, opened, "--wrong");
    if (pair.clean.size() != pair.corrupted.size())
        throw InputError("the clean prompt has " + std::to_string(pair.clean.size()) +
                         " tokens and the corrupted one " + std::to_string(pair.corrupted.size()) +
                         "; a pair needs equal lengths");
    return {pair};
}

std::vector<int64_t> positionsFromArgs(const CliArgs& args) {
    const std::string p = args.value("--positions").value_or("all");
    if (p == "all") return {};
    if (p == "last") return {-1};
    try {
        return parseIdList(p);
    } catch (const InputError&) {
        throw UsageError("--positions takes all, last or a list of positions like 0,3,5 (got '" +
                         p + "')");
    }
}

void printTable(std::ostream& out, const circuits::PatchingResult& r, int64_t pairs) {
    out << "activation patching at " << circuits::patchSiteName(r.site) << " ("
        << circuits::patchDirectionName(r.direction) << ", logit difference";
    if (pairs > 1) out << ", mean over " << pairs << " pairs";
    out << ")\nclean " << std::fixed << std::setprecision(4) << r.clean << "  corrupted "
        << r.corrupted << "\n";
    const bool perHead = circuits::isPerHeadSite(r.site);
    out << "layer";
    if (perHead)
        for (size_t h = 0; h < r.values.front().size(); ++h)
            out << std::setw(10)
                << ((r.site == circuits::PatchSite::K || r.site == circuits::PatchSite::V) ? "kv"
                                                                                           : "h") +
                       std::to_string(h);
    else
        out << std::setw(10) << "value";
    out << "\n";
    for (size_t l = 0; l < r.values.size(); ++l) {
        out << std::left << std::setw(5) << l << std::right;
        for (double v : r.values[l])
            out << std::setw(10) << v;
        out << "\n";
    }
}

}  // namespace

int runPatchCommand(const std::vector<std::string>& argv, std::istream&, std::ostream& out,
                    std::ostream& err) {
    auto valued = modelOptionNames();
    valued.insert({"--clean", "--clean-ids", "--corrupted", "--corrupted-ids", "--answer",
                   "--answer-id", "--wrong", "--wrong-id", "--site", "--positions", "--direction",
                   "--data"});
    const CliArgs args(argv, valued, {"--json", "--quiet", kSplitSpecialTokens});
    circuits::PatchingOptions options;
    options.site = circuits::parsePatchSite(args.required("--site"));
    if (options.site == circuits::PatchSite::Embed)
        throw UsageError("--site embed is not a sweep site");
    options.direction =
        circuits::parsePatchDirection(args.value("--direction").value_or("noising"));
    options.positions = positionsFromArgs(args);

    OpenedModel opened = openModelFromArgs(args);
    applyTokenizerOptions(args, opened);
    const auto pairs = pairsFromArgs(args, opened);
    circuits::validatePromptPairs(pairs, opened.model->config().vocabSize,
                                  args.value("--data").value_or("the prompt pair"));

    const bool json = args.flag("--json");
    TerminalProgress bar(err, !json && !args.flag("--quiet"));
    const auto result =
        circuits::activationPatchingSweep(*opened.model, pairs, options, bar.progress());
    bar.finish();

    if (!json) {
        printTable(out, result, static_cast<int64_t>(pairs.size()));
        return 0;
    }
    nlohmann::ordered_json j;
    j["site"] = circuits::patchSiteName(result.site);
    j["direction"] = circuits::patchDirectionName(result.direction);
    j["metric"] = "logit_diff";
    j["clean"] = result.clean;
    j["corrupted"] = result.corrupted;
    if (circuits::isPerHeadSite(result.site)) {
        j["values"] = result.values;
    } else {
        j["values"] = nlohmann::json::array();
        for (const auto& layer : result.values)
            j["values"].push_back(layer.front());
    }
    out << j.dump(2) << "\n";
    return 0;
}

}  // namespace attnscope::app
