// `attnscope --headless`: the demo run as text, on the calling thread.
#include <QFile>
#include <QTextStream>

#include <cmath>

#include "attnscope/app/session.h"
#include "attnscope/ui/app_controller.h"
#include "attnscope/ui/predictions_model.h"
#include "value_bridge.h"

namespace attnscope::ui {

QString defaultPrompt(const ModelSummary& model) {
    QFile f(model.path + QStringLiteral("/demo_prompt.txt"));
    if (f.open(QIODevice::ReadOnly)) {
        const QString line = QString::fromUtf8(f.readLine()).trimmed();
        if (!line.isEmpty()) return line;
    }
    return model.hasTokenizer
               ? QStringLiteral("alice apple bob river carol stone . carol stone alice apple bob")
               : QStringLiteral("1,17,33,49,65,81,97,113,17,33");
}

QString headlessReport(const QString& modelDir, const QString& prompt, int topK) {
    app::Session session(modelDir.toStdString());
    const ModelSummary m = bridge::toSummary(session.model());
    RunRequest request;
    request.prompt = prompt.isEmpty() ? defaultPrompt(m) : prompt;
    request.topK = topK;
    const RunSnapshot run = bridge::toSnapshot(*session.run(bridge::toRequest(request)));

    QString out;
    QTextStream s(&out);
    s << "model: " << m.path << "\n  " << m.architecture << ", " << m.layers << " layers, "
      << m.heads << " heads (" << m.kvHeads << " KV), " << m.parameters << " parameters, "
      << m.dtype << ", fingerprint " << m.fingerprint << "\n";
    s << "prompt: " << request.prompt << "\ntokens (" << run.length
      << "): " << run.tokenLabels.join(' ') << "\n\nnext-token predictions:\n";
    for (const auto& row : run.predictions.rows)
        s << "  " << qSetFieldWidth(12) << Qt::left << row.token << qSetFieldWidth(0) << " "
          << PredictionsModel::formatProbability(row.prob) << "\n";
    s << "\nhead atlas: " << run.sinkScores.description << "\n  layer";
    for (int h = 0; h < run.heads; ++h)
        s << qSetFieldWidth(8) << Qt::right << QStringLiteral("h%1").arg(h) << qSetFieldWidth(0);
    s << "\n";
    for (int l = 0; l < run.layers; ++l) {
        s << qSetFieldWidth(7) << Qt::right << l << qSetFieldWidth(0);
        for (int h = 0; h < run.heads; ++h) {
            const double v = run.sinkScores.at(l, h);
            s << qSetFieldWidth(8) << Qt::right
              << (std::isnan(v) ? QStringLiteral("n/a") : QString::number(v, 'f', 3))
              << qSetFieldWidth(0);
        }
        s << "\n";
    }
    return out;
}

}  // namespace attnscope::ui
