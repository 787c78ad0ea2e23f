// `attnscope-cli run`: one forward pass, top-k predictions, optional capture file.
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "attnscope/app/capture_export.h"
#include "attnscope/app/edit_interventions.h"
#include "attnscope/capture/load_error.h"
#include "attnscope/capture/transformer_model.h"
#include "attnscope/store/capture_writer.h"
#include "commands.h"
#include "common_options.h"
#include "edit_options.h"

namespace attnscope::app {
namespace {

// Temporaries of this file left by a killed writer: removed here rather than silently inside
// the writer, so that the user learns where the disk space went.
void removeStaleTemporaries(const std::filesystem::path& path, std::ostream& err) {
    for (const auto& stale : store::CaptureWriter::removeStaleTemporaries(path)) {
        std::ostringstream line;  // keeps `err`'s number format untouched
        line << "removed " << stale.path.string() << " (" << std::fixed << std::setprecision(1)
             << static_cast<double>(stale.bytes) / 1e6 << " MB), left by process " << stale.pid
             << " which no longer runs\n";
        err << line.str();
    }
}

void printTable(std::ostream& out, const PromptTokens& prompt, const PromptRun& run) {
    out << "input: " << prompt.ids.size() << " tokens\n";
    out << "rank  prob      logit     id      token\n";
    for (std::size_t i = 0; i < run.top.size(); ++i) {
        const auto& t = run.top[i];
        out << std::left << std::setw(6) << i + 1 << std::fixed << std::setprecision(6)
            << std::setw(10) << t.prob << std::setprecision(3) << std::setw(10) << t.logit
            << std::setw(8) << t.id << "'" << t.text << "'\n";
    }
}

void printJson(std::ostream& out, const PromptTokens& prompt, const PromptRun& run) {
    nlohmann::ordered_json j;
    j["input_ids"] = prompt.ids;
    j["tokens"] = prompt.tokens;
    nlohmann::json top = nlohmann::json::array();
    for (const auto& t : run.top)
        top.push_back({{"id", t.id}, {"token", t.text}, {"prob", t.prob}, {"logit", t.logit}});
    j["top_k"] = top;
    out << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

}  // namespace

int runRunCommand(const std::vector<std::string>& argv, std::istream&, std::ostream& out,
                  std::ostream& err) {
    auto valued = modelOptionNames();
    valued.insert({"--prompt", "--ids", "--corrupted", "--corrupted-ids", "--capture", "--out",
                   "--top-k", "--storage"});
    valued.insert(editOptionNames().begin(), editOptionNames().end());
    const CliArgs args(argv, valued,
                       {"--json", "--compress", "--append", "--long-context", kSplitSpecialTokens});
    if (args.has("--prompt") == args.has("--ids"))
        throw UsageError("give exactly one of --prompt TEXT or --ids 1,2,3");
    if (args.flag(kSplitSpecialTokens) && !args.has("--prompt"))
        throw UsageError("--split-special-tokens applies to --prompt TEXT only");
    const int64_t topK = args.integer("--top-k", 10, 1, 1000000);
    if (args.has("--corrupted") && args.has("--corrupted-ids"))
        throw UsageError("give at most one of --corrupted TEXT or --corrupted-ids 1,2,3");
    const EditOptions editOptions(args);
    OpenedModel opened = openModelFromArgs(args);
    applyTokenizerOptions(args, opened);
    const auto& config = opened.model->config();
    editOptions.check(static_cast<int>(config.nLayers), static_cast<int>(config.nHeads));
    const EditList edits = editOptions.all();
    const PromptTokens prompt = args.has("--prompt")
                                    ? encodePrompt(opened, *args.value("--prompt"))
                                    : promptFromIds(opened, parseIdList(*args.value("--ids")));
    PromptTokens corrupted;
    if (auto text = args.value("--corrupted")) corrupted = encodePrompt(opened, *text);
    if (auto ids = args.value("--corrupted-ids"))
        corrupted = promptFromIds(opened, parseIdList(*ids));
    const auto interventions = interventionsFor(opened, edits, prompt, &corrupted);

    capture::CaptureSpec spec;
    spec.hooks = args.all("--capture");
    PromptRun run;
    if (auto path = args.value("--out")) {
        CaptureFileOptions options;
        options.append = args.flag("--append");
        options.longContext = args.flag("--long-context");
        options.writer.compress = args.flag("--compress");
        const std::string storage = args.value("--storage").value_or("float32");
        if (storage != "float32" && storage != "float16")
            throw UsageError("--storage must be float32 or float16");
        options.writer.storage =
            storage == "float16" ? store::StorageType::Float16 : store::StorageType::Float32;
        removeStaleTemporaries(*path, err);
        run = runPromptToFile(opened, prompt, spec, interventions, topK, *path, options);
    } else {
        run = runPrompt(opened, prompt, spec, interventions, topK);
    }
    if (args.flag("--json"))
        printJson(out, prompt, run);
    else
        printTable(out, prompt, run);
    return 0;
}

}  // namespace attnscope::app
