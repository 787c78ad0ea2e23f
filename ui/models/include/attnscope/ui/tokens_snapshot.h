#pragma once

#include <QString>

#include <utility>
#include <vector>

namespace attnscope::ui {

/// The prompt's tokens with the character span [begin, end) each covers in the prompt.
struct TokensSnapshot {
    struct Token {
        Token() = default;
        Token(qint64 id_, QString text_, int begin, int end, QString source_ = {},
              bool unknown_ = false)
            : id(id_),
              text(std::move(text_)),
              charBegin(begin),
              charEnd(end),
              source(std::move(source_)),
              unknown(unknown_) {}

        qint64 id = 0;
        QString text;
        int charBegin = 0;  // code points
        int charEnd = 0;
        /// The prompt's characters this token covers (empty when unknown).
        QString source;
        /// The tokenizer had no token for `source`: it became the unknown token.
        bool unknown = false;
    };
    std::vector<Token> tokens;
};

}  // namespace attnscope::ui
