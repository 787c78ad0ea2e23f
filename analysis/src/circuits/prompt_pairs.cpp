#include "attnscope/analysis/circuits/prompt_pairs.h"

#include <fstream>
#include <nlohmann/json.hpp>

#include "attnscope/capture/load_error.h"
#include "attnscope/capture/tokenizer.h"

namespace attnscope::analysis::circuits {
namespace {

using capture::InputError;
using nlohmann::json;

std::string pairName(const PromptPair& pair, size_t index, const std::string& source) {
    return source + (pair.line > 0 ? ", line " + std::to_string(pair.line)
                                   : ", pair " + std::to_string(index + 1));
}

std::string fieldString(const json& j, const char* key, const std::string& where) {
    if (!j.contains(key)) throw InputError(where + ": missing \"" + std::string(key) + "\"");
    if (!j[key].is_string())
        throw InputError(where + ": \"" + std::string(key) + "\" must be a string");
    return j[key].get<std::string>();
}

int64_t fieldId(const json& j, const char* key, const std::string& where) {
    if (!j.contains(key)) throw InputError(where + ": missing \"" + std::string(key) + "\"");
    if (!j[key].is_number_integer())
        throw InputError(where + ": \"" + std::string(key) + "\" must be an integer token id");
    return j[key].get<int64_t>();
}

std::vector<int64_t> fieldIds(const json& j, const char* key, const std::string& where) {
    if (!j.contains(key)) throw InputError(where + ": missing \"" + std::string(key) + "\"");
    const json& a = j[key];
    if (!a.is_array() || a.empty())
        throw InputError(where + ": \"" + std::string(key) + "\" must be a non-empty list of ids");
    std::vector<int64_t> ids;
    for (const json& v : a) {
        if (!v.is_number_integer())
            throw InputError(where + ": \"" + std::string(key) + "\" holds a non-integer id");
        ids.push_back(v.get<int64_t>());
    }
    return ids;
}

void checkEqualLengths(const PromptPair& p, const std::string& where) {
    if (p.clean.size() != p.corrupted.size())
        throw InputError(where + ": the clean prompt has " + std::to_string(p.clean.size()) +
                         " tokens and the corrupted one " + std::to_string(p.corrupted.size()) +
                         "; a pair needs equal lengths");
}

PromptPair pairFromJson(const json& j, const capture::Tokenizer* tokenizer,
                        const std::string& where) {
    if (!j.is_object()) throw InputError(where + ": expected a JSON object");
    const bool ids = j.contains("clean_ids") || j.contains("corrupted_ids");
    PromptPair p;
    if (ids) {
        p.clean = fieldIds(j, "clean_ids", where);
        p.corrupted = fieldIds(j, "corrupted_ids", where);
        p.answer = fieldId(j, "answer_id", where);
        p.wrong = fieldId(j, "wrong_id", where);
        checkEqualLengths(p, where);
        return p;
    }
    if (!tokenizer)
        throw InputError(where + ": text prompts need a tokenizer; this model has none (give " +
                         "clean_ids, corrupted_ids, answer_id and wrong_id)");
    return promptPairFromText(*tokenizer, fieldString(j, "clean", where),
                              fieldString(j, "corrupted", where), fieldString(j, "answer", where),
                              fieldString(j, "wrong", where), where);
}

}  // namespace

std::vector<int64_t> encodePrompt(const capture::Tokenizer& tokenizer, const std::string& text,
                                  const std::string& where) {
    const capture::Encoding e = tokenizer.encode(text, true);
    for (size_t i = 0; i < e.ids.size(); ++i) {
        // An unknown word comes back as the special unknown token over non-empty text that
        // spells something else; a special token written in the text spells itself.
        const auto [b, end] = e.byteSpans[i];
        if (end > b && tokenizer.isSpecialToken(e.ids[i]) && text.substr(b, end - b) != e.tokens[i])
            throw InputError(where + ": '" + text.substr(b, end - b) +
                             "' is not in the model's vocabulary");
    }
    if (e.ids.empty()) throw InputError(where + ": the prompt is empty");
    return e.ids;
}

int64_t encodeAnswerToken(const capture::Tokenizer& tokenizer, const std::string& token,
                          const std::string& where) {
    if (token.empty()) throw InputError(where + ": the answer token is empty");
    capture::EncodeOptions options;
    options.addSpecialTokens = false;
    const capture::Encoding e = tokenizer.encode(token, options);
    if (e.ids.size() == 1 && !(tokenizer.isSpecialToken(e.ids[0]) && e.tokens[0] != token))
        return e.ids[0];
    if (auto id = tokenizer.tokenToId(token)) return *id;
    throw InputError(where + ": answer '" + token + "' is " + std::to_string(e.ids.size()) +
                     " tokens" + (e.ids.size() == 1 ? " (not in the vocabulary)" : "") +
                     "; answers must be single tokens");
}

PromptPair promptPairFromText(const capture::Tokenizer& tokenizer, const std::string& clean,
                              const std::string& corrupted, const std::string& answer,
                              const std::string& wrong, const std::string& where) {
    PromptPair p;
    p.clean = encodePrompt(tokenizer, clean, where + ", clean");
    p.corrupted = encodePrompt(tokenizer, corrupted, where + ", corrupted");
    p.answer = encodeAnswerToken(tokenizer, answer, where + ", answer");
    p.wrong = encodeAnswerToken(tokenizer, wrong, where + ", wrong");
    checkEqualLengths(p, where);
    return p;
}

std::vector<PromptPair> readPromptPairs(const std::filesystem::path& file,
                                        const capture::Tokenizer* tokenizer) {
    std::ifstream in(file);
    if (!in) throw InputError(file.string() + ": cannot open the prompt-pair file");
    std::vector<PromptPair> pairs;
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        const std::string where = file.string() + ", line " + std::to_string(number);
        json j;
        try {
            j = json::parse(line);
        } catch (const json::parse_error& e) {
            throw InputError(where + ": not valid JSON (" + e.what() + ")");
        }
        PromptPair p = pairFromJson(j, tokenizer, where);
        p.line = number;
        pairs.push_back(std::move(p));
    }
    if (pairs.empty()) throw InputError(file.string() + ": no prompt pairs in the file");
    return pairs;
}

