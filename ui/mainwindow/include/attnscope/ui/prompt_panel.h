#pragma once

#include <QWidget>

class QCheckBox;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;

namespace attnscope::ui {

class TokenStripView;

/// The prompt, the corrupted prompt (for patching and comparison), the Run button and the
/// token strip of the last run. GUI thread only.
class PromptPanel : public QWidget {
    Q_OBJECT
public:
    explicit PromptPanel(QWidget* parent = nullptr);

    QString prompt() const;
    void setPrompt(const QString& prompt);
    QString corruptedPrompt() const;
    void setCorruptedPrompt(const QString& prompt);
    /// A hint on the prompt box (e.g. "type token ids" for a model without tokenizer).
    void setPromptHint(const QString& hint);
    /// "Special tokens as text": special-token strings in the prompts tokenized as plain text.
    bool splitSpecialTokens() const;
    void setSplitSpecialTokens(bool split);
    QCheckBox* splitSpecialTokensBox() const { return m_splitSpecial; }
    TokenStripView* tokenStrip() const { return m_tokens; }
    QPushButton* runButton() const { return m_run; }

Q_SIGNALS:
    void runRequested();

private:
    QPlainTextEdit* m_prompt = nullptr;
    QLineEdit* m_corrupted = nullptr;
    QCheckBox* m_splitSpecial = nullptr;
    QPushButton* m_run = nullptr;
    TokenStripView* m_tokens = nullptr;
};

}  // namespace attnscope::ui
