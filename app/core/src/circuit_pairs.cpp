#include "circuit_pairs.h"

#include "attnscope/capture/load_error.h"
#include "attnscope/capture/tokenizer.h"

namespace attnscope::app {
namespace {

std::vector<int64_t> promptIds(const OpenedModel& opened, const std::string& text, bool ids) {
    if (opened.tokenizer && !ids) return encodePrompt(opened, text).ids;
    return parseIdList(text);
}

int64_t answerId(const OpenedModel& opened, const std::string& token, bool ids, const char* what) {
    if (token.empty()) throw capture::InputError(std::string(what) + ": missing");
    if (!opened.tokenizer || ids) {
        const std::vector<int64_t> parsed = parseIdList(token);
        if (parsed.size() != 1)
            throw capture::InputError(std::string(what) + " '" + token + "': expected one id");
        return parsed.front();
    }
    const std::vector<int64_t> encoded = opened.tokenizer->encode(token, false).ids;
    if (encoded.size() != 1)
        throw capture::InputError(std::string(what) + " '" + token + "' is " +
                                  std::to_string(encoded.size()) +
                                  " tokens; it must be a single token");
    return encoded.front();
}

}  // namespace

std::vector<analysis::circuits::TokenPair> loadTokenPairs(const OpenedModel& opened,
                                                          const CircuitPairs& pairs) {
    if (!pairs.pairsPath.empty())
        throw capture::InputError(pairs.pairsPath +
                                  ": reading prompt-pair files needs prompt_pairs.h");
    analysis::circuits::TokenPair pair;
    pair.clean = promptIds(opened, pairs.clean, pairs.promptsAreIds);
    pair.corrupted = promptIds(opened, pairs.corrupted, pairs.promptsAreIds);
    if (pair.clean.empty()) throw capture::InputError("the clean prompt is empty");
    if (pair.clean.size() != pair.corrupted.size())
        throw capture::InputError("the clean prompt has " + std::to_string(pair.clean.size()) +
                                  " tokens and the corrupted one " +
                                  std::to_string(pair.corrupted.size()) +
                                  "; a prompt pair needs equal lengths");
    pair.answer = answerId(opened, pairs.answer, pairs.promptsAreIds, "answer");
    pair.wrong = answerId(opened, pairs.wrong, pairs.promptsAreIds, "wrong answer");
    return {pair};
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
