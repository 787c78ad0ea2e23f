// Edit -> updated view: the time from an intervention edit (as Ctrl+click makes it) to the
// moment every view shows the new run, debounce (AppController::kDebounceMs) included.
// Usage: bench_edit_latency [MODEL_DIR] [PROMPT]   (default: the demo model)
#include <QApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFileInfo>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <vector>

#include "attnscope/ui/app_controller.h"
#include "attnscope/ui/intervention_kinds.h"
#include "attnscope/ui/main_window.h"

using namespace attnscope::ui;

namespace {

// Runs the event loop until the window reports a finished view update; false on timeout.
bool waitForView(MainWindow& w, int timeoutMs) {
    QEventLoop loop;
    bool ok = false;
    auto c = QObject::connect(&w, &MainWindow::viewUpdated, &loop, [&] {
        ok = true;
        loop.quit();
    });
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    loop.exec();
    QObject::disconnect(c);
    return ok;
}

}  // namespace

int main(int argc, char** argv) {
    qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QString model = argc > 1 ? QString::fromLocal8Bit(argv[1]) : MainWindow::demoModelPath();
    if (!QFileInfo::exists(model + QStringLiteral("/config.json")))
        model = QStringLiteral(ATTNSCOPE_SHARED_DIR "/fixtures/parity/llama-tiny-gqa");
    MainWindow w;
    w.setQuietErrors(true);
    w.resize(1400, 900);
    w.show();
    if (argc > 2) w.setPrompt(QString::fromLocal8Bit(argv[2]));
    w.openModel(model);
    if (!waitForView(w, 120000)) {
        std::fprintf(stderr, "no first run: %s\n", qPrintable(w.lastError()));
        return 1;
    }
    const int layers = w.controller()->model().layers, heads = w.controller()->model().heads;
    std::vector<double> ms;
    for (int i = 0; i < 30; ++i) {
        const int layer = i % layers, head = (i / layers) % heads;
        QElapsedTimer t;
        t.start();
        w.editInterventions({{kinds::kZeroAblation, layer, head, 0.0, true, QString()}},
                            QStringLiteral("bench"));
        if (!waitForView(w, 60000)) return 1;
        ms.push_back(t.nsecsElapsed() / 1e6);
    }
    std::sort(ms.begin(), ms.end());
    std::printf("model %s, %d layers x %d heads, prompt of %d tokens\n", qPrintable(model), layers,
                heads, w.controller()->lastRun()->length);
    std::printf(
        "edit -> updated view over %zu edits: median %.1f ms, p90 %.1f ms, max %.1f ms "
        "(debounce %d ms included; target <= 150 ms)\n",
        ms.size(), ms[ms.size() / 2], ms[ms.size() * 9 / 10], ms.back(),
        AppController::kDebounceMs);
    return 0;
}
