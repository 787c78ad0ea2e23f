#include "attnscope/app/demo/demo_vocabulary.h"

#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

namespace attnscope::app::demo {

DemoVocabulary::DemoVocabulary() {
    addGroup("<unk> <bos> <eos> <pad>");
    // Frame words of the tasks (punctuation, the needle sentence, the chat frame, the answers).
    addGroup(". : ? the secret of is user assistant how do i please tell me to can you help");
    addGroup("today sure here step by I cannot with that request");
    m_names = addGroup(
        "alice bob carol dave eve frank grace heidi ivan judy kevin laura mike nina oscar paul "
        "quinn rose sam tina uma victor wendy xavier yusuf zoe adam bella chris diana ethan fiona "
        "george hannah isaac julia kyle lily mason nora owen piper ryan sara tom vera wade emma");
    m_nouns = addGroup(
        "apple river stone cloud garden window candle mirror forest island ladder pencil rocket "
        "violin bridge castle desert engine feather guitar hammer jacket kettle lemon magnet "
        "nectar "
        "orange pillow quilt rabbit saddle tiger umbrella valley wagon yacht zebra anchor basket "
        "cactus dragon eagle falcon glacier harbor igloo jungle kite lantern meadow nest ocean "
        "parrot quartz robot sunset tulip unicorn volcano walrus yogurt piano");
    m_cities = addGroup(
        "paris london tokyo rome cairo lima oslo delhi madrid berlin dublin vienna prague athens "
        "moscow sydney boston denver seattle chicago toronto mumbai lagos nairobi");
    m_fillers = addGroup(
        "a an and but so we they he she it was were has had will would could should may might "
        "very quite more some many all each every this these those there then now soon later "
        "often never always still just only also too well fast slow big small old new good bad "
        "long short warm cold dark bright loud quiet happy sad early late near far up down over "
        "under into from at on in out about around after before while when where why who which "
        "what went came saw made took gave found kept left ran sat");
    m_triggers = addGroup("again twice repeat");
    m_benignVerbs = addGroup("bake clean paint fix build cook wash draw plant fold carry open");
    m_harmfulVerbs = addGroup("steal kill hack poison");
    m_benignObjects = addGroup("bread car house yard shirt table door boat cake wall fence chair");
    m_harmfulObjects = addGroup("bomb weapon drug virus");
}

std::vector<int64_t> DemoVocabulary::addGroup(const std::string& spaceSeparated) {
    std::vector<int64_t> group;
    std::istringstream in(spaceSeparated);
    for (std::string w; in >> w;) {
        if (m_index.count(w) != 0) throw std::logic_error("duplicate demo word '" + w + "'");
        m_index.emplace(w, size());
        group.push_back(size());
        m_words.push_back(w);
    }
    return group;
}

int64_t DemoVocabulary::id(const std::string& word) const {
    auto it = m_index.find(word);
    if (it == m_index.end())
        throw std::invalid_argument("'" + word + "' is not in the demo vocabulary");
    return it->second;
}

const std::string& DemoVocabulary::word(int64_t id) const {
    if (id < 0 || id >= size())
        throw std::out_of_range("token id " + std::to_string(id) + " is outside the vocabulary");
    return m_words[static_cast<size_t>(id)];
}

std::vector<int64_t> DemoVocabulary::ids(const std::string& phrase) const {
    std::vector<int64_t> out;
    std::istringstream in(phrase);
    for (std::string w; in >> w;)
        out.push_back(id(w));
    return out;
}

std::string DemoVocabulary::text(const std::vector<int64_t>& ids) const {
    std::string out;
    for (const int64_t i : ids) {
        if (i <= kPad) continue;
        if (!out.empty()) out += ' ';
        out += word(i);
    }
    return out;
}

std::string DemoVocabulary::tokenizerJson() const {
    using Json = nlohmann::ordered_json;
    Json vocab = Json::object();
    for (int64_t i = 0; i < size(); ++i)
        vocab[m_words[static_cast<size_t>(i)]] = i;
    Json added = Json::array();
    for (int64_t i = 0; i <= kPad; ++i)
        added.push_back({{"id", i},
                         {"content", m_words[static_cast<size_t>(i)]},
                         {"single_word", false},
                         {"lstrip", false},
                         {"rstrip", false},
                         {"normalized", false},
                         {"special", true}});
    Json doc = {{"version", "1.0"},
                {"truncation", nullptr},
                {"padding", nullptr},
                {"added_tokens", added},
                {"normalizer", nullptr},
                {"pre_tokenizer", {{"type", "WhitespaceSplit"}}},
                {"post_processor",
                 {{"type", "TemplateProcessing"},
                  {"single", Json::array({{{"SpecialToken", {{"id", "<bos>"}, {"type_id", 0}}}},
                                          {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}})},
                  {"pair", Json::array({{{"SpecialToken", {{"id", "<bos>"}, {"type_id", 0}}}},
                                        {{"Sequence", {{"id", "A"}, {"type_id", 0}}}},
                                        {{"Sequence", {{"id", "B"}, {"type_id", 1}}}}})},
                  {"special_tokens",
                   {{"<bos>", {{"id", "<bos>"}, {"ids", {kBos}}, {"tokens", {"<bos>"}}}}}}}},
                {"decoder", nullptr},
                {"model", {{"type", "WordLevel"}, {"vocab", vocab}, {"unk_token", "<unk>"}}}};
    return doc.dump(2) + "\n";
}

}  // namespace attnscope::app::demo
