#include "circuit_options.h"

namespace attnscope::app {

const std::set<std::string>& circuitPairOptionNames() {
    static const std::set<std::string> names = {"--data",          "--clean",     "--corrupted",
                                                "--answer",        "--wrong",     "--clean-ids",
                                                "--corrupted-ids", "--answer-id", "--wrong-id"};
    return names;
}

bool hasCircuitPairs(const CircuitPairs& pairs) {
    return !pairs.pairsPath.empty() || !pairs.clean.empty();
}

CircuitPairs circuitPairsFromArgs(const CliArgs& args, bool required) {
    CircuitPairs pairs;
    const bool text = args.has("--clean") || args.has("--corrupted") || args.has("--answer") ||
                      args.has("--wrong");
    const bool ids = args.has("--clean-ids") || args.has("--corrupted-ids") ||
                     args.has("--answer-id") || args.has("--wrong-id");
    if (args.has("--data") + text + ids > 1)
        throw UsageError(
            "give the pairs one way: --data FILE, or --clean/--corrupted/--answer/--wrong, or "
            "--clean-ids/--corrupted-ids/--answer-id/--wrong-id");
    if (args.has("--data")) {
        pairs.pairsPath = *args.value("--data");
        return pairs;
    }
    if (!text && !ids) {
        if (required) throw UsageError("give the prompt pairs: --data PAIRS.jsonl or a typed pair");
        return pairs;
    }
    const char* names[4][2] = {{"--clean", "--clean-ids"},
                               {"--corrupted", "--corrupted-ids"},
                               {"--answer", "--answer-id"},
                               {"--wrong", "--wrong-id"}};
    std::string* fields[4] = {&pairs.clean, &pairs.corrupted, &pairs.answer, &pairs.wrong};
    for (int i = 0; i < 4; ++i)
        *fields[i] = args.required(names[i][ids ? 1 : 0]);
    pairs.promptsAreIds = ids;
    return pairs;
}

}  // namespace attnscope::app
