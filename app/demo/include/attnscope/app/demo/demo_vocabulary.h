#pragma once
// The demo model's word-level vocabulary: readable English words grouped by the role they play
// in the synthetic tasks. Torch-free.
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace attnscope::app::demo {

/// Every word of the demo vocabulary, with its id (its index in `words()`), grouped by role.
/// The groups are disjoint except where noted, so each task's answers are unambiguous.
class DemoVocabulary {
public:
    DemoVocabulary();

    static constexpr int64_t kUnk = 0;
    static constexpr int64_t kBos = 1;
    static constexpr int64_t kEos = 2;
    static constexpr int64_t kPad = 3;

    const std::vector<std::string>& words() const { return m_words; }
    int64_t size() const { return static_cast<int64_t>(m_words.size()); }
    /// Id of `word`; throws std::invalid_argument for a word outside the vocabulary.
    int64_t id(const std::string& word) const;
    const std::string& word(int64_t id) const;
    /// Ids of a space-separated phrase.
    std::vector<int64_t> ids(const std::string& phrase) const;
    /// Words joined by single spaces (special tokens skipped), as the tokenizer decodes.
    std::string text(const std::vector<int64_t>& ids) const;

    // Roles (ids). MQAR keys are names, values are nouns; the needle task reuses the nouns as
    // secrets and names cities; filler words feed the bigram model of Bigram-Backcopy.
    const std::vector<int64_t>& names() const { return m_names; }
    const std::vector<int64_t>& nouns() const { return m_nouns; }
    const std::vector<int64_t>& cities() const { return m_cities; }
    const std::vector<int64_t>& fillers() const { return m_fillers; }
    const std::vector<int64_t>& triggers() const { return m_triggers; }
    const std::vector<int64_t>& benignVerbs() const { return m_benignVerbs; }
    const std::vector<int64_t>& harmfulVerbs() const { return m_harmfulVerbs; }
    const std::vector<int64_t>& benignObjects() const { return m_benignObjects; }
    const std::vector<int64_t>& harmfulObjects() const { return m_harmfulObjects; }

    /// A Hugging Face tokenizer.json: WordLevel model, WhitespaceSplit pre-tokenizer, `<unk>`,
    /// special tokens, and a TemplateProcessing post-processor that prepends `<bos>`. No
    /// decoder, so decoding joins words with single spaces.
    std::string tokenizerJson() const;

private:
    std::vector<int64_t> addGroup(const std::string& spaceSeparated);

    std::vector<std::string> m_words;
    std::unordered_map<std::string, int64_t> m_index;
    std::vector<int64_t> m_names, m_nouns, m_cities, m_fillers, m_triggers;
    std::vector<int64_t> m_benignVerbs, m_harmfulVerbs, m_benignObjects, m_harmfulObjects;
};

}  // namespace attnscope::app::demo
