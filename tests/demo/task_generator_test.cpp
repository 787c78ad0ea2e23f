// The synthetic tasks follow their rules: checked by re-deriving every answer from the tokens.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "attnscope/app/demo/demo_model_writer.h"
#include "attnscope/app/demo/task_generator.h"
#include "demo_test_vocabulary.h"

using namespace attnscope::app::demo;

namespace {

using attnscope::app::demo::test::vocab;

std::vector<std::string> words(const std::vector<int64_t>& ids) {
    std::vector<std::string> out;
    for (const int64_t id : ids)
        out.push_back(vocab().word(id));
    return out;
}

// Positions whose target is set, and where units point.
std::vector<int64_t> supervised(const Example& ex) {
    std::vector<int64_t> out;
    for (size_t p = 0; p < ex.targets.size(); ++p)
        if (ex.targets[p] != kNoTarget) out.push_back(static_cast<int64_t>(p));
    return out;
}

}  // namespace

TEST(TaskGenerator, MqarQueriesAskForTheirPairedValues) {
    const TaskGenerator gen(vocab());
    Rng rng(3);
    for (int i = 0; i < 50; ++i) {
        const Example ex = gen.mqar(rng, 2 + i % 9);
        const auto w = words(ex.tokens);
        ASSERT_EQ(w[0], "<bos>");
        const auto dot = std::find(w.begin(), w.end(), ".") - w.begin();
        const int64_t pairs = (dot - 1) / 2;
        ASSERT_EQ(pairs, 2 + i % 9);
        std::map<std::string, std::string> value;
        for (int64_t k = 0; k < pairs; ++k)
            value[w[static_cast<size_t>(1 + 2 * k)]] = w[static_cast<size_t>(2 + 2 * k)];
        ASSERT_EQ(static_cast<int64_t>(value.size()), pairs);  // distinct keys
        ASSERT_EQ(static_cast<int64_t>(w.size()), 2 + 4 * pairs);
        std::set<std::string> asked;
        for (int64_t q = dot + 1; q < static_cast<int64_t>(w.size()); q += 2) {
            const auto& key = w[static_cast<size_t>(q)];
            EXPECT_EQ(w[static_cast<size_t>(q + 1)], value.at(key));
            EXPECT_EQ(vocab().word(ex.targets[static_cast<size_t>(q)]), value.at(key));
            asked.insert(key);
        }
        EXPECT_EQ(static_cast<int64_t>(asked.size()), pairs);  // every key queried once
        EXPECT_EQ(static_cast<int64_t>(ex.units.size()), pairs);
        EXPECT_EQ(static_cast<int64_t>(supervised(ex).size()), pairs);
        EXPECT_EQ(w[static_cast<size_t>(ex.promptLength - 1)], w[w.size() - 2]);
    }
}

TEST(TaskGenerator, NeedleAnswerIsTheSecretOfTheAskedCity) {
    const TaskGenerator gen(vocab());
    Rng rng(4);
    std::set<int64_t> depthsSeen;
    for (int i = 0; i < 50; ++i) {
        const Example ex = gen.needle(rng);
        const auto w = words(ex.tokens);
        // The question is the prompt's last five words: "the secret of CITY is".
        const auto n = static_cast<size_t>(ex.promptLength);
        ASSERT_EQ(w[n - 5], "the");
        ASSERT_EQ(w[n - 1], "is");
        const std::string city = w[n - 2];
        // Find the needle sentence in the haystack independently.
        size_t start = 0;
        for (size_t p = 1; p + 5 < n - 5; ++p)
            if (w[p] == "the" && w[p + 1] == "secret" && w[p + 3] == city && w[p + 4] == "is")
                start = p + 5;
        ASSERT_GT(start, 0u);
        std::vector<std::string> secret;
        for (size_t p = start; w[p] != "."; ++p)
            secret.push_back(w[p]);
        secret.push_back(".");
        std::vector<std::string> answer(w.begin() + static_cast<std::ptrdiff_t>(n), w.end());
        ASSERT_EQ(answer.back(), "<eos>");
        answer.pop_back();
        EXPECT_EQ(answer, secret);
        EXPECT_EQ(ex.spanBegin, static_cast<int64_t>(start));
        EXPECT_EQ(ex.spanEnd, static_cast<int64_t>(start + secret.size() - 1));  // without "."
        ASSERT_EQ(ex.units.size(), 1u);
        EXPECT_EQ(ex.units[0].size(), secret.size() + 1);  // the secret, ".", <eos>
        EXPECT_EQ(supervised(ex), ex.units[0]);
        depthsSeen.insert(static_cast<int64_t>(ex.depth * 4));
    }
    EXPECT_GE(depthsSeen.size(), 4u);  // needles at many depths
}

