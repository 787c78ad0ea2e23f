#pragma once

#include <string>
#include <string_view>

namespace attnscope::analysis {

/// The Porter suffix-stripping stemmer (Porter 1980, "An algorithm for suffix stripping"),
/// following the three modes of NLTK's nltk.stem.porter.PorterStemmer rule for rule.
///
/// Google's rouge_score (rouge/tokenizers.py::DefaultTokenizer) builds
/// `porter.PorterStemmer()` with no argument, i.e. NLTK's default NLTK_EXTENSIONS mode; that
/// is what the retrieval score's ROUGE (§2.1) needs and it is our default.
class PorterStemmer {
public:
    enum class Mode {
        /// NLTK default (used by rouge_score): Martin Porter's extensions plus NLTK's
        /// (irregular forms table, 'ies'/'ied' on 4-letter words, y->i only after a
        /// consonant, 'fulli', 'logi', 2-letter *o, words of <= 2 letters left alone).
        NltkExtensions,
        /// Only the changes in Martin Porter's own implementations ('bli', 'logi').
        MartinExtensions,
        /// The published 1980 algorithm.
        OriginalAlgorithm,
    };

    explicit PorterStemmer(Mode mode = Mode::NltkExtensions) : m_mode(mode) {}

    /// Stem of `word`, lower-cased first (ASCII) as NLTK's stem(word, to_lowercase=True).
    std::string stem(std::string_view word) const;

    Mode mode() const { return m_mode; }

private:
    std::string step1a(const std::string& word) const;
    std::string step1b(const std::string& word) const;
    std::string step1c(const std::string& word) const;
    std::string step2(const std::string& word) const;
    std::string step3(const std::string& word) const;
    std::string step4(const std::string& word) const;
    std::string step5a(const std::string& word) const;
    std::string step5b(const std::string& word) const;
    bool endsCvc(const std::string& word) const;

    Mode m_mode;
};

}  // namespace attnscope::analysis
