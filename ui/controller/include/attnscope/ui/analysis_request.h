#pragma once

#include <QString>
#include <QStringList>

#include <map>

namespace attnscope::ui {

/// One analysis to run: a registry metric with string parameters over a dataset.
/// The dataset is the file at `datasetPath` when set, else `prompts` (text, or
/// comma-separated token ids for a model without a tokenizer).
struct AnalysisRequest {
    QString metric;
    std::map<QString, QString> params;
    QString datasetPath;
    QStringList prompts;
};

}  // namespace attnscope::ui
