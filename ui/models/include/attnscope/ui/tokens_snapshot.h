#pragma once

#include <QString>

#include <vector>

namespace attnscope::ui {

/// The prompt's tokens with the character span [begin, end) each covers in the prompt.
struct TokensSnapshot {
    struct Token {
        qint64 id = 0;
        QString text;
        int charBegin = 0;
        int charEnd = 0;
    };
    std::vector<Token> tokens;
};

}  // namespace attnscope::ui
