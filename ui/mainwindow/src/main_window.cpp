// Layout, menus, settings and desktop manners of the main window.
#include "attnscope/ui/main_window.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QComboBox>
#include <QDir>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QToolButton>
#include <QUndoStack>
#include <QVBoxLayout>

#include "attnscope/ui/ablation_curve_plot.h"
#include "attnscope/ui/analysis_panel.h"
#include "attnscope/ui/app_controller.h"
#include "attnscope/ui/head_scores_proxy_model.h"
#include "attnscope/ui/head_scores_table_model.h"
#include "attnscope/ui/heatmap_view.h"
#include "attnscope/ui/intervention_list_model.h"
#include "attnscope/ui/item_roles.h"
#include "attnscope/ui/logit_lens_plot.h"
#include "attnscope/ui/predictions_view.h"
#include "attnscope/ui/score_histogram_plot.h"
#include "attnscope/ui/score_scatter_plot.h"
#include "attnscope/ui/sink_mass_plot.h"
#include "attnscope/ui/token_strip_view.h"

namespace attnscope::ui {
namespace {

constexpr int kMaxRecent = 8;

QDockWidget* addDock(QMainWindow* w, const QString& title, const QString& name, QWidget* body,
                     Qt::DockWidgetArea area) {
    auto* dock = new QDockWidget(title, w);
    dock->setObjectName(name);  // saveState() needs names
    dock->setWidget(body);
    w->addDockWidget(area, dock);
    return dock;
}

}  // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
    setWindowTitle(tr("AttnScope"));
    setObjectName(QStringLiteral("AttnScopeMainWindow"));
    setAcceptDrops(true);
    m_controller = new AppController(this);
    m_undo = new QUndoStack(this);
    m_interventions = new InterventionListModel(this);
    m_scoresModel = new HeadScoresTableModel(this);
    m_scoresProxy = new HeadScoresProxyModel(this);
    m_scoresProxy->setSourceModel(m_scoresModel);
    buildCentre();
    buildDocks();
    buildMenus();
    connectController();
    m_status = new QLabel(tr("Open a model (File \u25b8 Open demo model)"), this);
    m_progress = new QProgressBar(this);
    m_progress->setRange(0, 1000);
    m_progress->setMaximumWidth(180);
    m_progress->setVisible(false);
    m_cancel = new QToolButton(this);
    m_cancel->setText(tr("Cancel"));
    m_cancel->setVisible(false);
    connect(m_cancel, &QToolButton::clicked, this, [this] {
        m_controller->cancelAnalysis();
        m_controller->cancelAblationCurve();
        m_controller->cancelLoad();
    });
    statusBar()->addWidget(m_status, 1);
    statusBar()->addPermanentWidget(m_progress);
    statusBar()->addPermanentWidget(m_cancel);
    resize(1400, 900);
    restoreSettings();
}

MainWindow::~MainWindow() = default;

QString MainWindow::demoModelPath() {
    const QByteArray env = qgetenv("ATTNSCOPE_DEMO_MODEL");
    if (!env.isEmpty()) return QString::fromLocal8Bit(env);
    const QString beside =
        QDir(QApplication::applicationDirPath()).filePath(QStringLiteral("resources/models/demo"));
    if (QFileInfo::exists(beside + QStringLiteral("/config.json"))) return beside;
    return QStringLiteral(ATTNSCOPE_RESOURCES_DIR "/models/demo");
}

