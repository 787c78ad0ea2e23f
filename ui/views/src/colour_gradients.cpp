#include "attnscope/ui/colour_gradients.h"

#include <initializer_list>

namespace attnscope::ui {
namespace {

struct Stop {
    double at;
    QColor colour;
};

// A gradient through `stops`, interpolated in RGB and quantised to `levels` colours.
QCPColorGradient gradientOf(std::initializer_list<Stop> stops, int levels) {
    QCPColorGradient g;
    g.clearColorStops();
    for (const Stop& s : stops)
        g.setColorStopAt(s.at, s.colour);
    g.setColorInterpolation(QCPColorGradient::ciRGB);
    g.setLevelCount(levels);
    return g;
}

}  // namespace

QCPColorGradient viridisGradient() {
    // viridis at 0, 1/8, ..., 1 (the 9-colour viridis palette, #440154 ... #FDE725).
    return gradientOf({{0.000, QColor(68, 1, 84)},
                       {0.125, QColor(71, 45, 123)},
                       {0.250, QColor(59, 82, 139)},
                       {0.375, QColor(44, 114, 142)},
                       {0.500, QColor(33, 144, 140)},
                       {0.625, QColor(39, 173, 129)},
                       {0.750, QColor(93, 200, 99)},
                       {0.875, QColor(170, 220, 50)},
                       {1.000, QColor(253, 231, 37)}},
                      256);
}

// Odd level counts below put one level exactly on 0 (the white middle).
QCPColorGradient divergingGradient() {
    return gradientOf({{0.00, QColor(5, 48, 97)},
                       {0.15, QColor(33, 102, 172)},
                       {0.30, QColor(103, 169, 207)},
                       {0.42, QColor(209, 229, 240)},
                       {0.50, QColor(255, 255, 255)},
                       {0.58, QColor(253, 219, 199)},
                       {0.70, QColor(239, 138, 98)},
                       {0.85, QColor(178, 24, 43)},
                       {1.00, QColor(103, 0, 31)}},
                      257);
}

QCPColorGradient contrastGradient() {
    return gradientOf({{0.00, QColor(64, 0, 75)},
                       {0.15, QColor(118, 42, 131)},
                       {0.30, QColor(153, 112, 171)},
                       {0.42, QColor(231, 212, 232)},
                       {0.50, QColor(255, 255, 255)},
                       {0.58, QColor(217, 240, 211)},
                       {0.70, QColor(90, 174, 97)},
                       {0.85, QColor(27, 120, 55)},
                       {1.00, QColor(0, 68, 27)}},
                      257);
}

}  // namespace attnscope::ui
