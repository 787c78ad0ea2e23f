// Bad input gives a TokenizerError whose message names the file and the problem.
#include <gtest/gtest.h>

#include <fstream>

#include "test_helpers.h"

namespace attnscope::capture {
namespace {

using namespace test_helpers;

// Runs `action`, which must throw a TokenizerError mentioning every one of `parts`.
template <typename Action>
void expectError(Action action, const std::vector<std::string>& parts) {
    try {
        action();
        ADD_FAILURE() << "expected a TokenizerError mentioning " << parts.front();
    } catch (const TokenizerError& error) {
        for (const std::string& part : parts)
            EXPECT_NE(std::string(error.what()).find(part), std::string::npos)
                << "message: " << error.what() << "\nmissing: " << part;
    }
}

void expectJsonError(const std::string& json, const std::vector<std::string>& parts) {
    std::vector<std::string> all = parts;
    all.push_back("my-tokenizer.json");
    expectError([&] { Tokenizer::fromTokenizerJsonString(json, "my-tokenizer.json"); }, all);
}

Json bpe(Json vocab, Json merges) {
    return {
        {"model", {{"type", "BPE"}, {"vocab", std::move(vocab)}, {"merges", std::move(merges)}}}};
}

TEST(MalformedTokenizerJson, NamesTheFileAndTheProblem) {
    expectJsonError("{\"model\": ", {"not valid JSON"});
    expectJsonError("[1, 2]", {"expected an object"});
    expectJsonError(R"({"normalizer": null})", {"missing \"model\""});
    expectJsonError(R"({"model": {"type": "Unigram", "vocab": [["a", 0.0]]}})",
                    {"unsupported model type 'Unigram'"});
    expectJsonError(R"({"model": {"vocab": {"a": 0}}})", {"model", "missing \"type\""});
    expectJsonError(R"({"model": {"type": "BPE", "merges": []}})",
                    {"model (BPE)", "missing \"vocab\""});
    expectJsonError(R"({"model": {"type": "BPE", "vocab": {"a": "zero"}, "merges": []}})",
                    {"vocab entry 'a'", "integer id"});
    expectJsonError(R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 0}, "merges": []}})",
                    {"id 0 is used by both"});
    expectJsonError(R"({"model": {"type": "BPE", "vocab": {"a": 99999999}, "merges": []}})",
                    {"token 'a' has id 99999999"});
    expectJsonError(R"({"model": {"type": "WordLevel", "vocab": {"a": 0}, "unk_token": "<unk>"}})",
                    {"unk_token '<unk>' is not in the vocabulary"});
}

TEST(MalformedTokenizerJson, MergesNamingUnknownTokens) {
    expectJsonError(bpe({{"a", 0}, {"b", 1}, {"ab", 2}}, {"a c"}).dump(),
                    {"merge 0 ('a' 'c')", "token 'c' is not in the vocabulary"});
    expectJsonError(bpe({{"a", 0}, {"b", 1}}, Json::array({Json::array({"a", "b"})})).dump(),
                    {"merged token 'ab' is not in the vocabulary"});
    expectJsonError(bpe({{"a", 0}, {"b", 1}, {"ab", 2}}, {"ab"}).dump(), {"merge 0 must be"});
    expectJsonError(bpe({{"a", 0}}, Json::array({42})).dump(), {"merge 0 must be"});
}

TEST(MalformedTokenizerJson, BadComponents) {
    Json document = bpe({{"a", 0}}, Json::array());
    document["pre_tokenizer"] = {{"type", "Fancy"}};
    expectJsonError(document.dump(), {"unsupported pre_tokenizer type 'Fancy'"});
    document["pre_tokenizer"] = {
        {"type", "Split"}, {"pattern", {{"Regex", "(unclosed"}}}, {"behavior", "Isolated"}};
    expectJsonError(document.dump(), {"pre_tokenizer (Split)", "invalid regex '(unclosed'"});
    document["pre_tokenizer"] = {
        {"type", "Split"}, {"pattern", {{"Regex", "a"}}}, {"behavior", "Sideways"}};
    expectJsonError(document.dump(), {"unknown behavior 'Sideways'"});
    document["pre_tokenizer"] = nullptr;
    document["normalizer"] = {{"type", "Replace"}, {"content", "x"}};
    expectJsonError(document.dump(), {"normalizer (Replace)", "missing \"pattern\""});
    document["normalizer"] = nullptr;
    document["decoder"] = {{"type", "Strip"}, {"content", 5}};
    expectJsonError(document.dump(), {"decoder (Strip)", "\"content\" must be a string"});
    document["decoder"] = nullptr;
    document["post_processor"] = {{"type", "TemplateProcessing"},
                                  {"single", Json::array({{{"SpecialToken", {{"id", "<s>"}}}},
                                                          {{"Sequence", {{"id", "A"}}}}})},
                                  {"special_tokens", Json::object()}};
    expectJsonError(document.dump(), {"special token '<s>' is not in \"special_tokens\""});
    document["post_processor"] = nullptr;
    document["added_tokens"] = Json::array({{{"content", "<x>"}}});
    expectJsonError(document.dump(), {"added_tokens[0]", "missing \"id\""});
}

