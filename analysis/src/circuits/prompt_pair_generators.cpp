// Generators of prompt pairs (issue 13): the demo model's recall tasks, IOI-style name
// templates and greater-than number templates.
#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>

#include "attnscope/analysis/circuits/prompt_pairs.h"
#include "attnscope/capture/load_error.h"
#include "attnscope/capture/tokenizer.h"

namespace attnscope::analysis::circuits {
namespace {

using capture::InputError;

std::vector<std::string> splitWords(const std::string& text) {
    std::istringstream in(text);
    std::vector<std::string> words;
    for (std::string w; in >> w;)
        words.push_back(w);
    return words;
}

std::string joinWords(const std::vector<std::string>& words) {
    std::string out;
    for (const auto& w : words)
        out += (out.empty() ? "" : " ") + w;
    return out;
}

struct EvalRecord {
    std::vector<std::string> prompt;
    std::vector<std::string> answer;
};

std::vector<EvalRecord> readEvalRecords(const std::filesystem::path& file) {
    std::ifstream in(file);
    if (!in) throw InputError(file.string() + ": cannot open the demo task's evaluation file");
    std::vector<EvalRecord> records;
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
        if (line.empty()) continue;
        try {
            const auto j = nlohmann::json::parse(line);
            records.push_back({splitWords(j.at("prompt").get<std::string>()),
                               splitWords(j.at("answer").get<std::string>())});
        } catch (const nlohmann::json::exception& e) {
            throw InputError(file.string() + ", line " + std::to_string(number) + ": " + e.what());
        }
    }
    return records;
}

template <class T>
const T& pick(const std::vector<T>& from, std::mt19937_64& rng) {
    return from[std::uniform_int_distribution<size_t>(0, from.size() - 1)(rng)];
}

// A word of `pool` that `context` does not contain; empty if none.
std::string absentWord(const std::set<std::string>& pool, const std::vector<std::string>& context,
                       std::mt19937_64& rng) {
    std::vector<std::string> candidates;
    for (const auto& w : pool)
        if (std::find(context.begin(), context.end(), w) == context.end()) candidates.push_back(w);
    return candidates.empty() ? std::string() : pick(candidates, rng);
}

struct TextPair {
    std::string clean, corrupted, answer, wrong;
};

// MQAR: "k1 v1 k2 v2 . q1 a1 ... qn" → value of qn; the corrupted query is an absent key.
std::vector<TextPair> mqarPairs(const std::vector<EvalRecord>& records, int count,
                                std::mt19937_64& rng) {
    std::set<std::string> keys;
    for (const auto& r : records) {
        const auto dot = std::find(r.prompt.begin(), r.prompt.end(), ".");
        for (auto it = r.prompt.begin(); it < dot; it += 2)
            keys.insert(*it);
    }
    std::vector<TextPair> out;
    for (size_t i = 0; out.size() < static_cast<size_t>(count) && i < 4 * records.size() + 64;
         ++i) {
        const EvalRecord& r = records[i % records.size()];
        const auto dot = std::find(r.prompt.begin(), r.prompt.end(), ".");
        std::vector<std::string> values;
        for (auto it = r.prompt.begin() + 1; it < dot; it += 2)
            if (*it != r.answer.front()) values.push_back(*it);
        const std::string key = absentWord(keys, r.prompt, rng);
        if (values.empty() || key.empty() || r.answer.empty()) continue;
        std::vector<std::string> corrupted = r.prompt;
        corrupted.back() = key;
        out.push_back(
            {joinWords(r.prompt), joinWords(corrupted), r.answer.front(), pick(values, rng)});
    }
    return out;
}

// Needle: the needle's first secret word is swapped for a secret word of no record's needle in
// this context, so the corrupted run should answer that word. (Asking for an absent city
// instead changes nothing on a single-needle prompt: a model that copies the one secret
// there answers the same either way, and the pair carries no signal.)
std::vector<TextPair> needlePairs(const std::vector<EvalRecord>& records, int count,
                                  std::mt19937_64& rng) {
    std::set<std::string> secrets;
    for (const auto& r : records)
        if (!r.answer.empty()) secrets.insert(r.answer.front());
    std::vector<TextPair> out;
    for (size_t i = 0; out.size() < static_cast<size_t>(count) && i < 4 * records.size() + 64;
         ++i) {
        const EvalRecord& r = records[i % records.size()];
        if (r.answer.empty()) continue;
        const std::string& secret = r.answer.front();
        const auto needle = std::find(r.prompt.begin(), r.prompt.end(), secret);
        // The secret must sit in the haystack once, so that exactly one word changes.
        if (needle == r.prompt.end() || std::count(r.prompt.begin(), r.prompt.end(), secret) != 1)
            continue;
        const std::string wrong = absentWord(secrets, r.prompt, rng);
        if (wrong.empty()) continue;
        std::vector<std::string> corrupted = r.prompt;
        corrupted[static_cast<size_t>(needle - r.prompt.begin())] = wrong;
        out.push_back({joinWords(r.prompt), joinWords(corrupted), secret, wrong});
    }
    return out;
}

std::vector<PromptPair> encodeAll(const capture::Tokenizer& tokenizer,
                                  const std::vector<TextPair>& texts, const std::string& what) {
    std::vector<PromptPair> pairs;
    for (size_t i = 0; i < texts.size(); ++i) {
        const auto& t = texts[i];
        pairs.push_back(promptPairFromText(tokenizer, t.clean, t.corrupted, t.answer, t.wrong,
                                           what + " pair " + std::to_string(i + 1)));
    }
    return pairs;
}

void checkCount(int count, const char* what) {
    if (count < 1)
        throw InputError(std::string(what) + ": the pair count must be at least 1 (got " +
                         std::to_string(count) + ")");
}

bool singleToken(const capture::Tokenizer& tokenizer, const std::string& text) {
    capture::EncodeOptions options;
    options.addSpecialTokens = false;
    const auto e = tokenizer.encode(text, options);
    return e.ids.size() == 1 && !tokenizer.isSpecialToken(e.ids[0]);
}

}  // namespace

