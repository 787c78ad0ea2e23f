#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace attnscope::analysis {

/// rouge_score's tokenizer (rouge/tokenize.py::tokenize) on UTF-8 text: lower-case (Python
/// str.lower(); the two non-ASCII characters that lower to ASCII, U+0130 and U+212A, become
/// 'i' and 'k'), replace every run of characters outside [a-z0-9] by a space, split, and with
/// `useStemmer` replace tokens longer than 3 characters by their Porter stem (NLTK default
/// mode, as rouge_score's DefaultTokenizer). Empty tokens are dropped.
std::vector<std::string> rougeTokenize(std::string_view text, bool useStemmer);

/// Precision, recall and F1 of one ROUGE-N comparison.
struct RougeScore {
    double precision = 0.0;
    double recall = 0.0;
    double fmeasure = 0.0;
};

/// ROUGE-1 as rouge_score.RougeScorer(['rouge1'], use_stemmer).score(target, prediction):
/// unigram counts, overlap = sum_w min(count_target(w), count_prediction(w)),
/// recall = overlap / max(|target tokens|, 1), precision = overlap / max(|prediction|, 1),
/// F1 = 2PR/(P+R) (0 if P+R = 0). §2.1 uses recall * 100 with target = real_needle and
/// prediction = the decoded response.
RougeScore rouge1(std::string_view target, std::string_view prediction, bool useStemmer = true);

}  // namespace attnscope::analysis