TEST(MalformedTokenizerJson, DeeplyNestedSequencesAreRejected) {
    Json pre = {{"type", "WhitespaceSplit"}};
    for (int i = 0; i < 100; ++i)
        pre = {{"type", "Sequence"}, {"pretokenizers", Json::array({pre})}};
    Json document = bpe({{"a", 0}}, Json::array());
    document["pre_tokenizer"] = pre;
    expectJsonError(document.dump(), {"nested too deeply"});
}

TEST(BadText, InvalidUtf8IsAnErrorWithTheByteOffset) {
    const auto tokenizer = load(bpe({{"a", 0}}, Json::array()));
    expectError([&] { tokenizer->encode("aa\xC3"); }, {"not valid UTF-8", "byte 2"});
    expectError([&] { tokenizer->encode("a\xED\xA0\x80"); }, {"byte 1"});      // surrogate
    expectError([&] { tokenizer->encode("\xC0\xAF"); }, {"byte 0"});           // overlong
    expectError([&] { tokenizer->encode("a\xF4\x90\x80\x80"); }, {"byte 1"});  // > U+10FFFF
    expectError([&] { tokenizer->decode({0, 7}); }, {"token id 7"});
    expectError([&] { tokenizer->idToToken(-1); }, {"token id -1"});
    EXPECT_EQ(tokenizer->encode("").ids.size(), 0u);
}

class BadFiles : public ::testing::Test {
protected:
    void SetUp() override {
        m_dir = std::filesystem::temp_directory_path() /
                ("attnscope_tok_bad_" +
                 std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
        std::filesystem::create_directories(m_dir);
    }
    void TearDown() override { std::filesystem::remove_all(m_dir); }
    std::filesystem::path write(const std::string& name, const std::string& content) {
        std::ofstream(m_dir / name, std::ios::binary) << content;
        return m_dir / name;
    }
    std::filesystem::path m_dir;
};

TEST_F(BadFiles, MissingFilesAreNamed) {
    const auto missing = m_dir / "nope.json";
    expectError([&] { Tokenizer::fromTokenizerJson(missing); }, {missing.string(), "cannot open"});
    expectError([&] { Tokenizer::fromTokenizerJson(m_dir); }, {"is a folder"});
}

TEST_F(BadFiles, Gpt2FilesWithBadLinesOrUnknownTokens) {
    const auto vocab = write("vocab.json", R"({"a": 0, "b": 1, "ab": 2})");
    const auto badLine = write("bad.txt", "#version: 0.2\na b\nabc\n");
    expectError([&] { Tokenizer::fromVocabAndMerges(vocab, badLine); },
                {badLine.string(), "line 3", "two tokens"});
    const auto unknown = write("unknown.txt", "#version: 0.2\na x\n");
    expectError([&] { Tokenizer::fromVocabAndMerges(vocab, unknown); },
                {unknown.string(), "token 'x' is not in the vocabulary"});
    const auto badVocab = write("badvocab.json", R"(["a"])");
    expectError([&] { Tokenizer::fromVocabAndMerges(badVocab, unknown); }, {badVocab.string()});
    const auto good = write("merges.txt", "#version: 0.2\r\na b\r\n");
    const auto tokenizer = Tokenizer::fromVocabAndMerges(vocab, good);
    EXPECT_EQ(tokenizer->encode("ab").ids, (std::vector<int64_t>{2}));
}

}  // namespace
}  // namespace attnscope::capture
