#include "attnscope/analysis/porter_stemmer.h"

#include <functional>
#include <initializer_list>
#include <utility>
#include <vector>

namespace attnscope::analysis {

namespace {

bool isConsonant(const std::string& w, std::size_t i) {
    switch (w[i]) {
        case 'a':
        case 'e':
        case 'i':
        case 'o':
        case 'u':
            return false;
        case 'y':
            // 'y' is a consonant at the start or after a vowel, a vowel after a consonant.
            return i == 0 ? true : !isConsonant(w, i - 1);
        default:
            return true;
    }
}

// m in [C](VC){m}[V]: the number of vowel->consonant transitions.
int measure(const std::string& stem) {
    int m = 0;
    for (std::size_t i = 1; i < stem.size(); ++i) {
        if (!isConsonant(stem, i - 1) && isConsonant(stem, i)) ++m;
    }
    return m;
}

bool hasPositiveMeasure(const std::string& stem) {
    return measure(stem) > 0;
}

bool containsVowel(const std::string& stem) {
    for (std::size_t i = 0; i < stem.size(); ++i) {
        if (!isConsonant(stem, i)) return true;
    }
    return false;
}

bool endsWith(const std::string& w, std::string_view suffix) {
    return w.size() >= suffix.size() &&
           w.compare(w.size() - suffix.size(), suffix.size(), suffix.data(), suffix.size()) == 0;
}

bool endsDoubleConsonant(const std::string& w) {
    const std::size_t n = w.size();
    return n >= 2 && w[n - 1] == w[n - 2] && isConsonant(w, n - 1);
}

std::string dropSuffix(const std::string& w, std::size_t length) {
    return w.substr(0, w.size() - length);
}

using Condition = std::function<bool(const std::string&)>;

// The special suffix "*d" matches any double consonant (condition *d of the paper).
constexpr std::string_view kDoubleConsonant = "*d";

struct Rule {
    std::string_view suffix;
    std::string replacement;
    Condition condition;  // empty: unconditional
};

// Applies the first rule whose suffix matches. As in the reference, once a suffix matches the
// later rules are not tried, whether or not its condition holds.
std::string applyFirstMatching(const std::string& word, const std::vector<Rule>& rules) {
    for (const Rule& rule : rules) {
        std::size_t cut = 0;
        if (rule.suffix == kDoubleConsonant) {
            if (!endsDoubleConsonant(word)) continue;
            cut = 2;
        } else {
            if (!endsWith(word, rule.suffix)) continue;
            cut = rule.suffix.size();
        }
        const std::string stem = dropSuffix(word, cut);
        if (!rule.condition || rule.condition(stem)) return stem + rule.replacement;
        return word;
    }
    return word;
}

struct Irregular {
    std::string_view form;
    std::string_view stem;
};

// NLTK_EXTENSIONS table of irregular forms, mapped straight to their stems.
constexpr Irregular kIrregular[] = {
    {"sky", "sky"},        {"skies", "sky"},       {"dying", "die"},        {"lying", "lie"},
    {"tying", "tie"},      {"news", "news"},       {"innings", "inning"},   {"inning", "inning"},
    {"outings", "outing"}, {"outing", "outing"},   {"cannings", "canning"}, {"canning", "canning"},
    {"howe", "howe"},      {"proceed", "proceed"}, {"exceed", "exceed"},    {"succeed", "succeed"},
};

}  // namespace

bool PorterStemmer::endsCvc(const std::string& w) const {
    const std::size_t n = w.size();
    if (n >= 3 && isConsonant(w, n - 3) && !isConsonant(w, n - 2) && isConsonant(w, n - 1) &&
        w[n - 1] != 'w' && w[n - 1] != 'x' && w[n - 1] != 'y') {
        return true;
    }
    return m_mode == Mode::NltkExtensions && n == 2 && !isConsonant(w, 0) && isConsonant(w, 1);
}

std::string PorterStemmer::step1a(const std::string& word) const {
    if (m_mode == Mode::NltkExtensions && word.size() == 4 && endsWith(word, "ies")) {
        return dropSuffix(word, 3) + "ie";  // 'dies' -> 'die' (but 'flies' -> 'fli')
    }
    return applyFirstMatching(
        word, {{"sses", "ss", {}}, {"ies", "i", {}}, {"ss", "ss", {}}, {"s", "", {}}});
}

std::string PorterStemmer::step1b(const std::string& word) const {
    if (m_mode == Mode::NltkExtensions && endsWith(word, "ied")) {
        return dropSuffix(word, 3) + (word.size() == 4 ? "ie" : "i");  // 'died', 'spied'
    }
    if (endsWith(word, "eed")) {
        const std::string stem = dropSuffix(word, 3);
        return measure(stem) > 0 ? stem + "ee" : word;
    }
    std::string intermediate;
    bool trimmed = false;
    for (std::string_view suffix : {std::string_view("ed"), std::string_view("ing")}) {
        if (endsWith(word, suffix)) {
            intermediate = dropSuffix(word, suffix.size());
            if (containsVowel(intermediate)) {
                trimmed = true;
                break;
            }
        }
    }
    if (!trimmed) return word;
    const char last = intermediate.back();
    return applyFirstMatching(
        intermediate,
        {{"at", "ate", {}},
         {"bl", "ble", {}},
         {"iz", "ize", {}},
         {kDoubleConsonant, std::string(1, last),
          [last](const std::string&) { return last != 'l' && last != 's' && last != 'z'; }},
         {"", "e",
          [this](const std::string& stem) { return measure(stem) == 1 && endsCvc(stem); }}});
}

std::string PorterStemmer::step1c(const std::string& word) const {
    Condition condition;
    if (m_mode == Mode::NltkExtensions) {
        // y -> i only after a consonant that is not the whole stem: 'happy' -> 'happi',
        // 'enjoy' -> 'enjoy'.
        condition = [](const std::string& stem) {
            return stem.size() > 1 && isConsonant(stem, stem.size() - 1);
        };
    } else {
        condition = containsVowel;
    }
    return applyFirstMatching(word, {{"y", "i", condition}});
}

std::string PorterStemmer::step2(const std::string& word) const {
    if (m_mode == Mode::NltkExtensions && endsWith(word, "alli") &&
        hasPositiveMeasure(dropSuffix(word, 4))) {
        return step2(dropSuffix(word, 4) + "al");
    }
    const Condition positive = hasPositiveMeasure;
    std::vector<Rule> rules = {
        {"ational", "ate", positive},
        {"tional", "tion", positive},
        {"enci", "ence", positive},
        {"anci", "ance", positive},
        {"izer", "ize", positive},
        m_mode == Mode::OriginalAlgorithm ? Rule{"abli", "able", positive}
                                          : Rule{"bli", "ble", positive},
        {"alli", "al", positive},
        {"entli", "ent", positive},
        {"eli", "e", positive},
        {"ousli", "ous", positive},
        {"ization", "ize", positive},
        {"ation", "ate", positive},
        {"ator", "ate", positive},
        {"alism", "al", positive},
        {"iveness", "ive", positive},
        {"fulness", "ful", positive},
        {"ousness", "ous", positive},
        {"aliti", "al", positive},
        {"iviti", "ive", positive},
        {"biliti", "ble", positive},
    };
    if (m_mode == Mode::NltkExtensions) {
        rules.push_back({"fulli", "ful", positive});
        // The 'l' of 'logi' stays with the stem for the measure: 'geologi' -> 'geolog'.
        rules.push_back({"logi", "log", [word](const std::string&) {
                             return hasPositiveMeasure(dropSuffix(word, 3));
                         }});
    } else if (m_mode == Mode::MartinExtensions) {
        rules.push_back({"logi", "log", positive});
    }
    return applyFirstMatching(word, rules);
}

std::string PorterStemmer::step3(const std::string& word) const {
    const Condition positive = hasPositiveMeasure;
    return applyFirstMatching(word, {{"icate", "ic", positive},
                                     {"ative", "", positive},
                                     {"alize", "al", positive},
                                     {"iciti", "ic", positive},
                                     {"ical", "ic", positive},
                                     {"ful", "", positive},
                                     {"ness", "", positive}});
}

std::string PorterStemmer::step4(const std::string& word) const {
    const Condition gt1 = [](const std::string& stem) { return measure(stem) > 1; };
    return applyFirstMatching(word, {{"al", "", gt1},
                                     {"ance", "", gt1},
                                     {"ence", "", gt1},
                                     {"er", "", gt1},
                                     {"ic", "", gt1},
                                     {"able", "", gt1},
                                     {"ible", "", gt1},
                                     {"ant", "", gt1},
                                     {"ement", "", gt1},
                                     {"ment", "", gt1},
                                     {"ent", "", gt1},
                                     {"ion", "",
                                      [](const std::string& stem) {
                                          return measure(stem) > 1 &&
                                                 (stem.back() == 's' || stem.back() == 't');
                                      }},
                                     {"ou", "", gt1},
                                     {"ism", "", gt1},
                                     {"ate", "", gt1},
                                     {"iti", "", gt1},
                                     {"ous", "", gt1},
                                     {"ive", "", gt1},
                                     {"ize", "", gt1}});
}

std::string PorterStemmer::step5a(const std::string& word) const {
    // Both conditions are tried (not first-match), so this is not a rule list.
    if (endsWith(word, "e")) {
        const std::string stem = dropSuffix(word, 1);
        const int m = measure(stem);
        if (m > 1) return stem;
        if (m == 1 && !endsCvc(stem)) return stem;
    }
    return word;
}

std::string PorterStemmer::step5b(const std::string& word) const {
    return applyFirstMatching(
        word,
        {{"ll", "l", [word](const std::string&) { return measure(dropSuffix(word, 1)) > 1; }}});
}

std::string PorterStemmer::stem(std::string_view word) const {
    std::string lower(word);
    for (char& c : lower) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    if (m_mode == Mode::NltkExtensions) {
        // NLTK looks the word up before lower-casing it.
        for (const Irregular& entry : kIrregular) {
            if (word == entry.form) return std::string(entry.stem);
        }
    }
    if (m_mode != Mode::OriginalAlgorithm && word.size() <= 2) return lower;
    std::string s = step1a(lower);
    s = step1b(s);
    s = step1c(s);
    s = step2(s);
    s = step3(s);
    s = step4(s);
    s = step5a(s);
    return step5b(s);
}

}  // namespace attnscope::analysis
