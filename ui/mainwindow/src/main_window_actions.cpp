// File dialogs and exports of the main window.
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QSettings>

#include "attnscope/ui/analysis_panel.h"
#include "attnscope/ui/app_controller.h"
#include "attnscope/ui/batch_results_window.h"
#include "attnscope/ui/csv_export.h"
#include "attnscope/ui/head_scores_table_model.h"
#include "attnscope/ui/heatmap_view.h"
#include "attnscope/ui/item_roles.h"
#include "attnscope/ui/main_window.h"
#include "attnscope/ui/predictions_view.h"

namespace attnscope::ui {
namespace {

// The folder a file dialog of `kind` starts in: where the last one of that kind ended.
QString lastDir(const QString& kind) {
    return QSettings().value(QStringLiteral("dirs/") + kind).toString();
}

void rememberDir(const QString& kind, const QString& path) {
    QSettings().setValue(QStringLiteral("dirs/") + kind, QFileInfo(path).absolutePath());
}

}  // namespace

void MainWindow::openModelDialog() {
    const QString dir = QFileDialog::getExistingDirectory(
        this, tr("Open a Hugging Face model folder"), lastDir(QStringLiteral("model")));
    if (dir.isEmpty()) return;
    rememberDir(QStringLiteral("model"), dir);
    openModel(dir);
}

void MainWindow::openSessionDialog() {
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Open session"), lastDir(QStringLiteral("session")), tr("Sessions (*.h5)"));
    if (path.isEmpty()) return;
    rememberDir(QStringLiteral("session"), path);
    openSession(path);
}

void MainWindow::saveSessionDialog() {
    QString path = QFileDialog::getSaveFileName(
        this, tr("Save session"), lastDir(QStringLiteral("session")), tr("Sessions (*.h5)"));
    if (path.isEmpty()) return;
    if (!path.endsWith(QLatin1String(".h5"))) path += QStringLiteral(".h5");
    rememberDir(QStringLiteral("session"), path);
    saveSession(path);
}

bool MainWindow::saveExperiment(const QString& path, QString* error) {
    syncPromptsToController();
    const QString text = m_controller->experimentText(m_analysis->request());
    QString problem;
    if (text.isEmpty()) {
        problem = tr("Open a model first.");
    } else {
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) || file.write(text.toUtf8()) < 0)
            problem = tr("Cannot write %1: %2").arg(path, file.errorString());
    }
    if (error) *error = problem;
    return problem.isEmpty();
}

void MainWindow::saveExperimentDialog() {
    QString path = QFileDialog::getSaveFileName(this, tr("Save as experiment"),
                                                lastDir(QStringLiteral("experiment")),
                                                tr("Experiments (*.yaml *.json)"));
    if (path.isEmpty()) return;
    if (!path.endsWith(QLatin1String(".yaml")) && !path.endsWith(QLatin1String(".json")))
        path += QStringLiteral(".yaml");
    rememberDir(QStringLiteral("experiment"), path);
    QString error;
    if (!saveExperiment(path, &error)) showError(error);
}

void MainWindow::openResults(const QString& path) {
    m_controller->openBatchResults(path);
}

BatchResultsWindow* MainWindow::resultsWindow() const {
    return m_resultsWindow.data();
}

void MainWindow::openResultsDialog() {
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Open results"), lastDir(QStringLiteral("results")), tr("Batch results (*.h5)"));
    if (path.isEmpty()) return;
    rememberDir(QStringLiteral("results"), path);
    openResults(path);
}

void MainWindow::exportHeatmapDialog() {
    heatmapView()->exportWithDialog();  // asks for the file, size, dpi and title
}

void MainWindow::exportPredictionsDialog() {
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Export predictions"), lastDir(QStringLiteral("export")), tr("CSV (*.csv)"));
    if (path.isEmpty()) return;
    rememberDir(QStringLiteral("export"), path);
    QString error;
    if (!m_predictions->exportCsv(path, &error)) showError(error);
}

void MainWindow::exportScoresDialog() {
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Export scores"), lastDir(QStringLiteral("export")), tr("CSV (*.csv)"));
    if (path.isEmpty()) return;
    rememberDir(QStringLiteral("export"), path);
    QString error;
    CsvOptions options;
    options.role = RawValueRole;
    if (!exportCsv(*scoresModel(), path, options, &error)) showError(error);
}

}  // namespace attnscope::ui
