// attnscope: the desktop application; `--headless` prints the demo run instead of a window.
#include <QApplication>
#include <QCommandLineParser>
#include <QTimer>

#include <cstdio>
#include <vector>

#include "attnscope/capture/runtime_settings.h"
#include "attnscope/plugins/plugin_host.h"
#include "attnscope/plugins/plugin_paths.h"
#include "attnscope/ui/app_controller.h"
#include "attnscope/ui/main_window.h"
#include "attnscope/ui/startup.h"

namespace attnscope::app {
namespace {

struct Options {
    QString model;
    QString prompt;
    QString session;
    QString screenshot;
    bool headless = false;
};

Options parse(const QCoreApplication& app) {
    QCommandLineParser p;
    QString description = QStringLiteral(
        "AttnScope: inspect and edit attention heads\n\nPlugin metrics are loaded from:");
    for (const auto& folder : plugins::pluginSearchPath())
        description += QStringLiteral("\n  ") + QString::fromStdString(folder.string());
    description += QStringLiteral("\n  (more: ATTNSCOPE_PLUGIN_PATH=DIR:DIR; docs/plugins.md)");
    p.setApplicationDescription(description);
    p.addHelpOption();
    const QCommandLineOption model({QStringLiteral("m"), QStringLiteral("model")},
                                   QStringLiteral("Hugging Face model folder to open."),
                                   QStringLiteral("DIR"));
    const QCommandLineOption prompt({QStringLiteral("p"), QStringLiteral("prompt")},
                                    QStringLiteral("Prompt to run first."), QStringLiteral("TEXT"));
    const QCommandLineOption session(QStringLiteral("session"),
                                     QStringLiteral("Session file (.h5) to reopen."),
                                     QStringLiteral("FILE"));
    const QCommandLineOption screenshot(
        QStringLiteral("screenshot"),
        QStringLiteral("Save a PNG of the window once the first run is shown, then quit."),
        QStringLiteral("FILE"));
    const QCommandLineOption headless(
        QStringLiteral("headless"),
        QStringLiteral("No window: print the model, the prompt's predictions and the head atlas."));
    p.addOptions({model, prompt, session, screenshot, headless});
    p.process(app);
    return {p.value(model), p.value(prompt), p.value(session), p.value(screenshot),
            p.isSet(headless)};
}

int runHeadless(const Options& o) {
    const QString model = o.model.isEmpty() ? ui::MainWindow::demoModelPath() : o.model;
    try {
        const QString report = ui::headlessReport(model, o.prompt);
        std::fputs(report.toUtf8().constData(), stdout);
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "attnscope: %s\n", e.what());
        return 1;
    }
}

// QGuiApplication takes `-session NAME` and `--session NAME` for X11 session management and
// removes them from argv before our parser sees them; `--session=NAME` reaches us intact.
std::vector<QByteArray> protectSessionOption(int argc, char** argv) {
    std::vector<QByteArray> out;
    for (int i = 0; i < argc; ++i) {
        const QByteArray a(argv[i]);
        if ((a == "--session" || a == "-session") && i + 1 < argc)
            out.push_back("--session=" + QByteArray(argv[++i]));
        else
            out.push_back(a);
    }
    return out;
}

// Grabs the window once the first run (or the restored session) is on screen; exits 1 on an
// error or after 3 minutes.
void armScreenshot(ui::MainWindow& window, const QString& file, bool session) {
    const auto shown = session ? &ui::MainWindow::sessionRestored : &ui::MainWindow::viewUpdated;
    QObject::connect(&window, shown, &window, [&window, file] {
        QTimer::singleShot(800, &window, [&window, file] {
            const bool ok = window.grab().save(file);
            std::fprintf(ok ? stdout : stderr, "%s %s\n", ok ? "saved" : "cannot write",
                         qPrintable(file));
            QCoreApplication::exit(ok ? 0 : 1);
        });
    });
    QObject::connect(&window, &ui::MainWindow::errorShown, &window, [](const QString& message) {
        std::fprintf(stderr, "attnscope: %s\n", qPrintable(message));
        QCoreApplication::exit(1);
    });
    QTimer::singleShot(180000, &window, [] {
        std::fprintf(stderr, "attnscope: no run finished within 3 minutes\n");
        QCoreApplication::exit(1);
    });
}

}  // namespace
}  // namespace attnscope::app

int main(int argc, char** argv) {
    using namespace attnscope;
    capture::configureRuntime();  // $ATTNSCOPE_THREADS, else every core
    for (int i = 1; i < argc; ++i) {
        if (QByteArray(argv[i]) == "--headless") {
            QCoreApplication core(argc, argv);
            return app::runHeadless(app::parse(core));
        }
    }
    std::vector<QByteArray> args = app::protectSessionOption(argc, argv);
    std::vector<char*> pointers;
    for (QByteArray& a : args)
        pointers.push_back(a.data());
    pointers.push_back(nullptr);
    int count = static_cast<int>(args.size());
    QApplication application(count, pointers.data());
    // The plugin host derives the per-user plugin folder from the same names.
    QApplication::setOrganizationName(QString::fromLatin1(plugins::kOrganizationName));
    QApplication::setApplicationName(QString::fromLatin1(plugins::kApplicationName));
    const app::Options o = app::parse(application);
    // Plugin metrics join the registry before the analysis form is built from it; scripts
    // that fail are listed in the window's message bar.
    try {
        plugins::loadPlugins();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "attnscope: plugins unavailable: %s\n", e.what());
    }
    ui::MainWindow window;
    if (!o.screenshot.isEmpty()) {
        window.setQuietErrors(true);
        app::armScreenshot(window, o.screenshot, !o.session.isEmpty());
    }
    QString error;
    if (!ui::startWindow(window, {o.model, o.prompt, o.session}, !o.screenshot.isEmpty(), &error)) {
        std::fprintf(stderr, "attnscope: %s\n", qPrintable(error));
        return 2;
    }
    window.show();
    return QApplication::exec();
}
