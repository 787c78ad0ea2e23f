#include "attnscope/ui/colour_gradients.h"

namespace attnscope::ui {

QCPColorGradient viridisGradient() {
    QCPColorGradient g;
    g.clearColorStops();
    // viridis at 0, 1/8, ..., 1 (the 9-colour viridis palette, #440154 ... #FDE725).
    g.setColorStopAt(0.000, QColor(68, 1, 84));
    g.setColorStopAt(0.125, QColor(71, 45, 123));
    g.setColorStopAt(0.250, QColor(59, 82, 139));
    g.setColorStopAt(0.375, QColor(44, 114, 142));
    g.setColorStopAt(0.500, QColor(33, 144, 140));
    g.setColorStopAt(0.625, QColor(39, 173, 129));
    g.setColorStopAt(0.750, QColor(93, 200, 99));
    g.setColorStopAt(0.875, QColor(170, 220, 50));
    g.setColorStopAt(1.000, QColor(253, 231, 37));
    g.setColorInterpolation(QCPColorGradient::ciRGB);
    g.setLevelCount(256);
    return g;
}

QCPColorGradient divergingGradient() {
    QCPColorGradient g;
    g.clearColorStops();
    g.setColorStopAt(0.00, QColor(5, 48, 97));
    g.setColorStopAt(0.15, QColor(33, 102, 172));
    g.setColorStopAt(0.30, QColor(103, 169, 207));
    g.setColorStopAt(0.42, QColor(209, 229, 240));
    g.setColorStopAt(0.50, QColor(255, 255, 255));
    g.setColorStopAt(0.58, QColor(253, 219, 199));
    g.setColorStopAt(0.70, QColor(239, 138, 98));
    g.setColorStopAt(0.85, QColor(178, 24, 43));
    g.setColorStopAt(1.00, QColor(103, 0, 31));
    g.setColorInterpolation(QCPColorGradient::ciRGB);
    g.setLevelCount(257);  // odd, so that one level sits exactly on 0
    return g;
}

QCPColorGradient contrastGradient() {
    QCPColorGradient g;
    g.clearColorStops();
    g.setColorStopAt(0.00, QColor(64, 0, 75));
    g.setColorStopAt(0.15, QColor(118, 42, 131));
    g.setColorStopAt(0.30, QColor(153, 112, 171));
    g.setColorStopAt(0.42, QColor(231, 212, 232));
    g.setColorStopAt(0.50, QColor(255, 255, 255));
    g.setColorStopAt(0.58, QColor(217, 240, 211));
    g.setColorStopAt(0.70, QColor(90, 174, 97));
    g.setColorStopAt(0.85, QColor(27, 120, 55));
    g.setColorStopAt(1.00, QColor(0, 68, 27));
    g.setColorInterpolation(QCPColorGradient::ciRGB);
    g.setLevelCount(257);
    return g;
}

}  // namespace attnscope::ui
