// Prompt pairs: the JSONL reader (texts and ids, line-numbered errors) and the generators.
#include "attnscope/analysis/circuits/prompt_pairs.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "attnscope/capture/load_error.h"
#include "attnscope/capture/tokenizer.h"
#include "demo_model_dir.h"
#include "fixture_paths.h"
#include "temp_dir.h"

namespace attnscope::analysis::circuits {
namespace {

using capture::InputError;

class PromptPairsTest : public ::testing::Test {
protected:
    std::unique_ptr<capture::Tokenizer> demo =
        capture::Tokenizer::fromModelFolder(attnscope::test::demoModelDir());
    attnscope::test::TempDir dir;

    int64_t id(const std::string& word) const { return *demo->tokenToId(word); }

    // The message of the InputError that reading `content` throws ("" if none).
    std::string readError(const std::string& content, bool withTokenizer = true) {
        const auto file = dir.write("pairs.jsonl", content);
        try {
            readPromptPairs(file, withTokenizer ? demo.get() : nullptr);
        } catch (const InputError& e) {
            return e.what();
        }
        return "";
    }
};

TEST_F(PromptPairsTest, ReadsTextPairsWithTheModelsTokenization) {
    const auto file = dir.write(
        "pairs.jsonl",
        R"({"clean": "alice apple bob river . bob", "corrupted": "alice apple bob river . carol", "answer": "river", "wrong": "apple"})"
        "\n\n"
        R"({"clean_ids": [1, 5, 6], "corrupted_ids": [1, 7, 6], "answer_id": 9, "wrong_id": 10})"
        "\n");
    const auto pairs = readPromptPairs(file, demo.get());
    ASSERT_EQ(pairs.size(), 2u);
    // <bos> then the six words, as the tokenizer's own ids.
    const std::vector<int64_t> clean{*demo->bosId(), id("alice"), id("apple"), id("bob"),
                                     id("river"),    id("."),     id("bob")};
    EXPECT_EQ(pairs[0].clean, clean);
    auto corrupted = clean;
    corrupted.back() = id("carol");
    EXPECT_EQ(pairs[0].corrupted, corrupted);
    EXPECT_EQ(pairs[0].answer, id("river"));
    EXPECT_EQ(pairs[0].wrong, id("apple"));
    EXPECT_EQ(pairs[0].line, 1);
    EXPECT_EQ(pairs[1].clean, (std::vector<int64_t>{1, 5, 6}));
    EXPECT_EQ(pairs[1].corrupted, (std::vector<int64_t>{1, 7, 6}));
    EXPECT_EQ(pairs[1].answer, 9);
    EXPECT_EQ(pairs[1].wrong, 10);
    EXPECT_EQ(pairs[1].line, 3);  // the blank line counts
}

TEST_F(PromptPairsTest, IdsFormRoundTripsThroughTheWriter) {
    std::vector<PromptPair> pairs(2);
    pairs[0] = {{1, 2, 3, 4}, {1, 2, 9, 4}, 7, 8, 0};
    pairs[1] = {{5, 6}, {6, 5}, 3, 2, 0};
    const auto file = dir.file("out.jsonl");
    writePromptPairs(file, pairs);
    const auto back = readPromptPairs(file, nullptr);
    ASSERT_EQ(back.size(), 2u);
    for (size_t i = 0; i < 2; ++i) {
        EXPECT_EQ(back[i].clean, pairs[i].clean);
        EXPECT_EQ(back[i].corrupted, pairs[i].corrupted);
        EXPECT_EQ(back[i].answer, pairs[i].answer);
        EXPECT_EQ(back[i].wrong, pairs[i].wrong);
        EXPECT_EQ(back[i].line, static_cast<int>(i + 1));
    }
}

TEST_F(PromptPairsTest, ErrorsNameTheFileLineAndProblem) {
    const std::string ok =
        R"({"clean": "alice bob", "corrupted": "carol bob", "answer": "river", "wrong": "apple"})";
    auto expectError = [&](const std::string& second, const std::string& what,
                           bool withTokenizer = true) {
        const std::string message = readError(ok + "\n" + second + "\n", withTokenizer);
        EXPECT_NE(message.find("pairs.jsonl, line 2"), std::string::npos) << message;
        EXPECT_NE(message.find(what), std::string::npos) << message;
    };
    expectError(
        R"({"clean": "alice bob", "corrupted": "carol bob bob", "answer": "river", "wrong": "apple"})",
        "equal lengths");
    expectError(R"({"clean_ids": [1, 2], "corrupted_ids": [1], "answer_id": 3, "wrong_id": 4})",
                "equal lengths");
    expectError(
        R"({"clean": "alice zyzzyva", "corrupted": "carol bob", "answer": "river", "wrong": "apple"})",
        "'zyzzyva' is not in the model's vocabulary");
    expectError(
        R"({"clean": "alice bob", "corrupted": "carol bob", "answer": "river apple", "wrong": "apple"})",
        "answer 'river apple' is 2 tokens");
    expectError(
        R"({"clean": "alice bob", "corrupted": "carol bob", "answer": "river", "wrong": "qqqq"})",
        "not in the vocabulary");
    expectError(R"({"clean": "alice bob", "corrupted": )", "not valid JSON");
    expectError(R"({"clean": "alice bob", "corrupted": "carol bob", "answer": "river"})",
                "missing \"wrong\"");
    expectError(
        R"({"clean_ids": [1, 2], "corrupted_ids": [1, 2], "answer_id": "x", "wrong_id": 4})",
        "\"answer_id\" must be an integer");
    expectError(R"([1, 2])", "expected a JSON object");
    EXPECT_NE(readError(ok + "\n", false).find("need a tokenizer"), std::string::npos);
    EXPECT_NE(readError("\n \n").find("no prompt pairs"), std::string::npos);
    EXPECT_THROW(readPromptPairs(dir.file("missing.jsonl"), demo.get()), InputError);
}

TEST_F(PromptPairsTest, ValidationNamesThePairAndTheOutOfRangeId) {
    std::vector<PromptPair> pairs{{{1, 2}, {1, 3}, 4, 5, 7}};
    EXPECT_NO_THROW(validatePromptPairs(pairs, 10));
    pairs[0].wrong = 10;
    try {
        validatePromptPairs(pairs, 10, "p.jsonl");
        FAIL() << "expected an error";
    } catch (const InputError& e) {
        const std::string m = e.what();
        EXPECT_NE(m.find("p.jsonl, line 7: wrong token id 10 is out of range"), std::string::npos)
            << m;
    }
    EXPECT_THROW(validatePromptPairs({}, 10), InputError);
}

// Positions where two equally long sequences differ.
std::vector<size_t> differences(const std::vector<int64_t>& a, const std::vector<int64_t>& b) {
    std::vector<size_t> out;
    for (size_t i = 0; i < a.size(); ++i)
        if (a[i] != b[i]) out.push_back(i);
    return out;
}

bool contains(const std::vector<int64_t>& v, int64_t x) {
    return std::find(v.begin(), v.end(), x) != v.end();
}

TEST_F(PromptPairsTest, DemoRecallPairsAskForAKeyThatIsNotInTheContext) {
    const auto pairs = demoTaskPairs(attnscope::test::demoModelDir(), "mqar", *demo, 20, 3);
    ASSERT_EQ(pairs.size(), 20u);
    for (const auto& p : pairs) {
        ASSERT_EQ(p.clean.size(), p.corrupted.size());
        // Only the query key differs, and the corrupted key appears nowhere in the context.
        EXPECT_EQ(differences(p.clean, p.corrupted), std::vector<size_t>{p.clean.size() - 1});
        EXPECT_FALSE(contains(p.clean, p.corrupted.back()));
        // The answer follows the queried key in the context; the wrong value is elsewhere in it.
        const auto key = std::find(p.clean.begin(), p.clean.end(), p.clean.back());
        ASSERT_NE(key, p.clean.end() - 1);
        EXPECT_EQ(*(key + 1), p.answer);
        EXPECT_TRUE(contains(p.clean, p.wrong));
        EXPECT_NE(p.answer, p.wrong);
    }
    // Deterministic for a seed.
    const auto again = demoTaskPairs(attnscope::test::demoModelDir(), "mqar", *demo, 20, 3);
    for (size_t i = 0; i < pairs.size(); ++i)
        EXPECT_EQ(again[i].corrupted, pairs[i].corrupted);
}

TEST_F(PromptPairsTest, DemoNeedlePairsSwapTheNeedlesSecret) {
    const auto pairs = demoTaskPairs(attnscope::test::demoModelDir(), "needle", *demo, 10, 1);
    ASSERT_EQ(pairs.size(), 10u);
    for (const auto& p : pairs) {
        const auto changed = differences(p.clean, p.corrupted);
        ASSERT_EQ(changed.size(), 1u);
        EXPECT_EQ(p.clean[changed[0]], p.answer);  // the needle's secret word, in the haystack
        EXPECT_EQ(p.corrupted[changed[0]], p.wrong);
        EXPECT_FALSE(contains(p.clean, p.wrong));
        EXPECT_EQ(p.clean.back(), id("is"));  // the final question is unchanged
        EXPECT_EQ(p.corrupted.back(), id("is"));
    }
    EXPECT_THROW(demoTaskPairs(attnscope::test::demoModelDir(), "backcopy", *demo, 3), InputError);
    EXPECT_THROW(demoTaskPairs(dir.path(), "mqar", *demo, 3), InputError);
    EXPECT_THROW(demoTaskPairs(attnscope::test::demoModelDir(), "mqar", *demo, 0), InputError);
}

class Gpt2PairsTest : public ::testing::Test {
protected:
    void SetUp() override {
        const auto folder = attnscope::test::fixturesDir() / "tokenizers/gpt2";
        ATTNSCOPE_REQUIRE_FIXTURE(folder);
        gpt2 = capture::Tokenizer::fromVocabAndMerges(folder / "vocab.json", folder / "merges.txt");
    }
    std::unique_ptr<capture::Tokenizer> gpt2;
};

TEST_F(Gpt2PairsTest, IoiPairsReplaceTheRepeatedNameWithAThirdOne) {
    const auto pairs = ioiPairs(*gpt2, 12, 5);
    ASSERT_EQ(pairs.size(), 12u);
    for (const auto& p : pairs) {
        const auto diff = differences(p.clean, p.corrupted);
        ASSERT_EQ(diff.size(), 1u);
        // Clean: the subject appears twice and the indirect object once; corrupted: a third
        // name stands where the second subject was.
        EXPECT_EQ(std::count(p.clean.begin(), p.clean.end(), p.wrong), 2);
        EXPECT_EQ(std::count(p.clean.begin(), p.clean.end(), p.answer), 1);
        EXPECT_EQ(p.clean[diff[0]], p.wrong);
        EXPECT_EQ(std::count(p.corrupted.begin(), p.corrupted.end(), p.wrong), 1);
        const std::string answer = gpt2->decode({p.answer});
        EXPECT_EQ(answer[0], ' ');
        EXPECT_NE(gpt2->decode(p.clean).find(answer + " and"), std::string::npos);
    }
}

TEST_F(Gpt2PairsTest, GreaterThanPairsAnswerALaterYear) {
    const auto pairs = greaterThanPairs(*gpt2, 10, 2);
    ASSERT_EQ(pairs.size(), 10u);
    for (const auto& p : pairs) {
        ASSERT_EQ(p.clean.size(), p.corrupted.size());
        const std::string clean = gpt2->decode(p.clean);
        const size_t at = clean.find("year 17");
        ASSERT_NE(at, std::string::npos);
        const int yy = std::stoi(clean.substr(at + 7, 2));
        EXPECT_EQ(std::stoi(gpt2->decode({p.answer})), yy + 1);
        EXPECT_EQ(std::stoi(gpt2->decode({p.wrong})), yy - 1);
        EXPECT_NE(gpt2->decode(p.corrupted).find("year 1701 to"), std::string::npos);
    }
    // A word-level vocabulary without numbers cannot make them.
    auto demo = capture::Tokenizer::fromModelFolder(attnscope::test::demoModelDir());
    EXPECT_THROW(greaterThanPairs(*demo, 3), InputError);
    EXPECT_THROW(ioiPairs(*demo, 3), InputError);
}

}  // namespace
}  // namespace attnscope::analysis::circuits