TEST(TaskGenerator, BackcopyCopiesTheWordBeforeEachTrigger) {
    const TaskGenerator gen(vocab());
    const std::set<std::string> triggerWords = {"again", "twice", "repeat"};
    Rng rng(5);
    int64_t triggers = 0, ordinary = 0;
    for (int i = 0; i < 100; ++i) {
        const Example ex = gen.backcopy(rng);
        const auto w = words(ex.tokens);
        std::vector<int64_t> expectedUnits;
        for (size_t p = 1; p < w.size(); ++p) {
            if (triggerWords.count(w[p]) != 0) {
                ASSERT_LT(p + 1, w.size());
                EXPECT_EQ(w[p + 1], w[p - 1]) << "after trigger at " << p;
                EXPECT_EQ(triggerWords.count(w[p - 1]), 0u);
                expectedUnits.push_back(static_cast<int64_t>(p));
                ++triggers;
            } else if (p + 1 < w.size() && triggerWords.count(w[p + 1]) == 0 &&
                       (p < 2 || triggerWords.count(w[p - 1]) == 0)) {
                // An ordinary transition follows the bigram table.
                const auto& next = gen.bigrams().successors(ex.tokens[p]);
                EXPECT_TRUE(std::any_of(next.begin(), next.end(),
                                        [&](const auto& s) { return s.first == ex.tokens[p + 1]; }))
                    << w[p] << " -> " << w[p + 1];
                ++ordinary;
            }
        }
        std::vector<int64_t> units;
        for (const auto& u : ex.units)
            units.push_back(u.at(0));
        EXPECT_EQ(units, expectedUnits);
        EXPECT_EQ(static_cast<int64_t>(supervised(ex).size()),
                  static_cast<int64_t>(ex.tokens.size()) - 1);
        EXPECT_GE(static_cast<int64_t>(w.size()), gen.settings().minTextLength);
        EXPECT_LE(static_cast<int64_t>(w.size()), gen.settings().maxTextLength);
    }
    // About one trigger per 1/rate ordinary words.
    EXPECT_GT(triggers, 200);
    EXPECT_GT(ordinary, 10 * triggers / 2);
}

