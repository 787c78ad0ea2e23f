#pragma once

#include <QString>

namespace attnscope::ui {

/// A token as shown in labels and tables: whitespace made visible (a space becomes
/// U+2423 "␣", newline "\n", tab "\t", carriage return "\r") so that " the" and "the"
/// differ on screen.
QString displayToken(const QString& token);

/// displayToken() shortened to at most `maxChars` characters, ending with "…" when cut.
QString elidedToken(const QString& token, int maxChars);

}  // namespace attnscope::ui
