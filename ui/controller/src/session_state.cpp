#include "attnscope/ui/session_state.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace attnscope::ui {

QByteArray SessionState::toJson() const {
    QJsonArray edits;
    for (const InterventionItem& item : interventions)
        edits.append(QJsonObject{{QStringLiteral("kind"), item.kind},
                                 {QStringLiteral("layer"), item.layer},
                                 {QStringLiteral("head"), item.head},
                                 {QStringLiteral("param"), item.param},
                                 {QStringLiteral("enabled"), item.enabled},
                                 {QStringLiteral("description"), item.description}});
    QJsonArray metrics;
    for (const HeadScoresSnapshot& r : results)
        metrics.append(r.metric);
    const QJsonObject root{{QStringLiteral("format"), QStringLiteral("attnscope-session")},
                           {QStringLiteral("version"), 1},
                           {QStringLiteral("model"), modelPath},
                           {QStringLiteral("prompt"), prompt},
                           {QStringLiteral("corrupted_prompt"), corruptedPrompt},
                           {QStringLiteral("interventions"), edits},
                           {QStringLiteral("results"), metrics},
                           {QStringLiteral("atlas_score"), atlasScore},
                           {QStringLiteral("selected_layer"), selectedLayer},
                           {QStringLiteral("selected_head"), selectedHead}};
    return QJsonDocument(root).toJson(QJsonDocument::Compact);
}

bool SessionState::fromJson(const QByteArray& json, SessionState* state, QString* error) {
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &parseError);
    const QJsonObject root = doc.object();
    if (doc.isNull() ||
        root.value(QStringLiteral("format")).toString() != QStringLiteral("attnscope-session")) {
        if (error)
            *error = doc.isNull() ? parseError.errorString()
                                  : QStringLiteral("not an attnscope-session document");
        return false;
    }
    SessionState s;
    s.modelPath = root.value(QStringLiteral("model")).toString();
    s.prompt = root.value(QStringLiteral("prompt")).toString();
    s.corruptedPrompt = root.value(QStringLiteral("corrupted_prompt")).toString();
    for (const QJsonValue& v : root.value(QStringLiteral("interventions")).toArray()) {
        const QJsonObject o = v.toObject();
        InterventionItem item;
        item.kind = o.value(QStringLiteral("kind")).toString();
        item.layer = o.value(QStringLiteral("layer")).toInt();
        item.head = o.value(QStringLiteral("head")).toInt();
        item.param = o.value(QStringLiteral("param")).toDouble();
        item.enabled = o.value(QStringLiteral("enabled")).toBool(true);
        item.description = o.value(QStringLiteral("description")).toString();
        s.interventions.push_back(item);
    }
    s.atlasScore = root.value(QStringLiteral("atlas_score")).toString();
    s.selectedLayer = root.value(QStringLiteral("selected_layer")).toInt();
    s.selectedHead = root.value(QStringLiteral("selected_head")).toInt();
    *state = std::move(s);
    return true;
}

}  // namespace attnscope::ui