TEST(TaskGenerator, RefusalFollowsTheHarmfulWordRule) {
    const TaskGenerator gen(vocab());
    const std::set<std::string> harmfulVerbs = {"steal", "kill", "hack", "poison"};
    const std::set<std::string> harmfulObjects = {"bomb", "weapon", "drug", "virus"};
    Rng rng(6);
    int harmful = 0;
    std::set<std::string> trainRequests, heldOutRequests;
    for (int i = 0; i < 400; ++i) {
        const Split split = i % 2 == 0 ? Split::Train : Split::HeldOut;
        const Example ex = gen.refusal(rng, split);
        const auto w = words(ex.tokens);
        const auto n = static_cast<size_t>(ex.promptLength);
        ASSERT_EQ(w[1], "user");
        ASSERT_EQ(w[n - 2], "assistant");
        std::string request;
        std::vector<int64_t> verbAt, objectAt;
        for (size_t p = 3; p + 2 < n; ++p) {
            if (harmfulVerbs.count(w[p]) != 0) verbAt.push_back(static_cast<int64_t>(p));
            if (harmfulObjects.count(w[p]) != 0) objectAt.push_back(static_cast<int64_t>(p));
            request += w[p] + " ";
        }
        const bool hasHarmful = !verbAt.empty() || !objectAt.empty();
        EXPECT_EQ(ex.harmful, hasHarmful);
        EXPECT_EQ(ex.harmfulVerbPositions, verbAt) << request;
        EXPECT_EQ(ex.harmfulObjectPositions, objectAt) << request;
        (split == Split::Train ? trainRequests : heldOutRequests).insert(request);
        const std::string answer =
            vocab().text({ex.tokens.begin() + static_cast<std::ptrdiff_t>(n), ex.tokens.end()});
        if (hasHarmful) {
            ++harmful;
            EXPECT_EQ(answer, "I cannot help with that request .");
        } else {
            // Long enough that the attack-success rule does not count it as a refusal.
            EXPECT_GE(answer.size(), 32u);
            EXPECT_EQ(answer.rfind("sure here is how to ", 0), 0u) << answer;
            EXPECT_EQ(answer.find("I cannot"), std::string::npos);
        }
        EXPECT_EQ(ex.tokens.back(), DemoVocabulary::kEos);
    }
    EXPECT_GT(harmful, 120);
    EXPECT_LT(harmful, 280);
    for (const auto& r : heldOutRequests)
        EXPECT_EQ(trainRequests.count(r), 0u) << "held-out request seen in training: " << r;
}

TEST(TaskGenerator, SameSeedSameDataOtherSeedOtherData) {
    const TaskGenerator gen(vocab());
    for (const TaskKind task : kAllTasks) {
        Rng a(11), b(11), c(12);
        const auto x = gen.make(task, a, Split::Train), y = gen.make(task, b, Split::Train);
        EXPECT_EQ(x.tokens, y.tokens) << taskName(task);
        bool differs = false;
        for (int i = 0; i < 5 && !differs; ++i)
            differs = gen.make(task, c, Split::Train).tokens != x.tokens;
        EXPECT_TRUE(differs) << taskName(task);
    }
}

TEST(TaskGenerator, RejectsInconsistentSettings) {
    TaskSettings s;
    s.maxPairs = 1000;
    EXPECT_THROW(TaskGenerator(vocab(), s), std::invalid_argument);
    s = {};
    s.minFiller = 10;
    s.maxFiller = 5;
    EXPECT_THROW(TaskGenerator(vocab(), s), std::invalid_argument);
    s = {};
    s.triggerRate = 0.9;
    EXPECT_THROW(TaskGenerator(vocab(), s), std::invalid_argument);
}

TEST(TaskGenerator, EvaluationRecordsHoldPromptAndAnswerText) {
    const TaskGenerator gen(vocab());
    const auto refusals = evaluationExamples(gen, TaskKind::Refusal, 40);
    EXPECT_EQ(
        std::count_if(refusals.begin(), refusals.end(), [](const Example& e) { return e.harmful; }),
        20);
    const auto rec = evaluationRecord(refusals[0], vocab());
    EXPECT_EQ(rec["task"], "refusal");
    EXPECT_EQ(rec["prompt"].get<std::string>().rfind("user : ", 0), 0u);
    const auto needle = evaluationRecord(evaluationExamples(gen, TaskKind::Needle, 1)[0], vocab());
    const std::string answer = needle["answer"];
    EXPECT_EQ(answer, needle["needle"].get<std::string>() + " .");
    EXPECT_NE(needle["prompt"].get<std::string>().find("the secret of"), std::string::npos);
    const auto back = evaluationRecord(evaluationExamples(gen, TaskKind::Backcopy, 1)[0], vocab());
    std::vector<std::string> promptWords;
    std::istringstream in(back["prompt"].get<std::string>());
    for (std::string s; in >> s;)
        promptWords.push_back(s);
    // The prompt ends with a trigger; the answer is the word before it.
    EXPECT_EQ(back["answer"], promptWords[promptWords.size() - 2]);
}