void MainWindow::buildCentre() {
    auto* centre = new QWidget(this);
    auto* layout = new QVBoxLayout(centre);
    auto* bar = new QHBoxLayout;
    m_layerSpin = new QSpinBox(centre);
    m_headSpin = new QSpinBox(centre);
    m_averageCombo = new QComboBox(centre);
    m_averageCombo->addItem(tr("Selected head"), static_cast<int>(MapAverage::Head));
    m_averageCombo->addItem(tr("Mean of the layer's heads"),
                            static_cast<int>(MapAverage::LayerHeads));
    m_averageCombo->addItem(tr("Mean of all heads"), static_cast<int>(MapAverage::AllHeads));
    m_viewCombo = new QComboBox(centre);
    m_viewCombo->addItem(tr("Edited"), static_cast<int>(MapView::Edited));
    m_viewCombo->addItem(tr("Baseline"), static_cast<int>(MapView::Baseline));
    m_viewCombo->addItem(tr("Edited \u2212 baseline"), static_cast<int>(MapView::Difference));
    m_viewCombo->addItem(tr("Corrupted prompt"), static_cast<int>(MapView::Corrupted));
    m_viewCombo->addItem(tr("Prompt \u2212 corrupted"),
                         static_cast<int>(MapView::CorruptedDifference));
    bar->addWidget(new QLabel(tr("Layer"), centre));
    bar->addWidget(m_layerSpin);
    bar->addWidget(new QLabel(tr("Head"), centre));
    bar->addWidget(m_headSpin);
    bar->addWidget(m_averageCombo);
    bar->addWidget(m_viewCombo);
    bar->addStretch(1);
    layout->addLayout(bar);
    m_heatmap = new HeatmapView(centre);
    layout->addWidget(m_heatmap, 1);
    setCentralWidget(centre);
    auto spinChanged = [this] { selectHead(m_layerSpin->value(), m_headSpin->value()); };
    connect(m_layerSpin, &QSpinBox::valueChanged, this, spinChanged);
    connect(m_headSpin, &QSpinBox::valueChanged, this, spinChanged);
    connect(m_averageCombo, &QComboBox::currentIndexChanged, this, &MainWindow::updateHeatmap);
    connect(m_viewCombo, &QComboBox::currentIndexChanged, this, &MainWindow::updateHeatmap);
    connect(m_heatmap, &HeatmapView::cellClicked, this, [this](int query, int key) {
        if (query >= 0 && key >= 0) {
            m_heatmap->highlightRow(query);
            m_heatmap->highlightColumn(key);
        }
        m_tokens->setSelectedToken(query >= 0 ? query : key);
    });
}

