#include "attnscope/ui/prompt_panel.h"

#include <QCheckBox>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QVBoxLayout>

#include "attnscope/ui/token_strip_view.h"

namespace attnscope::ui {

PromptPanel::PromptPanel(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(new QLabel(tr("Prompt"), this));
    m_prompt = new QPlainTextEdit(this);
    m_prompt->setObjectName(QStringLiteral("prompt"));
    m_prompt->setMaximumHeight(110);
    layout->addWidget(m_prompt);
    layout->addWidget(new QLabel(tr("Corrupted prompt (for patching and comparison)"), this));
    m_corrupted = new QLineEdit(this);
    m_corrupted->setObjectName(QStringLiteral("corruptedPrompt"));
    layout->addWidget(m_corrupted);
    m_splitSpecial = new QCheckBox(tr("Special tokens as text"), this);
    m_splitSpecial->setObjectName(QStringLiteral("splitSpecialTokens"));
    m_splitSpecial->setToolTip(
        tr("Tokenize special-token strings such as <|endoftext|> in the prompts as plain text "
           "(Hugging Face's split_special_tokens) instead of as the special tokens"));
    // A change re-runs at once, so the token strip shows the new tokenization.
    connect(m_splitSpecial, &QCheckBox::toggled, this, &PromptPanel::runRequested);
    layout->addWidget(m_splitSpecial);
    m_run = new QPushButton(tr("Run (Ctrl+R)"), this);
    m_run->setObjectName(QStringLiteral("runButton"));
    connect(m_run, &QPushButton::clicked, this, &PromptPanel::runRequested);
    layout->addWidget(m_run);
    m_tokens = new TokenStripView(this);
    layout->addWidget(m_tokens);
    layout->addStretch(1);
}

bool PromptPanel::splitSpecialTokens() const {
    return m_splitSpecial->isChecked();
}

void PromptPanel::setSplitSpecialTokens(bool split) {
    m_splitSpecial->setChecked(split);
}

QString PromptPanel::prompt() const {
    return m_prompt->toPlainText();
}

void PromptPanel::setPrompt(const QString& prompt) {
    m_prompt->setPlainText(prompt);
}

QString PromptPanel::corruptedPrompt() const {
    return m_corrupted->text();
}

void PromptPanel::setCorruptedPrompt(const QString& prompt) {
    m_corrupted->setText(prompt);
}

void PromptPanel::setPromptHint(const QString& hint) {
    m_prompt->setToolTip(hint);
}

}  // namespace attnscope::ui
