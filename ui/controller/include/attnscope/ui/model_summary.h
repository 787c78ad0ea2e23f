#pragma once

#include <QString>
#include <QtGlobal>

namespace attnscope::ui {

/// What the model panel shows about an opened model; plain values, no LibTorch.
struct ModelSummary {
    QString path;
    QString architecture;
    int layers = 0;
    int heads = 0;
    int kvHeads = 0;
    int dModel = 0;
    int vocabSize = 0;
    qint64 parameters = 0;
    QString dtype;
    QString fingerprint;
    bool hasTokenizer = false;

    bool isValid() const { return layers > 0 && heads > 0; }
};

}  // namespace attnscope::ui