void MainWindow::buildDocks() {
    // Left: model and prompts.
    auto* left = new QWidget(this);
    auto* leftLayout = new QVBoxLayout(left);
    m_modelInfo = new QFormLayout;
    const QString names[] = {tr("Folder"),   tr("Architecture"), tr("Layers"), tr("Heads"),
                             tr("KV heads"), tr("Parameters"),   tr("Dtype"),  tr("Fingerprint")};
    for (int i = 0; i < 8; ++i) {
        m_modelLabels[i] = new QLabel(QStringLiteral("\u2013"), left);
        m_modelLabels[i]->setTextInteractionFlags(Qt::TextSelectableByMouse);
        m_modelLabels[i]->setWordWrap(true);
        m_modelInfo->addRow(names[i], m_modelLabels[i]);
    }
    leftLayout->addLayout(m_modelInfo);
    leftLayout->addWidget(new QLabel(tr("Prompt"), left));
    m_prompt = new QPlainTextEdit(left);
    m_prompt->setObjectName(QStringLiteral("prompt"));
    m_prompt->setMaximumHeight(110);
    leftLayout->addWidget(m_prompt);
    leftLayout->addWidget(new QLabel(tr("Corrupted prompt (for patching and comparison)"), left));
    m_corrupted = new QLineEdit(left);
    m_corrupted->setObjectName(QStringLiteral("corruptedPrompt"));
    leftLayout->addWidget(m_corrupted);
    auto* run = new QPushButton(tr("Run (Ctrl+R)"), left);
    run->setObjectName(QStringLiteral("runButton"));
    connect(run, &QPushButton::clicked, this, &MainWindow::runPrompt);
    leftLayout->addWidget(run);
    m_tokens = new TokenStripView(left);
    leftLayout->addWidget(m_tokens);
    leftLayout->addStretch(1);
    addDock(this, tr("Model and prompt"), QStringLiteral("modelDock"), left,
            Qt::LeftDockWidgetArea);
    connect(m_tokens, &TokenStripView::tokenClicked, this, [this](int index) {
        m_heatmap->highlightRow(index);
        m_heatmap->highlightColumn(index);
    });

    // Right: atlas and score table.
    auto* right = new QWidget(this);
    auto* rightLayout = new QVBoxLayout(right);
    m_scoreCombo = new QComboBox(right);
    rightLayout->addWidget(m_scoreCombo);
    m_atlas = new HeadAtlasView(right);
    rightLayout->addWidget(m_atlas, 2);
    m_scoresTable = new QTableView(right);
    m_scoresTable->setModel(m_scoresProxy);
    m_scoresTable->setSortingEnabled(true);
    m_scoresTable->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_scoresTable->verticalHeader()->hide();
    rightLayout->addWidget(m_scoresTable, 1);
    addDock(this, tr("Head atlas"), QStringLiteral("atlasDock"), right, Qt::RightDockWidgetArea);
    connect(m_scoreCombo, &QComboBox::currentIndexChanged, this, &MainWindow::updateScoreViews);
    connect(m_atlas, &HeadAtlasView::headClicked, this, &MainWindow::selectHead);
    connect(m_atlas, &HeadAtlasView::ablationToggled, this, &MainWindow::toggleAblation);
    connect(m_atlas, &HeadAtlasView::interventionRequested, this, &MainWindow::requestIntervention);
    connect(m_scoresTable, &QTableView::clicked, this, [this](const QModelIndex& index) {
        const QModelIndex src = m_scoresProxy->mapToSource(index);
        selectHead(m_scoresModel->index(src.row(), HeadScoresTableModel::LayerColumn)
                       .data(RawValueRole)
                       .toInt(),
                   m_scoresModel->index(src.row(), HeadScoresTableModel::HeadColumn)
                       .data(RawValueRole)
                       .toInt());
    });

    // Bottom: predictions, interventions, plots, analyses.
    m_predictions = new PredictionsView(this);
    auto* predictionsDock = addDock(this, tr("Predictions"), QStringLiteral("predictionsDock"),
                                    m_predictions, Qt::BottomDockWidgetArea);
    auto* edits = new QWidget(this);
    auto* editsLayout = new QVBoxLayout(edits);
    m_interventionsTable = new QTableView(edits);
    m_interventionsTable->setModel(m_interventions);
    m_interventionsTable->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_interventionsTable->horizontalHeader()->setStretchLastSection(true);
    editsLayout->addWidget(m_interventionsTable);
    auto* editButtons = new QHBoxLayout;
    auto* remove = new QPushButton(tr("Remove"), edits);
    auto* clear = new QPushButton(tr("Clear"), edits);
    editButtons->addWidget(remove);
    editButtons->addWidget(clear);
    editButtons->addStretch(1);
    editsLayout->addLayout(editButtons);
    auto* editsDock = addDock(this, tr("Interventions"), QStringLiteral("interventionsDock"), edits,
                              Qt::BottomDockWidgetArea);
    connect(remove, &QPushButton::clicked, this, [this] {
        const QModelIndex i = m_interventionsTable->currentIndex();
        if (!i.isValid()) return;
        InterventionList items = m_applied;
        items.erase(items.begin() + i.row());
        editInterventions(items, tr("Remove intervention"));
    });
    connect(clear, &QPushButton::clicked, this,
            [this] { editInterventions({}, tr("Clear interventions")); });
    // Edits made in the table itself (checkbox, parameter) become undoable steps too.
    connect(m_interventions, &InterventionListModel::itemsChanged, this, [this] {
        if (!m_settingItems) editInterventions(m_interventions->items(), tr("Edit intervention"));
    });

    auto* plots = new QTabWidget(this);
    m_plotTabs = plots;
    m_sinkPlot = new SinkMassPlot(plots);
    m_histogram = new ScoreHistogramPlot(plots);
    auto* scatterTab = new QWidget(plots);
    auto* scatterLayout = new QVBoxLayout(scatterTab);
    scatterLayout->setContentsMargins(0, 0, 0, 0);
    auto* scatterBar = new QHBoxLayout;
    scatterBar->addWidget(new QLabel(tr("Atlas score against"), scatterTab));
    m_scatterXCombo = new QComboBox(scatterTab);
    m_scatterXCombo->setObjectName(QStringLiteral("scatterXCombo"));
    m_scatterXCombo->setToolTip(tr("x axis: the layer, or another score (one point per head)"));
    scatterBar->addWidget(m_scatterXCombo);
    scatterBar->addStretch(1);
    scatterLayout->addLayout(scatterBar);
    m_scatter = new ScoreScatterPlot(scatterTab);
    scatterLayout->addWidget(m_scatter, 1);
    connect(m_scatterXCombo, &QComboBox::currentIndexChanged, this, [this] { updateScoreViews(); });
    m_lensPlot = new LogitLensPlot(plots);
    plots->addTab(m_sinkPlot, tr("Sink mass per layer"));
    plots->addTab(m_histogram, tr("Score histogram"));
    plots->addTab(scatterTab, tr("Score scatter"));
    plots->addTab(m_lensPlot, tr("Logit lens"));
    m_curveTab = new QWidget(plots);
    auto* curveLayout = new QVBoxLayout(m_curveTab);
    curveLayout->setContentsMargins(0, 0, 0, 0);
    m_curveButton = new QPushButton(tr("Ablation curve of this score"), m_curveTab);
    m_curveButton->setObjectName(QStringLiteral("ablationCurveButton"));
    m_curveButton->setToolTip(tr("Zero-ablate heads in the atlas score's order, and at random"));
    curveLayout->addWidget(m_curveButton, 0, Qt::AlignLeft);
    m_curvePlot = new AblationCurvePlot(m_curveTab);
    curveLayout->addWidget(m_curvePlot, 1);
    plots->addTab(m_curveTab, tr("Ablation curve"));
    connect(m_curveButton, &QPushButton::clicked, this, &MainWindow::startAblationCurve);
    connect(m_scatter, &ScoreScatterPlot::headClicked, this, &MainWindow::selectHead);
    auto* plotsDock =
        addDock(this, tr("Plots"), QStringLiteral("plotsDock"), plots, Qt::BottomDockWidgetArea);

    m_analysis = new AnalysisPanel(metricCatalog(), this);
    auto* analysisDock = addDock(this, tr("Analysis"), QStringLiteral("analysisDock"), m_analysis,
                                 Qt::BottomDockWidgetArea);
    tabifyDockWidget(editsDock, analysisDock);
    editsDock->raise();
    splitDockWidget(predictionsDock, editsDock, Qt::Horizontal);
    splitDockWidget(editsDock, plotsDock, Qt::Horizontal);
    connect(m_analysis, &AnalysisPanel::runRequested, this, [this](AnalysisRequest request) {
        syncPromptsToController();
        if (request.datasetPath.isEmpty() && request.prompts.isEmpty()) {
            request.prompts << m_controller->prompt();
            if (!m_controller->corruptedPrompt().trimmed().isEmpty())
                request.prompts << m_controller->corruptedPrompt();
        }
        m_analysis->setRunning(true);
        m_controller->startAnalysis(request);
    });
    connect(m_analysis, &AnalysisPanel::cancelRequested, m_controller,
            &AppController::cancelAnalysis);
}

