#pragma once

// The only place that includes Debian's qcustomplot.h. Every Qt target builds with
// QT_NO_KEYWORDS (torch uses the identifier `slots`), but qcustomplot.h declares its
// signals with `signals:` and loops with `foreach`: map both to the Q_ macros while it
// is parsed, and undo the mapping afterwards. The target must not define QT_NO_FOREACH.
// QCUSTOMPLOT_USE_LIBRARY comes from attnscope_ui's public compile definitions.

#ifdef signals
#error "attnscope/ui/qcustomplot_wrapper.h expects QT_NO_KEYWORDS"
#endif

#define signals Q_SIGNALS
#define foreach Q_FOREACH
#include <qcustomplot.h>
#undef foreach
#undef signals