void writePromptPairs(const std::filesystem::path& file, const std::vector<PromptPair>& pairs) {
    std::ofstream out(file);
    if (!out) throw InputError(file.string() + ": cannot write the prompt-pair file");
    for (const PromptPair& p : pairs)
        out << json{{"clean_ids", p.clean},
                    {"corrupted_ids", p.corrupted},
                    {"answer_id", p.answer},
                    {"wrong_id", p.wrong}}
                   .dump()
            << '\n';
    if (!out) throw InputError(file.string() + ": writing the prompt pairs failed");
}

void validatePromptPairs(const std::vector<PromptPair>& pairs, int64_t vocabSize,
                         const std::string& source) {
    if (pairs.empty()) throw InputError(source + ": no prompt pairs");
    for (size_t i = 0; i < pairs.size(); ++i) {
        const PromptPair& p = pairs[i];
        const std::string where = pairName(p, i, source);
        if (p.clean.empty()) throw InputError(where + ": the clean prompt is empty");
        checkEqualLengths(p, where);
        auto check = [&](int64_t id, const char* what) {
            if (id < 0 || id >= vocabSize)
                throw InputError(where + ": " + what + " token id " + std::to_string(id) +
                                 " is out of range (the vocabulary has " +
                                 std::to_string(vocabSize) + " tokens)");
        };
        for (int64_t id : p.clean)
            check(id, "clean");
        for (int64_t id : p.corrupted)
            check(id, "corrupted");
        check(p.answer, "answer");
        check(p.wrong, "wrong");
    }
}

}  // namespace attnscope::analysis::circuits
