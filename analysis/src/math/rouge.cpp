#include "attnscope/analysis/rouge.h"

#include <algorithm>
#include <map>

#include "attnscope/analysis/porter_stemmer.h"

namespace attnscope::analysis {

namespace {

// Lower-cases UTF-8 text the way Python's str.lower() followed by re.sub("[^a-z0-9]+", " ")
// sees it: only characters that end up in [a-z0-9] matter, everything else is a separator.
std::string normalise(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 'A' && c <= 'Z') {
            out.push_back(static_cast<char>(c - 'A' + 'a'));
        } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            out.push_back(static_cast<char>(c));
        } else if (c == 0xC4 && i + 1 < text.size() &&
                   static_cast<unsigned char>(text[i + 1]) == 0xB0) {
            // U+0130 LATIN CAPITAL LETTER I WITH DOT ABOVE lowers to 'i' + U+0307.
            out.push_back('i');
            out.push_back(' ');
            ++i;
        } else if (c == 0xE2 && i + 2 < text.size() &&
                   static_cast<unsigned char>(text[i + 1]) == 0x84 &&
                   static_cast<unsigned char>(text[i + 2]) == 0xAA) {
            // U+212A KELVIN SIGN lowers to 'k'.
            out.push_back('k');
            i += 2;
        } else {
            out.push_back(' ');
        }
    }
    return out;
}

}  // namespace

std::vector<std::string> rougeTokenize(std::string_view text, bool useStemmer) {
    static const PorterStemmer stemmer(PorterStemmer::Mode::NltkExtensions);
    const std::string normalised = normalise(text);
    std::vector<std::string> tokens;
    std::size_t start = 0;
    while (start < normalised.size()) {
        const std::size_t end = std::min(normalised.find(' ', start), normalised.size());
        if (end > start) {
            std::string token = normalised.substr(start, end - start);
            if (useStemmer && token.size() > 3) token = stemmer.stem(token);
            if (!token.empty()) tokens.push_back(std::move(token));
        }
        start = end + 1;
    }
    return tokens;
}

RougeScore rouge1(std::string_view target, std::string_view prediction, bool useStemmer) {
    std::map<std::string, int> targetCounts;
    std::map<std::string, int> predictionCounts;
    const std::vector<std::string> targetTokens = rougeTokenize(target, useStemmer);
    const std::vector<std::string> predictionTokens = rougeTokenize(prediction, useStemmer);
    for (const std::string& t : targetTokens)
        ++targetCounts[t];
    for (const std::string& t : predictionTokens)
        ++predictionCounts[t];
    int overlap = 0;
    for (const auto& [token, count] : targetCounts) {
        const auto it = predictionCounts.find(token);
        if (it != predictionCounts.end()) overlap += std::min(count, it->second);
    }
    RougeScore score;
    score.precision = double(overlap) / double(std::max<std::size_t>(predictionTokens.size(), 1));
    score.recall = double(overlap) / double(std::max<std::size_t>(targetTokens.size(), 1));
    const double sum = score.precision + score.recall;
    score.fmeasure = sum > 0.0 ? 2.0 * score.precision * score.recall / sum : 0.0;
    return score;
}

}  // namespace attnscope::analysis
