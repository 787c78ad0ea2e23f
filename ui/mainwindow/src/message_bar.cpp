#include "attnscope/ui/message_bar.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QMessageBox>
#include <QToolButton>

namespace attnscope::ui {

MessageBar::MessageBar(QWidget* parent) : QFrame(parent) {
    setObjectName(QStringLiteral("messageBar"));
    setFrameShape(QFrame::StyledPanel);
    setStyleSheet(QStringLiteral("#messageBar { background: #fff3cd; color: #664d03; }"));
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(6, 2, 6, 2);
    m_label = new QLabel(this);
    m_label->setWordWrap(true);
    m_label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_details = new QToolButton(this);
    m_details->setText(tr("Details\u2026"));
    auto* close = new QToolButton(this);
    close->setText(QStringLiteral("\u2715"));
    close->setToolTip(tr("Dismiss"));
    layout->addWidget(m_label, 1);
    layout->addWidget(m_details);
    layout->addWidget(close);
    connect(close, &QToolButton::clicked, this, &QWidget::hide);
    connect(m_details, &QToolButton::clicked, this, [this] {
        auto* box = new QMessageBox(QMessageBox::Warning, tr("AttnScope plugins"), m_label->text(),
                                    QMessageBox::Ok, this);
        box->setDetailedText(details());
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->open();
    });
    hide();
}

void MessageBar::showMessages(const QString& title, const QStringList& messages) {
    m_messages = messages;
    if (messages.isEmpty()) {
        hide();
        return;
    }
    QStringList firstLines;
    for (const QString& m : messages)
        firstLines << m.section(QLatin1Char('\n'), 0, 0);
    m_label->setText(title + QStringLiteral("\n") + firstLines.join(QLatin1Char('\n')));
    m_label->setToolTip(details());
    show();
}

QString MessageBar::text() const {
    return isVisible() || !m_messages.isEmpty() ? m_label->text() : QString();
}

QString MessageBar::details() const {
    return m_messages.join(QStringLiteral("\n\n"));
}

}  // namespace attnscope::ui
