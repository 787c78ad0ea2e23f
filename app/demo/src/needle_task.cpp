// Needle in a haystack: the answer is copied from the needle sentence.
#include "attnscope/app/demo/task_generator.h"

namespace attnscope::app::demo {

Example TaskGenerator::needle(Rng& rng) const {
    const auto& v = m_vocabulary;
    const auto& s = m_settings;
    const int64_t city = pick(rng, v.cities());
    const auto secret = sample(rng, v.nouns(), uniformInt(rng, s.minSecretWords, s.maxSecretWords));
    const auto filler = fillerText(rng, uniformInt(rng, s.minFiller, s.maxFiller));
    const int64_t cut = uniformInt(rng, 0, static_cast<int64_t>(filler.size()));

    const std::vector<int64_t> frame = {v.id("the"), v.id("secret"), v.id("of"), city, v.id("is")};
    Example ex;
    ex.task = TaskKind::Needle;
    ex.depth = filler.empty() ? 0.0 : static_cast<double>(cut) / static_cast<double>(filler.size());
    auto& t = ex.tokens;
    t.push_back(DemoVocabulary::kBos);
    t.insert(t.end(), filler.begin(), filler.begin() + cut);
    t.insert(t.end(), frame.begin(), frame.end());
    ex.spanBegin = static_cast<int64_t>(t.size());
    t.insert(t.end(), secret.begin(), secret.end());
    ex.spanEnd = static_cast<int64_t>(t.size());  // the secret only, as the reference's real_needle
    t.push_back(v.id("."));
    t.insert(t.end(), filler.begin() + cut, filler.end());
    t.push_back(v.id("."));
    t.insert(t.end(), frame.begin(), frame.end());
    ex.promptLength = static_cast<int64_t>(t.size());
    t.insert(t.end(), secret.begin(), secret.end());
    t.push_back(v.id("."));
    t.push_back(DemoVocabulary::kEos);

    superviseAnswer(ex);
    return ex;
}

}  // namespace attnscope::app::demo
