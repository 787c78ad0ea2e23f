#pragma once

#include <Qt>

namespace attnscope::ui {

/// Item data role shared by the AttnScope models: the raw value behind a formatted
/// cell (a double for probabilities and scores, an int for indices). Sort proxies
/// sort by it; CSV export can write it instead of the display text.
inline constexpr int RawValueRole = Qt::UserRole + 1;

}  // namespace attnscope::ui
