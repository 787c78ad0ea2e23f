#include "attnscope/ui/token_text.h"

namespace attnscope::ui {

QString displayToken(const QString& token) {
    QString out;
    out.reserve(token.size());
    for (const QChar c : token) {
        switch (c.unicode()) {
            case ' ':
                out += QChar(0x2423);
                break;
            case '\n':
                out += QStringLiteral("\\n");
                break;
            case '\t':
                out += QStringLiteral("\\t");
                break;
            case '\r':
                out += QStringLiteral("\\r");
                break;
            default:
                out += c;
        }
    }
    return out;
}

QString elidedToken(const QString& token, int maxChars) {
    const QString shown = displayToken(token);
    if (maxChars < 1 || shown.size() <= maxChars) return shown;
    return shown.left(maxChars - 1) + QChar(0x2026);
}

}  // namespace attnscope::ui
