#pragma once
// The circuit views' colours (the graph and its positions-as-columns mode), colour-blind safe:
// edge sign on ColorBrewer RdBu's ends (as the heatmap's diverging scale), comparison
// categories and ports on Okabe-Ito colours.
#include <QColor>

namespace attnscope::ui::circuit_colours {

inline const QColor kPositive(178, 24, 43);
inline const QColor kNegative(33, 102, 172);
inline const QColor kRemoved(150, 150, 150);
inline const QColor kOnlyA(213, 94, 0);     // vermillion
inline const QColor kOnlyB(0, 114, 178);    // blue
inline const QColor kBoth(0, 158, 115);     // bluish green
inline const QColor kPortQ(0, 158, 115);    // bluish green
inline const QColor kPortK(230, 159, 0);    // orange
inline const QColor kPortV(204, 121, 167);  // reddish purple

}  // namespace attnscope::ui::circuit_colours
