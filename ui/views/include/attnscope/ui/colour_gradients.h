#pragma once

#include "attnscope/ui/qcustomplot_wrapper.h"

namespace attnscope::ui {

/// Perceptually uniform viridis (matplotlib's colour map; QCustomPlot 2.1 lacks it),
/// sampled at 9 stops and interpolated in RGB.
QCPColorGradient viridisGradient();

/// Diverging blue-white-red (ColorBrewer RdBu, reversed) for signed differences: the
/// centre (0.5) is white, so a data range symmetric around 0 maps 0 to white.
QCPColorGradient divergingGradient();

/// Diverging purple-white-green (ColorBrewer PRGn) for the clean prompt against the
/// corrupted one, so that it is never mistaken for edited - baseline.
QCPColorGradient contrastGradient();

}  // namespace attnscope::ui
