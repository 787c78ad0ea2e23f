#include "attnscope/ui/model_panel.h"

#include <QFormLayout>
#include <QLabel>
#include <QLocale>

namespace attnscope::ui {

ModelPanel::ModelPanel(QWidget* parent) : QWidget(parent) {
    auto* form = new QFormLayout(this);
    form->setContentsMargins(0, 0, 0, 0);
    const QString names[kFields] = {tr("Folder"), tr("Architecture"), tr("Layers"),
                                    tr("Heads"),  tr("KV heads"),     tr("Parameters"),
                                    tr("Dtype"),  tr("Fingerprint")};
    for (int i = 0; i < kFields; ++i) {
        m_values[i] = new QLabel(QStringLiteral("\u2013"), this);
        m_values[i]->setTextInteractionFlags(Qt::TextSelectableByMouse);
        m_values[i]->setWordWrap(true);
        form->addRow(names[i], m_values[i]);
    }
}

void ModelPanel::setModel(const ModelSummary& m) {
    const QString values[kFields] = {m.path, m.architecture, QString::number(m.layers),
                                     QString::number(m.heads), QString::number(m.kvHeads),
                                     QLocale().toString(m.parameters), m.dtype,
                                     // The full hash is in the tooltip; 16 digits identify it.
                                     m.fingerprint.left(16)};
    for (int i = 0; i < kFields; ++i)
        m_values[i]->setText(values[i]);
    m_values[kFields - 1]->setToolTip(m.fingerprint);
    m_values[0]->setToolTip(m.path);
}

}  // namespace attnscope::ui
