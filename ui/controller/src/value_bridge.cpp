#include "value_bridge.h"

#include "attnscope/ui/token_text.h"

namespace attnscope::ui::bridge {
namespace {

QString qs(const std::string& s) {
    return QString::fromStdString(s);
}

// The unknown-token spellings of the tokenizer families we read (SentencePiece, WordPiece,
// GPT-style); app/core does not tell the unknown token's id.
bool isUnknownMarker(const QString& text) {
    const QString t = text.trimmed();
    return t == QLatin1String("<unk>") || t == QLatin1String("[UNK]") ||
           t == QLatin1String("<|unk|>") || t == QLatin1String("<UNK>");
}

}  // namespace

app::EditList toEdits(const InterventionList& items) {
    app::EditList out;
    for (const InterventionItem& item : items) {
        const auto kind = app::editKindFromName(item.kind.toStdString());
        if (!kind) continue;  // the views only emit known kinds
        app::Edit e{*kind,
                    item.layer,
                    item.head,
                    item.param,
                    item.enabled,
                    item.description.toStdString(),
                    item.edge.toStdString()};
        e.plugin = item.plugin.toStdString();
        for (auto p = item.params.cbegin(); p != item.params.cend(); ++p)
            e.params[p.key().toStdString()] = p.value().toStdString();
        out.push_back(std::move(e));
    }
    return out;
}

InterventionList toItems(const app::EditList& edits) {
    InterventionList out;
    for (const app::Edit& e : edits) {
        InterventionItem item{QString::fromLatin1(app::editKindName(e.kind)),
                              e.layer,
                              e.head,
                              e.param,
                              e.enabled,
                              qs(e.description),
                              qs(e.edge)};
        item.plugin = qs(e.plugin);
        for (const auto& [key, value] : e.params)
            item.params.insert(qs(key), qs(value));
        out.push_back(std::move(item));
    }
    return out;
}

app::RunRequest toRequest(const RunRequest& r) {
    app::RunRequest out;
    out.prompt = r.prompt.toStdString();
    out.corruptedPrompt = r.corruptedPrompt.toStdString();
    out.edits = toEdits(r.interventions);
    out.topK = r.topK;
    out.splitSpecialTokens = r.splitSpecialTokens;
    return out;
}

ModelSummary toSummary(const app::ModelSummary& m) {
    return {qs(m.path),  qs(m.architecture), m.layers,      m.heads,
            m.kvHeads,   m.dModel,           m.vocabSize,   m.parameters,
            qs(m.dtype), qs(m.fingerprint),  m.hasTokenizer};
}

HeadScoresSnapshot toSnapshot(const app::HeadScores& s) {
    HeadScoresSnapshot out;
    out.metric = qs(s.metric);
    out.layers = s.layers;
    out.heads = s.heads;
    out.values = s.values;
    out.description = qs(s.description);
    out.paramsJson = qs(s.paramsJson);
    return out;
}

app::HeadScores toScores(const HeadScoresSnapshot& s) {
    app::HeadScores out;
    out.metric = s.metric.toStdString();
    out.description = s.description.toStdString();
    out.layers = s.layers;
    out.heads = s.heads;
    out.values = s.values;
    if (!s.paramsJson.isEmpty()) out.paramsJson = s.paramsJson.toStdString();
    return out;
}

RunSnapshot toSnapshot(const app::RunResult& r) {
    RunSnapshot s;
    s.prompt = qs(r.request.prompt);
    s.corruptedPrompt = qs(r.request.corruptedPrompt);
    s.interventions = toItems(r.request.edits);
    s.layers = r.layers;
    s.heads = r.heads;
    s.length = r.length;
    // The unknown token's text where the prompt says something else marks a word outside the
    // vocabulary (spans are in code points).
    const QList<uint> prompt = QString::fromStdString(r.request.prompt).toUcs4();
    for (const app::TokenInfo& t : r.tokens) {
        TokensSnapshot::Token token{t.id, qs(t.text), static_cast<int>(t.begin),
                                    static_cast<int>(t.end)};
        if (t.begin >= 0 && t.end >= t.begin && t.end <= prompt.size()) {
            const QList<uint> span = prompt.mid(t.begin, t.end - t.begin);
            token.source =
                QString::fromUcs4(reinterpret_cast<const char32_t*>(span.constData()), span.size());
        }
        token.unknown = isUnknownMarker(token.text) && !token.source.isEmpty() &&
                        token.source.trimmed() != token.text;
        s.tokens.tokens.push_back(std::move(token));
        s.tokenLabels << displayToken(qs(t.text));
    }
    for (const app::TokenInfo& t : r.corruptedTokens)
        s.corruptedTokenLabels << displayToken(qs(t.text));
    s.predictions = toSnapshot(r.predictions);
    s.patterns = r.patterns;
    s.baselinePatterns = r.baselinePatterns;
    s.corruptedPatterns = r.corruptedPatterns;
    s.sinkScores = toSnapshot(r.sinkScores);
    s.baselineSinkScores = toSnapshot(r.baselineSinkScores);
    s.sinkMassPerLayer = r.sinkMassPerLayer;
    s.baselineSinkMassPerLayer = r.baselineSinkMassPerLayer;
    s.logitLens.token = qs(r.lens.token);
    s.logitLens.prob = r.lens.prob;
    s.logitLens.baselineProb = r.lens.baselineProb;
    return s;
}

PredictionsSnapshot toSnapshot(const std::vector<app::Prediction>& predictions) {
    PredictionsSnapshot s;
    for (const app::Prediction& p : predictions)
        s.rows.push_back({p.id, qs(p.token), p.prob, p.baselineProb});
    return s;
}

AblationCurveSnapshot toSnapshot(const app::AblationCurve& c) {
    return {qs(c.metric), qs(c.score), c.headsRemoved, c.byScore, c.random, c.randomStd};
}

app::AblationCurveRequest toRequest(const AblationCurveRequest& r) {
    app::AblationCurveRequest out;
    out.scores = toScores(r.scores);
    out.scoreLabel = r.scoreLabel.toStdString();
    out.maxHeads = r.maxHeads;
    out.randomOrders = r.randomOrders;
    out.seed = r.seed;
    return out;
}

app::ScoreRequest toRequest(const AnalysisRequest& r) {
    app::ScoreRequest out;
    out.metric = r.metric.toStdString();
    for (const auto& [k, v] : r.params)
        out.params[k.toStdString()] = v.toStdString();
    out.datasetPath = r.datasetPath.toStdString();
    for (const QString& p : r.prompts)
        out.prompts.push_back(p.toStdString());
    return out;
}

AnalysisRequest toAnalysisRequest(const app::ScoreRequest& r) {
    AnalysisRequest out;
    out.metric = qs(r.metric);
    for (const auto& [k, v] : r.params)
        out.params[qs(k)] = qs(v);
    out.datasetPath = qs(r.datasetPath);
    for (const std::string& p : r.prompts)
        out.prompts << qs(p);
    return out;
}

app::SessionDocument toDocument(const SessionState& s) {
    app::SessionDocument d;
    d.modelPath = s.modelPath.toStdString();
    d.prompt = s.prompt.toStdString();
    d.corruptedPrompt = s.corruptedPrompt.toStdString();
    d.edits = toEdits(s.interventions);
    for (const HeadScoresSnapshot& r : s.results)
        d.results.push_back(toScores(r));
    for (const CircuitPtr& c : s.circuits)
        if (c) d.circuits.push_back(*c);
    d.atlasScore = s.atlasScore.toStdString();
    d.selectedLayer = s.selectedLayer;
    d.selectedHead = s.selectedHead;
    return d;
}

SessionState toState(const app::SessionDocument& d) {
    SessionState s;
    s.modelPath = qs(d.modelPath);
    s.prompt = qs(d.prompt);
    s.corruptedPrompt = qs(d.corruptedPrompt);
    s.interventions = toItems(d.edits);
    for (const app::HeadScores& r : d.results)
        s.results.push_back(toSnapshot(r));
    for (const auto& c : d.circuits)
        s.circuits.push_back(std::make_shared<const Circuit>(c));
    s.atlasScore = qs(d.atlasScore);
    s.selectedLayer = d.selectedLayer;
    s.selectedHead = d.selectedHead;
    return s;
}

}  // namespace attnscope::ui::bridge