std::vector<PromptPair> demoTaskPairs(const std::filesystem::path& modelDir,
                                      const std::string& task, const capture::Tokenizer& tokenizer,
                                      int count, uint64_t seed) {
    checkCount(count, "demo task pairs");
    if (task != "mqar" && task != "needle")
        throw InputError("unknown demo recall task '" + task + "' (known: mqar, needle)");
    const auto file = modelDir / "eval" / (task + ".jsonl");
    const auto records = readEvalRecords(file);
    std::mt19937_64 rng(seed);
    const auto texts =
        task == "mqar" ? mqarPairs(records, count, rng) : needlePairs(records, count, rng);
    if (texts.size() < static_cast<size_t>(count))
        throw InputError(file.string() + ": only " + std::to_string(texts.size()) +
                         " usable records for " + std::to_string(count) + " pairs");
    return encodeAll(tokenizer, texts, task);
}

std::vector<PromptPair> ioiPairs(const capture::Tokenizer& tokenizer, int count, uint64_t seed) {
    checkCount(count, "IOI pairs");
    static const std::vector<std::string> kNames = {
        "Mary", "John",  "Tom",   "James", "Dan",  "Sid",   "Martin", "Amy",  "Paul",
        "Kate", "Sarah", "David", "Anna",  "Lisa", "Mark",  "Alice",  "Bob",  "Carol",
        "Emma", "Jack",  "Laura", "Mike",  "Nina", "Oscar", "Peter",  "Rose", "Sam"};
    static const std::vector<std::string> kTemplates = {
        "When {A} and {B} went to the store, {C} gave a drink to",
        "When {A} and {B} went to the park, {C} gave a ball to",
        "Then, {A} and {B} had a long argument. Afterwards {C} said to",
        "After {A} and {B} went to the school, {C} gave a book to"};
    // A name must be one token after a space (BPE vocabularies) and as an answer.
    std::vector<std::string> names;
    const size_t base = tokenizer.encode("x", false).ids.size();
    for (const auto& n : kNames)
        if (singleToken(tokenizer, " " + n) &&
            tokenizer.encode("x " + n, false).ids.size() == base + 1)
            names.push_back(n);
    if (names.size() < 3)
        throw InputError(
            "IOI pairs: fewer than three of the built-in names are single tokens "
            "in this vocabulary");
    std::mt19937_64 rng(seed);
    std::vector<TextPair> texts;
    auto fill = [](std::string t, const std::string& a, const std::string& b,
                   const std::string& c) {
        for (auto [key, value] : {std::pair{"{A}", a}, std::pair{"{B}", b}, std::pair{"{C}", c}})
            t.replace(t.find(key), 3, value);
        return t;
    };
    for (int i = 0; i < count; ++i) {
        std::vector<std::string> chosen = names;
        std::shuffle(chosen.begin(), chosen.end(), rng);
        const std::string& io = chosen[0];
        const std::string& s = chosen[1];
        const std::string& other = chosen[2];
        const std::string& t = kTemplates[static_cast<size_t>(i) % kTemplates.size()];
        texts.push_back({fill(t, io, s, s), fill(t, io, s, other), " " + io, " " + s});
    }
    return encodeAll(tokenizer, texts, "IOI");
}

std::vector<PromptPair> greaterThanPairs(const capture::Tokenizer& tokenizer, int count,
                                         uint64_t seed) {
    checkCount(count, "greater-than pairs");
    auto twoDigits = [](int n) { return (n < 10 ? "0" : "") + std::to_string(n); };
    const std::string prefix = "The war lasted from the year 17";
    const std::string middle = " to the year 17";
    const auto baseline = tokenizer.encode(prefix + "01" + middle, true).ids.size();
    std::vector<int> years;
    for (int yy = 2; yy <= 97; ++yy)
        if (singleToken(tokenizer, twoDigits(yy + 1)) &&
            singleToken(tokenizer, twoDigits(yy - 1)) &&
            tokenizer.encode(prefix + twoDigits(yy) + middle, true).ids.size() == baseline)
            years.push_back(yy);
    if (years.empty())
        throw InputError("greater-than pairs: the vocabulary lacks two-digit number tokens");
    std::mt19937_64 rng(seed);
    std::vector<TextPair> texts;
    for (int i = 0; i < count; ++i) {
        const int yy = pick(years, rng);
        texts.push_back({prefix + twoDigits(yy) + middle, prefix + "01" + middle, twoDigits(yy + 1),
                         twoDigits(yy - 1)});
    }
    return encodeAll(tokenizer, texts, "greater-than");
}

}  // namespace attnscope::analysis::circuits
