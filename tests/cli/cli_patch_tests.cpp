// `attnscope-cli patch` end to end: per-head z patching against the values nanoGPT and
// llama2.c computed (../shared/fixtures/patching), pair averaging, shapes per site and bad input.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>

#include "cli_test_support.h"

namespace attnscope::test {
namespace {

using Json = nlohmann::json;

std::filesystem::path patchingFixture() {
    return fixturesDir() / "patching" / "expected.json";
}

std::string parityModel(const std::string& name) {
    return (fixturesDir() / "parity" / name).string();
}

Json readJson(const std::filesystem::path& p) {
    std::ifstream in(p);
    return Json::parse(in);
}

std::string idList(const Json& ids) {
    std::string out;
    for (const auto& id : ids)
        out += (out.empty() ? "" : ",") + std::to_string(id.get<int64_t>());
    return out;
}

// The fixtures README's tolerance: 1e-3 · max(1, max|values|).
double tolerance(const Json& values) {
    double m = 1.0;
    for (const auto& row : values)
        for (const auto& v : row)
            m = std::max(m, std::abs(v.get<double>()));
    return 1e-3 * m;
}

ProcessResult patchCase(const std::string& model, const Json& c,
                        std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"patch",
                                  "--model",
                                  parityModel(model),
                                  "--clean-ids",
                                  idList(c.at("clean_ids")),
                                  "--corrupted-ids",
                                  idList(c.at("corrupted_ids")),
                                  "--answer-id",
                                  std::to_string(c.at("answer_id").get<int64_t>()),
                                  "--wrong-id",
                                  std::to_string(c.at("wrong_id").get<int64_t>()),
                                  "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    return cli(args);
}

TEST(CliPatch, PerHeadZPatchingMatchesTheIndependentImplementations) {
    ATTNSCOPE_REQUIRE_FIXTURE(patchingFixture());
    const Json fixture = readJson(patchingFixture());
    ASSERT_EQ(fixture.at("site"), "z");
    ASSERT_EQ(fixture.at("direction"), "noising");
    int cases = 0;
    for (const auto& [model, list] : fixture.at("models").items()) {
        for (const auto& c : list) {
            SCOPED_TRACE(model + " case " + std::to_string(cases));
            const ProcessResult r = patchCase(model, c, {"--site", "z"});
            ASSERT_EQ(r.exitCode, 0) << r.err;
            const Json j = jsonOf(r);
            EXPECT_EQ(j.at("site"), "z");
            EXPECT_EQ(j.at("direction"), "noising");
            EXPECT_EQ(j.at("metric"), "logit_diff");
            const Json& expected = c.at("values");
            const double tol = tolerance(expected);
            EXPECT_NEAR(j.at("clean").get<double>(), c.at("clean").get<double>(), tol);
            EXPECT_NEAR(j.at("corrupted").get<double>(), c.at("corrupted").get<double>(), tol);
            ASSERT_EQ(j.at("values").size(), expected.size());
            for (size_t l = 0; l < expected.size(); ++l) {
                ASSERT_EQ(j.at("values")[l].size(), expected[l].size());
                for (size_t h = 0; h < expected[l].size(); ++h)
                    EXPECT_NEAR(j.at("values")[l][h].get<double>(), expected[l][h].get<double>(),
                                tol)
                        << "layer " << l << " head " << h;
            }
            ++cases;
        }
    }
    EXPECT_EQ(cases, 6);
}

TEST(CliPatch, DataFileAveragesTheMetricOverPairs) {
    ATTNSCOPE_REQUIRE_FIXTURE(patchingFixture());
    const Json fixture = readJson(patchingFixture());
    const Json& list = fixture.at("models").at("llama-tiny-gqa");
    TempDir dir;
    std::string lines;
    for (const auto& c : list)
        lines += Json{{"clean_ids", c.at("clean_ids")},
                      {"corrupted_ids", c.at("corrupted_ids")},
                      {"answer_id", c.at("answer_id")},
                      {"wrong_id", c.at("wrong_id")}}
                     .dump() +
                 "\n";
    const auto file = dir.write("pairs.jsonl", lines);
    const ProcessResult r = cli({"patch", "--model", parityModel("llama-tiny-gqa"), "--data", file,
                                 "--site", "z", "--json"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    const Json j = jsonOf(r);
    const double n = static_cast<double>(list.size());
    double clean = 0;
    for (const auto& c : list)
        clean += c.at("clean").get<double>() / n;
    EXPECT_NEAR(j.at("clean").get<double>(), clean, 1e-3 * std::max(1.0, std::abs(clean)));
    for (size_t l = 0; l < 2; ++l)
        for (size_t h = 0; h < 4; ++h) {
            double mean = 0, scale = 1;
            for (const auto& c : list) {
                mean += c.at("values")[l][h].get<double>() / n;
                scale = std::max(scale, tolerance(c.at("values")) * 1e3);
            }
            EXPECT_NEAR(j.at("values")[l][h].get<double>(), mean, 1e-3 * scale);
        }
}

TEST(CliPatch, ShapesFollowTheSiteAndKvHeadsIndexKAndV) {
    ATTNSCOPE_REQUIRE_FIXTURE(patchingFixture());
    const Json c = readJson(patchingFixture()).at("models").at("llama-tiny-gqa")[0];
    // 2 layers, 4 query heads, 2 KV heads.
    const std::vector<std::pair<std::string, size_t>> perHead{
        {"q", 4}, {"k", 2}, {"v", 2}, {"pattern", 4}};
    for (const auto& [site, heads] : perHead) {
        const ProcessResult r = patchCase("llama-tiny-gqa", c, {"--site", site});
        ASSERT_EQ(r.exitCode, 0) << site << ": " << r.err;
        const Json j = jsonOf(r);
        ASSERT_EQ(j.at("values").size(), 2u) << site;
        EXPECT_EQ(j.at("values")[0].size(), heads) << site;
    }
    for (const char* site : {"resid_pre", "attn_out", "mlp_out"}) {
        const ProcessResult r = patchCase("llama-tiny-gqa", c, {"--site", site});
        ASSERT_EQ(r.exitCode, 0) << site << ": " << r.err;
        const Json j = jsonOf(r);
        ASSERT_EQ(j.at("values").size(), 2u);
        EXPECT_TRUE(j.at("values")[0].is_number()) << site;
    }
    // resid_pre of layer 0 at every position carries the whole corrupted input: the run then
    // is the corrupted run. At the last position only it is not (the prompts differ earlier).
    const Json all = jsonOf(patchCase("llama-tiny-gqa", c, {"--site", "resid_pre"}));
    EXPECT_NEAR(all.at("values")[0].get<double>(), c.at("corrupted").get<double>(), 1e-4);
    // Denoising: the clean resid_pre of layer 0 turns the corrupted run into the clean one.
    const Json back =
        jsonOf(patchCase("llama-tiny-gqa", c, {"--site", "resid_pre", "--direction", "denoising"}));
    EXPECT_EQ(back.at("direction"), "denoising");
    EXPECT_NEAR(back.at("values")[0].get<double>(), c.at("clean").get<double>(), 1e-4);
}

TEST(CliPatch, TextPromptsOnTheDemoModelAndPositions) {
    const std::vector<std::string> base{
        "patch",
        "--model",
        demoModel(),
        "--clean",
        kDemoPrompt,
        "--corrupted",
        "alice apple bob river carol stone . carol stone alice apple eve",
        "--answer",
        "river",
        "--wrong",
        "stone",
        "--site",
        "z",
        "--json"};
    const ProcessResult r = cli(base);
    ASSERT_EQ(r.exitCode, 0) << r.err;
    const Json j = jsonOf(r);
    ASSERT_EQ(j.at("values").size(), 4u);
    EXPECT_EQ(j.at("values")[0].size(), 8u);
    EXPECT_GT(j.at("clean").get<double>(), j.at("corrupted").get<double>());

    // Patching at positions where the prompts agree changes nothing: z there depends only on
    // earlier tokens, which are the same in both prompts.
    auto early = base;
    early.insert(early.end(), {"--positions", "0,1,2"});
    const Json e = jsonOf(cli(early));
    for (const auto& layer : e.at("values"))
        for (const auto& v : layer)
            EXPECT_NEAR(v.get<double>(), j.at("clean").get<double>(), 1e-4);
    auto last = base;
    last.insert(last.end(), {"--positions", "last"});
    EXPECT_EQ(cli(last).exitCode, 0);
}

TEST(CliPatch, TextPairFilesOnTheDemoModel) {
    // Two MQAR pairs as text; the second line's mean equals its own single-pair run.
    TempDir dir;
    const std::string first =
        R"({"clean": "alice apple bob river . bob", "corrupted": "alice apple bob river . eve", "answer": "river", "wrong": "apple"})";
    const std::string second =
        R"({"clean": "carol stone dave kite . carol", "corrupted": "carol stone dave kite . frank", "answer": "stone", "wrong": "kite"})";
    const auto both = dir.write("both.jsonl", first + "\n" + second + "\n");
    const auto one = dir.write("one.jsonl", first + "\n");
    const auto two = dir.write("two.jsonl", second + "\n");
    auto run = [&](const std::string& file) {
        const ProcessResult r =
            cli({"patch", "--model", demoModel(), "--data", file, "--site", "attn_out", "--json"});
        EXPECT_EQ(r.exitCode, 0) << r.err;
        return jsonOf(r);
    };
    const Json b = run(both), a1 = run(one), a2 = run(two);
    EXPECT_NEAR(b.at("clean").get<double>(),
                (a1.at("clean").get<double>() + a2.at("clean").get<double>()) / 2, 1e-4);
    for (size_t l = 0; l < 4; ++l)
        EXPECT_NEAR(b.at("values")[l].get<double>(),
                    (a1.at("values")[l].get<double>() + a2.at("values")[l].get<double>()) / 2,
                    1e-4);
}

TEST(CliPatch, BadInputExitsNonZeroWithAClearMessage) {
    const std::vector<std::string> base{"patch", "--model", demoModel(), "--site", "z"};
    auto run = [&](std::vector<std::string> extra) {
        auto args = base;
        args.insert(args.end(), extra.begin(), extra.end());
        return cli(args);
    };
    const std::vector<std::string> pair{
        "--clean",  "alice apple bob", "--corrupted", "alice apple eve",
        "--answer", "river",           "--wrong",     "stone"};
    auto with = [&](std::vector<std::string> extra) {
        auto args = pair;
        args.insert(args.end(), extra.begin(), extra.end());
        return run(args);
    };
    struct Case {
        ProcessResult result;
        std::string message;
    };
    std::vector<Case> cases;
    cases.push_back({run({"--clean", "alice apple bob", "--corrupted", "alice apple bob eve",
                          "--answer", "river", "--wrong", "stone"}),
                     "equal lengths"});
    cases.push_back({run({"--clean", "alice zyzzyva bob", "--corrupted", "alice apple eve",
                          "--answer", "river", "--wrong", "stone"}),
                     "'zyzzyva' is not in the model's vocabulary"});
    cases.push_back({run({"--clean", "alice apple bob", "--corrupted", "alice apple eve",
                          "--answer", "river stone", "--wrong", "stone"}),
                     "answers must be single tokens"});
    cases.push_back({with({"--positions", "7"}), "position 7 is outside the prompt"});
    cases.push_back({with({"--direction", "sideways"}), "unknown patching direction"});
    cases.push_back({run({"--clean-ids", "1,2,x", "--corrupted-ids", "1,2,3", "--answer-id", "4",
                          "--wrong-id", "5"}),
                     "--clean-ids: 'x'"});
    cases.push_back({run({"--clean-ids", "1,2,3", "--corrupted-ids", "1,2,3", "--answer-id", "400",
                          "--wrong-id", "5"}),
                     "answer token id 400 is out of range"});
    TempDir dir;
    const auto bad = dir.write("pairs.jsonl",
                               "{\"clean_ids\": [1, 2], \"corrupted_ids\": [1, "
                               "2], \"answer_id\": 4, \"wrong_id\": 5}\n{oops\n");
    cases.push_back({run({"--data", bad}), "pairs.jsonl, line 2: not valid JSON"});
    for (const auto& c : cases) {
        EXPECT_NE(c.result.exitCode, 0) << c.message;
        EXPECT_NE(c.result.err.find(c.message), std::string::npos)
            << "expected '" << c.message << "' in:\n"
            << c.result.err;
    }
    // Usage errors: exit code 2 and the usage line.
    const ProcessResult noSite = cli({"patch", "--model", demoModel(), "--clean", "a"});
    EXPECT_EQ(noSite.exitCode, 2);
    auto unknownArgs = pair;
    unknownArgs.insert(unknownArgs.begin(), {"patch", "--model", demoModel(), "--site", "x"});
    const ProcessResult unknownSite = cli(unknownArgs);
    EXPECT_NE(unknownSite.err.find("unknown patch site 'x'"), std::string::npos) << unknownSite.err;
    EXPECT_NE(unknownSite.exitCode, 0);
    const ProcessResult both = with({"--data", bad});
    EXPECT_EQ(both.exitCode, 2);
    EXPECT_NE(both.err.find("--data gives the pairs"), std::string::npos) << both.err;
}

}  // namespace
}  // namespace attnscope::test
