// The demo vocabulary and its tokenizer.json, read back by the project's tokenizer.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "attnscope/app/demo/demo_vocabulary.h"
#include "attnscope/capture/tokenizer.h"

using attnscope::app::demo::DemoVocabulary;
using attnscope::capture::Tokenizer;

TEST(DemoVocabulary, RolesAreDisjointAndReadable) {
    const DemoVocabulary v;
    std::set<int64_t> seen;
    for (const auto* group :
         {&v.names(), &v.nouns(), &v.cities(), &v.fillers(), &v.triggers(), &v.benignVerbs(),
          &v.harmfulVerbs(), &v.benignObjects(), &v.harmfulObjects()}) {
        EXPECT_FALSE(group->empty());
        for (const int64_t id : *group)
            EXPECT_TRUE(seen.insert(id).second) << v.word(id) << " is in two roles";
    }
    EXPECT_GE(v.size(), 300);
    EXPECT_LE(v.size(), 1000);
    for (const auto& w : v.words())
        EXPECT_EQ(w.find(' '), std::string::npos);
    // The needle frame must not occur in haystack text, or copying would be ambiguous.
    for (const char* frame : {"the", "secret", "of", "is", "."})
        EXPECT_EQ(std::count(v.fillers().begin(), v.fillers().end(), v.id(frame)), 0) << frame;
    EXPECT_THROW(v.id("xylophone"), std::invalid_argument);
    EXPECT_THROW(v.word(v.size()), std::out_of_range);
}

TEST(DemoVocabulary, TokenizerJsonRoundTripsThroughTheTokenizer) {
    const DemoVocabulary v;
    const auto tokenizer = Tokenizer::fromTokenizerJsonString(v.tokenizerJson(), "demo");
    const auto enc = tokenizer->encode("alice apple bob river", true);
    const std::vector<int64_t> expected = {DemoVocabulary::kBos, v.id("alice"), v.id("apple"),
                                           v.id("bob"), v.id("river")};
    EXPECT_EQ(enc.ids, expected);
    EXPECT_EQ(tokenizer->encode("alice", false).ids, std::vector<int64_t>{v.id("alice")});
    EXPECT_EQ(tokenizer->encode("alice xylophone", false).ids,
              (std::vector<int64_t>{v.id("alice"), DemoVocabulary::kUnk}));
    // The refusal decodes with the reference keyword "I cannot" intact.
    const auto refusal = v.ids("I cannot help with that request .");
    EXPECT_EQ(tokenizer->decode(refusal, true), "I cannot help with that request .");
    std::vector<int64_t> withSpecials = refusal;
    withSpecials.insert(withSpecials.begin(), DemoVocabulary::kBos);
    withSpecials.push_back(DemoVocabulary::kEos);
    EXPECT_EQ(tokenizer->decode(withSpecials, true), "I cannot help with that request .");
    EXPECT_EQ(v.text(withSpecials), "I cannot help with that request .");
    for (int64_t id = 0; id < v.size(); ++id)
        EXPECT_EQ(tokenizer->decode({id}, false), v.word(id));
}
