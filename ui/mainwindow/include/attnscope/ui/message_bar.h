#pragma once

#include <QFrame>
#include <QStringList>

class QLabel;
class QToolButton;

namespace attnscope::ui {

/// A dismissable bar above the heatmap for problems that must not block the window (plugin
/// scripts that failed to load or to run): the first line of each message, the whole text
/// (file, line, traceback) in its "Details" tooltip and selectable text. GUI thread only.
class MessageBar : public QFrame {
    Q_OBJECT
public:
    explicit MessageBar(QWidget* parent = nullptr);

    /// Shows `messages` (hides the bar when empty).
    void showMessages(const QString& title, const QStringList& messages);
    QString text() const;
    QString details() const;

private:
    QLabel* m_label = nullptr;
    QToolButton* m_details = nullptr;
    QStringList m_messages;
};

}  // namespace attnscope::ui
