// The frame: panels in docks, menus, the status bar, settings and desktop manners.
#include "attnscope/ui/main_window.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QFileInfo>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressBar>
#include <QPushButton>
#include <QScreen>
#include <QScrollArea>
#include <QSettings>
#include <QStatusBar>
#include <QToolButton>
#include <QUndoStack>
#include <QVBoxLayout>

#include "attnscope/plugins/plugin_host.h"
#include "attnscope/ui/analysis_panel.h"
#include "attnscope/ui/app_controller.h"
#include "attnscope/ui/atlas_panel.h"
#include "attnscope/ui/circuit_panel.h"
#include "attnscope/ui/circuit_run_form.h"
#include "attnscope/ui/heatmap_view.h"
#include "attnscope/ui/intervention_list_model.h"
#include "attnscope/ui/interventions_panel.h"
#include "attnscope/ui/message_bar.h"
#include "attnscope/ui/model_panel.h"
#include "attnscope/ui/plots_panel.h"
#include "attnscope/ui/plugin_watcher.h"
#include "attnscope/ui/predictions_view.h"
#include "attnscope/ui/prompt_panel.h"
#include "attnscope/ui/token_strip_view.h"

#include <algorithm>

namespace attnscope::ui {
namespace {

constexpr int kMaxRecent = 8;
// Bumped when the dock layout changes, so that an older saved layout is not restored over it.
constexpr int kDockLayoutVersion = 3;

QDockWidget* makeDock(QMainWindow* w, const QString& title, const QString& name, QWidget* body) {
    auto* dock = new QDockWidget(title, w);
    dock->setObjectName(name);  // saveState() needs names
    dock->setWidget(body);
    return dock;
}

}  // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
    setWindowTitle(tr("AttnScope"));
    setObjectName(QStringLiteral("AttnScopeMainWindow"));
    setAcceptDrops(true);
    setDockOptions(AnimatedDocks | AllowTabbedDocks | AllowNestedDocks);
    m_controller = new AppController(this);
    m_pluginWatcher = new PluginWatcher(this);
    m_undo = new QUndoStack(this);
    m_interventions = new InterventionListModel(this);
    buildPanels();
    arrangeDocks();
    buildMenus();
    buildStatusBar();
    connectPanels();
    connectController();
    refreshScoreChoices();
    restoreSettings();
    showPluginErrors();  // scripts that failed at start-up
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

void MainWindow::buildPanels() {
    auto* left = new QWidget(this);
    auto* leftLayout = new QVBoxLayout(left);
    m_modelPanel = new ModelPanel(left);
    m_promptPanel = new PromptPanel(left);
    leftLayout->addWidget(m_modelPanel);
    leftLayout->addWidget(m_promptPanel, 1);
    // The centre: the message bar (hidden until a plugin fails) above the heatmap.
    auto* centre = new QWidget(this);
    auto* centreLayout = new QVBoxLayout(centre);
    centreLayout->setContentsMargins(0, 0, 0, 0);
    centreLayout->setSpacing(0);
    m_messageBar = new MessageBar(centre);
    m_heatmapPanel = new HeatmapPanel(centre);
    centreLayout->addWidget(m_messageBar);
    centreLayout->addWidget(m_heatmapPanel, 1);
    setCentralWidget(centre);
    m_atlasPanel = new AtlasPanel(this);
    m_predictions = new PredictionsView(this);
    m_editsPanel = new InterventionsPanel(m_interventions, this);
    m_plots = new PlotsPanel(this);
    m_analysis = new AnalysisPanel(metricCatalog(), this);
    m_circuitPanel = new CircuitPanel(this);

    m_modelDock = makeDock(this, tr("Model and prompt"), QStringLiteral("modelDock"), left);
    m_atlasDock = makeDock(this, tr("Head atlas"), QStringLiteral("atlasDock"), m_atlasPanel);
    m_predictionsDock =
        makeDock(this, tr("Predictions"), QStringLiteral("predictionsDock"), m_predictions);
    m_plotsDock = makeDock(this, tr("Plots"), QStringLiteral("plotsDock"), m_plots);
    m_editsDock =
        makeDock(this, tr("Interventions"), QStringLiteral("interventionsDock"), m_editsPanel);
    m_analysisDock = makeDock(this, tr("Analysis"), QStringLiteral("analysisDock"), m_analysis);
    // The explorer needs more height than the other bottom tabs: it scrolls in a short dock
    // instead of squeezing the heatmap.
    auto* circuitScroll = new QScrollArea(this);
    circuitScroll->setWidgetResizable(true);
    circuitScroll->setFrameShape(QFrame::NoFrame);
    circuitScroll->setWidget(m_circuitPanel);
    m_circuitDock = makeDock(this, tr("Circuit"), QStringLiteral("circuitDock"), circuitScroll);
}

// Left: model and prompt. Right: the atlas above the predictions. Bottom: plots,
// interventions and analyses as tabs of one full-width area, tall enough to read a plot.
void MainWindow::arrangeDocks() {
    addDockWidget(Qt::LeftDockWidgetArea, m_modelDock);
    addDockWidget(Qt::RightDockWidgetArea, m_atlasDock);
    splitDockWidget(m_atlasDock, m_predictionsDock, Qt::Vertical);
    addDockWidget(Qt::BottomDockWidgetArea, m_plotsDock);
    tabifyDockWidget(m_plotsDock, m_editsDock);
    tabifyDockWidget(m_editsDock, m_analysisDock);
    tabifyDockWidget(m_analysisDock, m_circuitDock);
    m_plotsDock->raise();
    setCorner(Qt::BottomLeftCorner, Qt::LeftDockWidgetArea);
    setCorner(Qt::BottomRightCorner, Qt::RightDockWidgetArea);

    // A default size that fits the screen (at most 1400 x 900).
    QSize size(1400, 900);
    if (const QScreen* s = screen()) size = size.boundedTo(s->availableGeometry().size());
    resize(size);
}

void MainWindow::sizeDocks() {
    m_docksSized = true;
    const QSize size = this->size();
    const int side = std::clamp(size.width() / 4, 260, 380);
    resizeDocks({m_modelDock, m_atlasDock}, {side, side + 40}, Qt::Horizontal);
    resizeDocks({m_atlasDock, m_predictionsDock}, {size.height() / 3, size.height() / 4},
                Qt::Vertical);
    resizeDocks({m_plotsDock}, {std::max(220, size.height() * 3 / 10)}, Qt::Vertical);
}

void MainWindow::showEvent(QShowEvent* event) {
    QMainWindow::showEvent(event);
    if (!m_docksSized) sizeDocks();
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
    file->addAction(tr("Open &results\u2026"), this, &MainWindow::openResultsDialog);
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
    run->addAction(tr("Find &circuit"), QKeySequence(tr("Ctrl+Shift+C")), this, [this] {
        showCircuitPanel();
        m_circuitPanel->form()->runButton()->click();
    });
    run->addAction(tr("&Cancel analysis"), QKeySequence(Qt::Key_Escape), this, [this] {
        m_controller->cancelAnalysis();
        m_controller->cancelAblationCurve();
        m_controller->cancelCircuit();
    });
    run->addSeparator();
    QAction* reload = run->addAction(tr("Reload &plugins"), QKeySequence(tr("Ctrl+Shift+P")), this,
                                     &MainWindow::reloadPlugins);
    reload->setObjectName(QStringLiteral("reloadPluginsAction"));
    QStringList folders;
    for (const auto& f : plugins::PluginHost::instance().folders())
        folders << QString::fromStdString(f.string());
    reload->setToolTip(tr("Plugin folders:\n%1").arg(folders.join(QLatin1Char('\n'))));

    m_viewMenu = menuBar()->addMenu(tr("&View"));
    for (QDockWidget* dock : findChildren<QDockWidget*>())
        m_viewMenu->addAction(dock->toggleViewAction());
    m_viewMenu->addSeparator();
    QAction* log = m_viewMenu->addAction(tr("&Log scale"));
    log->setCheckable(true);
    log->setShortcut(QKeySequence(tr("Ctrl+L")));
    connect(log, &QAction::toggled, heatmapView(), &HeatmapView::setLogScale);
    connect(heatmapView(), &HeatmapView::logScaleChanged, log, &QAction::setChecked);

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About AttnScope"), this, [this] {
        QMessageBox::about(this, tr("About AttnScope"),
                           tr("AttnScope: what do the attention heads of a transformer do?\n"
                              "Click a head to inspect it, Ctrl+click to ablate it, right-click "
                              "for more edits."));
    });
}

void MainWindow::buildStatusBar() {
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
        m_controller->cancelCircuit();
        m_controller->cancelLoad();
    });
    statusBar()->addWidget(m_status, 1);
    statusBar()->addPermanentWidget(m_progress);
    statusBar()->addPermanentWidget(m_cancel);
}

void MainWindow::restoreSettings() {
    QSettings s;
    restoreGeometry(s.value(QStringLiteral("window/geometry")).toByteArray());
    m_docksSized =
        restoreState(s.value(QStringLiteral("window/state")).toByteArray(), kDockLayoutVersion);
    m_promptPanel->setPrompt(s.value(QStringLiteral("prompt")).toString());
    m_promptPanel->setCorruptedPrompt(s.value(QStringLiteral("corruptedPrompt")).toString());
    rebuildRecentMenu();
}

void MainWindow::saveSettings() const {
    QSettings s;
    s.setValue(QStringLiteral("window/geometry"), saveGeometry());
    s.setValue(QStringLiteral("window/state"), saveState(kDockLayoutVersion));
    s.setValue(QStringLiteral("prompt"), m_promptPanel->prompt());
    s.setValue(QStringLiteral("corruptedPrompt"), m_promptPanel->corruptedPrompt());
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
