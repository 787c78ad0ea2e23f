#include "attnscope/app/demo/task_generator.h"

#include <stdexcept>

namespace attnscope::app::demo {

const char* taskName(TaskKind task) {
    switch (task) {
        case TaskKind::Mqar:
            return "mqar";
        case TaskKind::Needle:
            return "needle";
        case TaskKind::Backcopy:
            return "backcopy";
        case TaskKind::Refusal:
            return "refusal";
    }
    return "?";
}

std::optional<TaskKind> taskFromName(const std::string& name) {
    for (const TaskKind task : kAllTasks)
        if (name == taskName(task)) return task;
    return std::nullopt;
}

void superviseAnswer(Example& ex) {
    const auto& t = ex.tokens;
    ex.targets.assign(t.size(), kNoTarget);
    std::vector<int64_t> unit;
    for (int64_t p = ex.promptLength - 1; p + 1 < static_cast<int64_t>(t.size()); ++p) {
        ex.targets[static_cast<size_t>(p)] = t[static_cast<size_t>(p + 1)];
        unit.push_back(p);
    }
    ex.units.push_back(unit);
}

TaskGenerator::TaskGenerator(const DemoVocabulary& vocabulary, TaskSettings settings)
    : m_vocabulary(vocabulary),
      m_settings(settings),
      m_bigrams(vocabulary.fillers(), settings.bigramSeed) {
    const auto& s = m_settings;
    if (s.minPairs < 1 || s.maxPairs < s.minPairs ||
        s.maxPairs > static_cast<int64_t>(vocabulary.names().size()))
        throw std::invalid_argument("TaskSettings: need 1 <= minPairs <= maxPairs <= " +
                                    std::to_string(vocabulary.names().size()));
    if (s.minFiller < 0 || s.maxFiller < s.minFiller)
        throw std::invalid_argument("TaskSettings: need 0 <= minFiller <= maxFiller");
    if (s.minSecretWords < 1 || s.maxSecretWords < s.minSecretWords ||
        s.maxSecretWords > static_cast<int64_t>(vocabulary.nouns().size()))
        throw std::invalid_argument("TaskSettings: need 1 <= minSecretWords <= maxSecretWords");
    if (s.minTextLength < 4 || s.maxTextLength < s.minTextLength)
        throw std::invalid_argument("TaskSettings: need 4 <= minTextLength <= maxTextLength");
    if (!(s.triggerRate >= 0.0 && s.triggerRate <= 0.5))
        throw std::invalid_argument("TaskSettings: triggerRate must lie in [0, 0.5]");
}

Example TaskGenerator::make(TaskKind task, Rng& rng, Split split, int64_t maxPairs) const {
    switch (task) {
        case TaskKind::Mqar: {
            const int64_t hi =
                maxPairs > 0 ? std::min(maxPairs, m_settings.maxPairs) : m_settings.maxPairs;
            const int64_t lo = std::min(m_settings.minPairs, hi);
            return mqar(rng, uniformInt(rng, lo, hi));
        }
        case TaskKind::Needle:
            return needle(rng);
        case TaskKind::Backcopy:
            return backcopy(rng);
        case TaskKind::Refusal:
            return refusal(rng, split);
    }
    throw std::invalid_argument("unknown task");
}

std::vector<int64_t> TaskGenerator::fillerText(Rng& rng, int64_t length) const {
    std::vector<int64_t> words;
    if (length <= 0) return words;
    words.push_back(m_bigrams.start(rng));
    while (static_cast<int64_t>(words.size()) < length)
        words.push_back(m_bigrams.next(rng, words.back()));
    return words;
}

Example TaskGenerator::mqar(Rng& rng, int64_t pairs) const {
    const auto& v = m_vocabulary;
    const auto keys = sample(rng, v.names(), pairs);
    const auto values = sample(rng, v.nouns(), pairs);
    Example ex;
    ex.task = TaskKind::Mqar;
    ex.tokens.push_back(DemoVocabulary::kBos);
    for (int64_t i = 0; i < pairs; ++i) {
        ex.tokens.push_back(keys[static_cast<size_t>(i)]);
        ex.tokens.push_back(values[static_cast<size_t>(i)]);
    }
    ex.tokens.push_back(v.id("."));
    ex.targets.assign(ex.tokens.size(), kNoTarget);
    std::vector<int64_t> order(static_cast<size_t>(pairs));
    for (int64_t i = 0; i < pairs; ++i)
        order[static_cast<size_t>(i)] = i;
    for (const int64_t i : sample(rng, order, pairs)) {
        const int64_t keyPos = static_cast<int64_t>(ex.tokens.size());
        ex.tokens.push_back(keys[static_cast<size_t>(i)]);
        ex.tokens.push_back(values[static_cast<size_t>(i)]);
        ex.targets.push_back(values[static_cast<size_t>(i)]);  // predicted at the key
        ex.targets.push_back(kNoTarget);
        ex.units.push_back({keyPos});
        ex.promptLength = keyPos + 1;
    }
    ex.targets.back() = kNoTarget;
    return ex;
}

}  // namespace attnscope::app::demo
