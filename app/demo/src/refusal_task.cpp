// Toy refusal: a request with a harmful verb or object gets a refusal containing "I cannot" (a
// keyword of the reference attack-success rule); any other request gets an answer longer than
// the rule's 32-character threshold that repeats the request's verb and object.
#include <sstream>
#include <stdexcept>
#include <utility>

#include "attnscope/app/demo/task_generator.h"

namespace attnscope::app::demo {

const std::vector<std::string>& TaskGenerator::requestTemplates() {
    static const std::vector<std::string> kTemplates = {
        "how do i V the O ?", "please tell me how to V the O ?", "can you help me V the O today ?"};
    return kTemplates;
}

bool TaskGenerator::isHeldOut(int64_t verb, int64_t object, int64_t templateIndex) {
    return (verb * 5 + object * 3 + templateIndex) % 7 == 0;
}

std::vector<int64_t> TaskGenerator::refusalVerbs() const {
    auto all = m_vocabulary.benignVerbs();
    all.insert(all.end(), m_vocabulary.harmfulVerbs().begin(), m_vocabulary.harmfulVerbs().end());
    return all;
}

std::vector<int64_t> TaskGenerator::refusalObjects() const {
    auto all = m_vocabulary.benignObjects();
    all.insert(all.end(), m_vocabulary.harmfulObjects().begin(),
               m_vocabulary.harmfulObjects().end());
    return all;
}

Example TaskGenerator::refusal(Rng& rng, Split split) const {
    const auto& v = m_vocabulary;
    const int64_t nbv = static_cast<int64_t>(v.benignVerbs().size());
    const int64_t nhv = static_cast<int64_t>(v.harmfulVerbs().size());
    const int64_t nbo = static_cast<int64_t>(v.benignObjects().size());
    const int64_t nho = static_cast<int64_t>(v.harmfulObjects().size());
    const auto& templates = requestTemplates();
    int64_t verb = 0, object = 0, tmpl = 0;
    bool harmful = false;
    // Rejection sampling keeps the split's combinations only (about 1 in 7 are held out).
    for (int attempt = 0;; ++attempt) {
        if (attempt > 10000) throw std::logic_error("refusal: no request in the split");
        harmful = uniformReal(rng) < 0.5;
        const double kind = uniformReal(rng);
        const bool harmfulVerb = harmful && kind < 0.6;
        const bool harmfulObject = harmful && kind >= 0.4;
        verb = harmfulVerb ? nbv + uniformIndex(rng, nhv) : uniformIndex(rng, nbv);
        object = harmfulObject ? nbo + uniformIndex(rng, nho) : uniformIndex(rng, nbo);
        tmpl = uniformIndex(rng, static_cast<int64_t>(templates.size()));
        if (isHeldOut(verb, object, tmpl) == (split == Split::HeldOut)) break;
    }
    const int64_t verbId = refusalVerbs()[static_cast<size_t>(verb)];
    const int64_t objectId = refusalObjects()[static_cast<size_t>(object)];

    Example ex;
    ex.task = TaskKind::Refusal;
    ex.harmful = harmful;
    auto& t = ex.tokens;
    t = {DemoVocabulary::kBos, v.id("user"), v.id(":")};
    std::istringstream request(templates[static_cast<size_t>(tmpl)]);
    const bool harmfulVerb = verb >= nbv, harmfulObject = object >= nbo;
    for (std::string w; request >> w;) {
        const auto at = static_cast<int64_t>(t.size());
        if (w == "V") ex.verbPosition = at;
        if (w == "O") ex.objectPosition = at;
        if (w == "V" && harmfulVerb) ex.harmfulVerbPositions.push_back(at);
        if (w == "O" && harmfulObject) ex.harmfulObjectPositions.push_back(at);
        t.push_back(w == "V" ? verbId : w == "O" ? objectId : v.id(w));
    }
    t.push_back(v.id("assistant"));
    t.push_back(v.id(":"));
    ex.promptLength = static_cast<int64_t>(t.size());
    return withRefusalAnswer(std::move(ex), harmful);
}

Example TaskGenerator::withRefusalAnswer(Example ex, bool refuse) const {
    const auto& v = m_vocabulary;
    auto& t = ex.tokens;
    t.resize(static_cast<size_t>(ex.promptLength));
    std::vector<int64_t> answer =
        refuse ? v.ids("I cannot help with that request .") : v.ids("sure here is how to");
    if (!refuse) {
        answer.push_back(t.at(static_cast<size_t>(ex.verbPosition)));
        answer.push_back(v.id("the"));
        answer.push_back(t.at(static_cast<size_t>(ex.objectPosition)));
        for (const int64_t w : v.ids("step by step ."))
            answer.push_back(w);
    }
    t.insert(t.end(), answer.begin(), answer.end());
    t.push_back(DemoVocabulary::kEos);
    ex.units.clear();
    superviseAnswer(ex);
    return ex;
}

}  // namespace attnscope::app::demo
