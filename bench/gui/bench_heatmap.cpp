// Redraw time of HeatmapView for a 2048 x 2048 attention map: set the data and replot
// (immediate repaint) on the offscreen platform; median of N runs. Target <= 30 ms.
//   bench_heatmap [size=2048] [runs=15]
#include "attnscope/ui/attention_tile.h"
#include "attnscope/ui/heatmap_view.h"
#include "attnscope/ui/qcustomplot_wrapper.h"

#include <QApplication>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <vector>

using attnscope::ui::AttentionMapSnapshot;
using attnscope::ui::HeatmapView;

namespace {

// Causal map with a sink on key 0 and a few sharp peaks per row; rows sum to 1.
AttentionMapSnapshot makeMap(int n) {
    AttentionMapSnapshot m;
    m.rows = m.cols = n;
    m.values.assign(static_cast<size_t>(n) * n, 0.0f);
    unsigned state = 12345u;
    auto next = [&state] {
        state = state * 1664525u + 1013904223u;
        return static_cast<float>(state >> 8) / 16777216.0f;
    };
    for (int q = 0; q < n; ++q) {
        float* row = m.values.data() + static_cast<size_t>(q) * n;
        float sum = 0;
        for (int k = 0; k <= q; ++k) {
            const float r = next();
            row[k] = k == 0 ? 20.0f : (r > 0.995f ? 10.0f * r : r * 0.1f);
            sum += row[k];
        }
        for (int k = 0; k <= q; ++k)
            row[k] /= sum;
        m.rowTokens << QStringLiteral("tok%1").arg(q);
    }
    m.colTokens = m.rowTokens;
    return m;
}

double medianMs(int runs, const std::function<void()>& prepare, const std::function<void()>& work) {
    std::vector<double> ms;
    for (int i = 0; i < runs + 1; ++i) {  // the first run warms caches and is dropped
        prepare();
        const auto t0 = std::chrono::steady_clock::now();
        work();
        const auto t1 = std::chrono::steady_clock::now();
        if (i > 0) ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    }
    std::sort(ms.begin(), ms.end());
    return ms[ms.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    const int n = argc > 1 ? std::atoi(argv[1]) : 2048;
    const int runs = argc > 2 ? std::atoi(argv[2]) : 15;
    const AttentionMapSnapshot map = makeMap(n);

    HeatmapView view;
    view.resize(1000, 800);
    view.show();
    QApplication::processEvents();
    AttentionMapSnapshot copy;
    auto prepare = [&] { copy = map; };  // the copy is not timed
    auto setAndReplot = [&] {
        view.setSnapshot(std::move(copy));
        view.plot()->replot(QCustomPlot::rpImmediateRefresh);
    };

    const double pooled = medianMs(runs, prepare, setAndReplot);
    const double setOnly = medianMs(runs, prepare, [&] { view.setSnapshot(std::move(copy)); });
    const double replotAfterSet = medianMs(
        runs, [&] { view.setSnapshot(map); },
        [&] { view.plot()->replot(QCustomPlot::rpImmediateRefresh); });
    const double replotUnchanged = medianMs(
        runs, [] {}, [&] { view.plot()->replot(QCustomPlot::rpImmediateRefresh); });
    const int tileCols = view.colorMap()->data()->keySize();
    const int tileRows = view.colorMap()->data()->valueSize();
    bool log = false;
    const double logToggle = medianMs(
        runs, [] {},
        [&] {
            view.setLogScale(log = !log);
            view.plot()->replot(QCustomPlot::rpImmediateRefresh);
        });
    view.setLogScale(false);
    const double tile = medianMs(
        runs, [] {},
        [&] {
            (void)attnscope::ui::makeTile(map, 0, n, 0, n, tileRows, tileCols,
                                          attnscope::ui::TilePooling::Max);
        });
    view.setAutoDownsample(false);
    const double full = medianMs(runs, prepare, setAndReplot);

    std::printf("bench_heatmap: %dx%d map, widget 1000x800, offscreen, median of %d\n", n, n, runs);
    std::printf("  set data + replot (max-pooled to %dx%d): %8.2f ms  (target <= 30 ms: %s)\n",
                tileCols, tileRows, pooled, pooled <= 30.0 ? "met" : "MISSED");
    std::printf("    setSnapshot alone:                       %8.2f ms\n", setOnly);
    std::printf("      of which makeTile max-pooling:         %8.2f ms\n", tile);
    std::printf("    replot after new data:                   %8.2f ms\n", replotAfterSet);
    std::printf("    replot with unchanged data:              %8.2f ms\n", replotUnchanged);
    std::printf("  log toggle + replot:                       %8.2f ms\n", logToggle);
    std::printf("  set data + replot, every cell drawn:       %8.2f ms  (%.1fx the pooled path)\n",
                full, full / pooled);
    return 0;
}
