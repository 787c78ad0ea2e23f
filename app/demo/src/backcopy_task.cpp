// Bigram-Backcopy (Guo et al., Active-Dormant Attention Heads): bigram text in which a trigger
// word is followed by a copy of the word before it. Every position is supervised, as in the
// paper; only the copies are deterministic.
#include "attnscope/app/demo/task_generator.h"

namespace attnscope::app::demo {

Example TaskGenerator::backcopy(Rng& rng) const {
    const auto& s = m_settings;
    const int64_t length = uniformInt(rng, s.minTextLength, s.maxTextLength);
    Example ex;
    ex.task = TaskKind::Backcopy;
    auto& t = ex.tokens;
    t.push_back(DemoVocabulary::kBos);
    t.push_back(m_bigrams.start(rng));
    int64_t lastTrigger = -1;
    while (static_cast<int64_t>(t.size()) < length) {
        const int64_t word = t.back();
        // A trigger needs an ordinary word before it and room for its copy.
        if (static_cast<int64_t>(t.size()) + 2 <= length && uniformReal(rng) < s.triggerRate) {
            t.push_back(pick(rng, m_vocabulary.triggers()));
            lastTrigger = static_cast<int64_t>(t.size()) - 1;
            ex.units.push_back({lastTrigger});
            t.push_back(word);
        } else {
            t.push_back(m_bigrams.next(rng, word));
        }
    }
    ex.targets.assign(t.size(), kNoTarget);
    for (size_t p = 0; p + 1 < t.size(); ++p)
        ex.targets[p] = t[p + 1];
    // The evaluation prompt ends at the last trigger: its answer is the copy.
    ex.promptLength = lastTrigger >= 0 ? lastTrigger + 1 : static_cast<int64_t>(t.size());
    return ex;
}

}  // namespace attnscope::app::demo