void MainWindow::buildMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("&Open model folder\u2026"), QKeySequence::Open, this,
                    &MainWindow::openModelDialog);
    file->addAction(tr("Open &demo model"), QKeySequence(tr("Ctrl+D")), this,
                    &MainWindow::openDemo);
    m_recentMenu = file->addMenu(tr("Recent models"));
    file->addSeparator();
    file->addAction(tr("Open &session\u2026"), QKeySequence(tr("Ctrl+Shift+O")), this,
                    &MainWindow::openSessionDialog);
    file->addAction(tr("&Save session\u2026"), QKeySequence::Save, this,
                    &MainWindow::saveSessionDialog);
    file->addSeparator();
    file->addAction(tr("Export heatmap (PNG/PDF/SVG)\u2026"), this,
                    &MainWindow::exportHeatmapDialog);
    file->addAction(tr("Export predictions (CSV)\u2026"), this,
                    &MainWindow::exportPredictionsDialog);
    file->addAction(tr("Export scores (CSV)\u2026"), this, &MainWindow::exportScoresDialog);
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

    QMenu* edit = menuBar()->addMenu(tr("&Edit"));
    QAction* undo = m_undo->createUndoAction(this, tr("&Undo"));
    undo->setShortcut(QKeySequence::Undo);
    QAction* redo = m_undo->createRedoAction(this, tr("&Redo"));
    redo->setShortcut(QKeySequence::Redo);
    edit->addAction(undo);
    edit->addAction(redo);
    edit->addAction(tr("&Clear interventions"), this,
                    [this] { editInterventions({}, tr("Clear interventions")); });

    QMenu* run = menuBar()->addMenu(tr("&Run"));
    run->addAction(tr("&Run prompt"), QKeySequence(tr("Ctrl+R")), this, &MainWindow::runPrompt);
    run->addAction(tr("Run &analysis"), QKeySequence(tr("Ctrl+Shift+R")), m_analysis->runButton(),
                   &QPushButton::click);
    run->addAction(tr("Ablation &curve of this score"), this, &MainWindow::startAblationCurve);
    run->addAction(tr("&Cancel analysis"), QKeySequence(Qt::Key_Escape), this, [this] {
        m_controller->cancelAnalysis();
        m_controller->cancelAblationCurve();
    });

    m_viewMenu = menuBar()->addMenu(tr("&View"));
    for (QDockWidget* dock : findChildren<QDockWidget*>())
        m_viewMenu->addAction(dock->toggleViewAction());
    m_viewMenu->addSeparator();
    QAction* log = m_viewMenu->addAction(tr("&Log scale"));
    log->setCheckable(true);
    log->setShortcut(QKeySequence(tr("Ctrl+L")));
    connect(log, &QAction::toggled, m_heatmap, &HeatmapView::setLogScale);
    connect(m_heatmap, &HeatmapView::logScaleChanged, log, &QAction::setChecked);

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About AttnScope"), this, [this] {
        QMessageBox::about(this, tr("About AttnScope"),
                           tr("AttnScope: what do the attention heads of a transformer do?\n"
                              "Click a head to inspect it, Ctrl+click to ablate it, right-click "
                              "for more edits."));
    });
}

