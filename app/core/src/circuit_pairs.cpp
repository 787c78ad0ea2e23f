#include "circuit_pairs.h"

#include "attnscope/analysis/circuits/prompt_pairs.h"
#include "attnscope/capture/load_error.h"
#include "attnscope/capture/tokenizer.h"
#include "attnscope/capture/transformer_model.h"

namespace attnscope::app {
namespace {

namespace circuits = analysis::circuits;

int64_t singleId(const std::string& text, const char* what) {
    const std::vector<int64_t> parsed = parseIdList(text);
    if (parsed.size() != 1)
        throw capture::InputError(std::string(what) + " '" + text + "': expected one id");
    return parsed.front();
}

circuits::PromptPair typedPair(const OpenedModel& opened, const CircuitPairs& p) {
    if (opened.tokenizer && !p.promptsAreIds)
        return circuits::promptPairFromText(*opened.tokenizer, p.clean, p.corrupted, p.answer,
                                            p.wrong);
    circuits::PromptPair pair;
    pair.clean = parseIdList(p.clean);
    pair.corrupted = parseIdList(p.corrupted);
    pair.answer = singleId(p.answer, "answer");
    pair.wrong = singleId(p.wrong, "wrong answer");
    return pair;
}

}  // namespace

std::vector<circuits::PromptPair> loadPromptPairs(const OpenedModel& opened,
                                                  const CircuitPairs& pairs) {
    std::vector<circuits::PromptPair> read;
    std::string source = "prompt pair";
    if (!pairs.pairsPath.empty()) {
        read = circuits::readPromptPairs(pairs.pairsPath, opened.tokenizer.get());
        source = pairs.pairsPath;
    } else {
        read.push_back(typedPair(opened, pairs));
    }
    circuits::validatePromptPairs(read, opened.model->config().vocabSize, source);
    return read;
}

nlohmann::json describePairs(const CircuitPairs& pairs) {
    if (!pairs.pairsPath.empty()) return {{"file", pairs.pairsPath}};
    return {{"clean", pairs.clean},
            {"corrupted", pairs.corrupted},
            {"answer", pairs.answer},
            {"wrong", pairs.wrong},
            {"ids", pairs.promptsAreIds}};
}

}  // namespace attnscope::app
