#pragma once

#include "attnscope/ui/model_summary.h"

#include <QWidget>

class QLabel;

namespace attnscope::ui {

/// The opened model's facts: folder, architecture, layers, heads, KV heads, parameters,
/// dtype and fingerprint, selectable for copying. GUI thread only.
class ModelPanel : public QWidget {
    Q_OBJECT
public:
    explicit ModelPanel(QWidget* parent = nullptr);
    void setModel(const ModelSummary& model);

private:
    static constexpr int kFields = 8;
    QLabel* m_values[kFields] = {};
};

}  // namespace attnscope::ui