void MainWindow::connectController() {
    connect(m_controller, &AppController::modelOpened, this, &MainWindow::onModelOpened);
    connect(m_controller, &AppController::modelLoadFailed, this, &MainWindow::showError);
    connect(m_controller, &AppController::resultsAvailable, this, &MainWindow::onResults);
    connect(m_controller, &AppController::runFailed, this, &MainWindow::showError);
    connect(m_controller, &AppController::progressChanged, this, &MainWindow::onProgress);
    connect(m_controller, &AppController::analysisFinished, this, &MainWindow::onAnalysisFinished);
    connect(m_controller, &AppController::analysisFailed, this, [this](const QString& message) {
        m_analysis->setFailed(message);
        showError(message);
    });
    connect(m_controller, &AppController::analysisCancelled, this, [this] {
        m_analysis->setCancelled();
        m_status->setText(tr("Analysis cancelled"));
    });
    connect(m_controller, &AppController::ablationCurveFinished, this,
            &MainWindow::onAblationCurveFinished);
    connect(m_controller, &AppController::ablationCurveFailed, this, [this](const QString& m) {
        m_curveButton->setEnabled(true);
        showError(m);
    });
    connect(m_controller, &AppController::ablationCurveCancelled, this, [this] {
        m_curveButton->setEnabled(true);
        m_status->setText(tr("Ablation curve cancelled"));
    });
    connect(m_controller, &AppController::sessionSaved, this, [this](const QString& path) {
        m_status->setText(tr("Session saved to %1").arg(path));
    });
    connect(m_controller, &AppController::sessionLoaded, this, &MainWindow::onSessionLoaded);
    connect(m_controller, &AppController::sessionFailed, this, &MainWindow::showError);
    connect(m_controller, &AppController::busyChanged, this, [this](bool busy) {
        m_progress->setVisible(busy);
        m_cancel->setVisible(busy);
    });
}

void MainWindow::restoreSettings() {
    QSettings s;
    restoreGeometry(s.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(s.value(QStringLiteral("window/state")).toByteArray());
    m_prompt->setPlainText(s.value(QStringLiteral("prompt")).toString());
    m_corrupted->setText(s.value(QStringLiteral("corruptedPrompt")).toString());
    rebuildRecentMenu();
}

void MainWindow::saveSettings() const {
    QSettings s;
    s.setValue(QStringLiteral("window/geometry"), saveGeometry());
    s.setValue(QStringLiteral("window/state"), saveState());
    s.setValue(QStringLiteral("prompt"), m_prompt->toPlainText());
    s.setValue(QStringLiteral("corruptedPrompt"), m_corrupted->text());
}

void MainWindow::addRecent(const QString& dir) {
    QSettings s;
    QStringList recent = s.value(QStringLiteral("recentModels")).toStringList();
    recent.removeAll(dir);
    recent.prepend(dir);
    while (recent.size() > kMaxRecent)
        recent.removeLast();
    s.setValue(QStringLiteral("recentModels"), recent);
    rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu() {
    m_recentMenu->clear();
    const QStringList recent = QSettings().value(QStringLiteral("recentModels")).toStringList();
    for (const QString& dir : recent)
        m_recentMenu->addAction(dir, this, [this, dir] { openModel(dir); });
    m_recentMenu->setEnabled(!recent.isEmpty());
}

void MainWindow::showError(const QString& message) {
    m_restoringSession = false;
    m_lastError = message;
    m_status->setText(message.section(QLatin1Char('\n'), 0, 0));
    Q_EMIT errorShown(message);
    if (m_quietErrors) return;
    // Window-modal and non-blocking: the event loop (and running jobs) go on.
    auto* box =
        new QMessageBox(QMessageBox::Critical, tr("AttnScope"), message, QMessageBox::Ok, this);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

QString MainWindow::statusText() const {
    return m_status->text();
}

void MainWindow::closeEvent(QCloseEvent* event) {
    saveSettings();
    QMainWindow::closeEvent(event);
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
    if (event->mimeData()->hasUrls()) event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
    const auto urls = event->mimeData()->urls();
    if (urls.isEmpty() || !urls.first().isLocalFile()) return;
    const QString path = urls.first().toLocalFile();
    if (QFileInfo(path).isDir())
        openModel(path);
    else if (path.endsWith(QLatin1String(".h5")))
        openSession(path);
    else
        showError(tr("Drop a model folder or a session file (.h5): %1").arg(path));
    event->acceptProposedAction();
}

}  // namespace attnscope::ui
