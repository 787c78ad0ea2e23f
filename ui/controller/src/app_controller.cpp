// Jobs on a one-thread pool with generation numbers (hotspot's jobtracker pattern): the GUI
// thread starts jobs and receives their results; workers see only plain values and the
// app::Session.
#include <QFileInfo>

#include <algorithm>
#include <iterator>

#include "app_controller_jobs.h"
#include "attnscope/app/session.h"
#include "attnscope/ui/app_controller.h"
#include "attnscope/ui/intervention_kinds.h"
#include "value_bridge.h"

namespace attnscope::ui {
namespace {

struct LoadResult : JobStatus {
    std::shared_ptr<app::Session> session;
    std::shared_ptr<app::CircuitSession> circuits;
    ModelSummary summary;
};
struct RunResult : JobStatus {
    std::shared_ptr<const RunSnapshot> run;
};
struct AnalysisResult : JobStatus {
    HeadScoresSnapshot scores;
};
struct CurveResult : JobStatus {
    AblationCurveSnapshot curve;
};
struct SessionResult : JobStatus {
    SessionState state;
};

QString canonical(const QString& path) {
    const QString c = QFileInfo(path).canonicalFilePath();
    return c.isEmpty() ? path : c;
}

}  // namespace

AppController::AppController(QObject* parent) : QObject(parent) {
    qRegisterMetaType<std::shared_ptr<const RunSnapshot>>();
    qRegisterMetaType<ModelSummary>();
    qRegisterMetaType<HeadScoresSnapshot>();
    qRegisterMetaType<AblationCurveSnapshot>();
    qRegisterMetaType<SessionState>();
    qRegisterMetaType<CircuitPtr>();
    qRegisterMetaType<CircuitEvaluationSnapshot>();
    m_pool.setMaxThreadCount(1);
    m_pool.setExpiryTimeout(-1);  // keep the one worker: LibTorch warms up per thread
    m_debounce.setSingleShot(true);
    m_debounce.setInterval(kDebounceMs);
    connect(&m_debounce, &QTimer::timeout, this, &AppController::runNow);
}

AppController::~AppController() {
    for (auto* token : {&m_loadCancel, &m_runCancel, &m_analysisCancel, &m_curveCancel,
                        &m_circuitCancel, &m_evalCancel, &m_effectCancel})
        if (*token) (*token)->store(true);
    m_pool.waitForDone();
}

void AppController::jobStarted() {
    if (m_jobs++ == 0) Q_EMIT busyChanged(true);
}

void AppController::jobEnded() {
    if (--m_jobs == 0) Q_EMIT busyChanged(false);
}

void AppController::openModel(const QString& dir) {
    const quint64 gen = ++m_loadGeneration;
    ++m_runGeneration;  // runs of the previous model are stale now
    auto cancel = jobs::freshToken(m_loadCancel);
    startJob<LoadResult>(
        QStringLiteral("load"), cancel,
        [dir](const capture::Progress& progress) {
            LoadResult r;
            r.session = std::make_shared<app::Session>(dir.toStdString(), progress);
            r.circuits = std::make_shared<app::CircuitSession>(*r.session);
            progress.check();
            r.summary = bridge::toSummary(r.session->model());
            return r;
        },
        [this, gen, dir](LoadResult r) {
            if (gen != m_loadGeneration || r.cancelled) return;
            if (!r.error.isEmpty()) {
                m_pendingSession.reset();
                Q_EMIT modelLoadFailed(QStringLiteral("Cannot open %1:\n%2").arg(dir, r.error));
                return;
            }
            m_circuitSession.reset();  // it refers to the previous session
            m_session = r.session;
            m_circuitSession = r.circuits;
            m_circuits.clear();
            m_summary = r.summary;
            m_lastRun.reset();
            m_results.clear();
            Q_EMIT modelOpened(m_summary);
            applyPendingSession();
        });
}

void AppController::cancelLoad() {
    if (m_loadCancel) m_loadCancel->store(true);
    ++m_loadGeneration;
    m_pendingSession.reset();
    Q_EMIT progressChanged(QStringLiteral("load"), 0.0, tr("cancelled"));
}

void AppController::setPrompt(const QString& prompt) {
    m_request.prompt = prompt;
}

void AppController::setCorruptedPrompt(const QString& prompt) {
    m_request.corruptedPrompt = prompt;
}

void AppController::setInterventions(const InterventionList& items) {
    if (items == m_request.interventions) return;
    // Edge removals act on circuit evaluations only: a change of them alone needs no run.
    const auto headEdits = [](const InterventionList& list) {
        InterventionList out;
        std::copy_if(list.begin(), list.end(), std::back_inserter(out),
                     [](const InterventionItem& i) { return i.kind != kinds::kRemoveEdge; });
        return out;
    };
    const bool rerun = headEdits(items) != headEdits(m_request.interventions);
    m_request.interventions = items;
    if (rerun) scheduleRun();
}

void AppController::scheduleRun() {
    m_debounce.start();
}

void AppController::runNow() {
    m_debounce.stop();
    if (!m_session) {
        Q_EMIT runFailed(tr("Open a model first."));
        return;
    }
    if (m_request.prompt.trimmed().isEmpty()) {
        ++m_runGeneration;  // a pending run of the previous prompt is stale now
        Q_EMIT runFailed(tr("The prompt is empty: type one, then Run (Ctrl+R)."));
        return;
    }
    const quint64 gen = ++m_runGeneration;
    auto cancel = jobs::freshToken(m_runCancel);
    auto session = m_session;
    const app::RunRequest request = bridge::toRequest(m_request);
    startJob<RunResult>(
        QStringLiteral("run"), cancel,
        [session, request, gen](const capture::Progress& progress) {
            const auto result = session->run(request, progress);
            auto s = std::make_shared<RunSnapshot>(bridge::toSnapshot(*result));
            s->result = result;
            s->generation = gen;
            RunResult r;
            r.run = std::move(s);
            return r;
        },
        [this, gen](RunResult r) {
            if (gen != m_runGeneration || r.cancelled) return;  // stale: a newer run exists
            const bool completesSession = m_pendingSession && gen == m_sessionRun;
            if (!r.error.isEmpty()) {
                if (completesSession) m_pendingSession.reset();
                Q_EMIT runFailed(r.error);
                return;
            }
            m_lastRun = r.run;
            Q_EMIT resultsAvailable(m_lastRun);
            if (completesSession) {
                const SessionState state = *m_pendingSession;
                m_pendingSession.reset();
                Q_EMIT sessionLoaded(state);
            }
        });
}

void AppController::startAnalysis(const AnalysisRequest& request) {
    if (!m_session) {
        Q_EMIT analysisFailed(tr("Open a model first."));
        return;
    }
    const quint64 gen = ++m_analysisGeneration;
    auto cancel = jobs::freshToken(m_analysisCancel);
    auto session = m_session;
    const app::ScoreRequest score = bridge::toRequest(request);
    m_analysisRunning = true;
    startJob<AnalysisResult>(
        QStringLiteral("analysis"), cancel,
        [session, score](const capture::Progress& progress) {
            // A cancel throws capture::Cancelled, which startJob reports as cancelled.
            AnalysisResult r;
            r.scores = bridge::toSnapshot(session->score(score, progress));
            return r;
        },
        [this, gen](AnalysisResult r) {
            if (gen != m_analysisGeneration) return;
            m_analysisRunning = false;
            if (r.cancelled) {
                Q_EMIT analysisCancelled();
            } else if (!r.error.isEmpty()) {
                Q_EMIT analysisFailed(r.error);
            } else {
                const HeadScoresSnapshot& s = r.scores;
                auto same = [&s](const HeadScoresSnapshot& o) { return o.metric == s.metric; };
                m_results.erase(std::remove_if(m_results.begin(), m_results.end(), same),
                                m_results.end());
                m_results.push_back(s);
                Q_EMIT analysisFinished(s);
            }
        });
}

AnalysisRequest AppController::requestOf(const HeadScoresSnapshot& scores) {
    return bridge::toAnalysisRequest(app::scoreRequestOf(bridge::toScores(scores)));
}

void AppController::cancelAnalysis() {
    if (m_analysisCancel) m_analysisCancel->store(true);
}

void AppController::startAblationCurve(const AblationCurveRequest& request) {
    if (!m_session) {
        Q_EMIT ablationCurveFailed(tr("Open a model first."));
        return;
    }
    const quint64 gen = ++m_curveGeneration;
    auto cancel = jobs::freshToken(m_curveCancel);
    auto session = m_session;
    app::AblationCurveRequest curve = bridge::toRequest(request);
    curve.prompt = m_request.prompt.toStdString();
    m_curveRunning = true;
    startJob<CurveResult>(
        QStringLiteral("ablation curve"), cancel,
        [session, curve](const capture::Progress& progress) {
            CurveResult r;
            r.curve = bridge::toSnapshot(session->ablationCurve(curve, progress));
            return r;
        },
        [this, gen](CurveResult r) {
            if (gen != m_curveGeneration) return;  // a newer curve replaced this one
            m_curveRunning = false;
            if (r.cancelled)
                Q_EMIT ablationCurveCancelled();
            else if (!r.error.isEmpty())
                Q_EMIT ablationCurveFailed(r.error);
            else
                Q_EMIT ablationCurveFinished(r.curve);
        });
}

void AppController::cancelAblationCurve() {
    if (m_curveCancel) m_curveCancel->store(true);
}

void AppController::saveSession(const QString& path, SessionState state) {
    if (!m_session) {
        Q_EMIT sessionFailed(tr("Open a model first."));
        return;
    }
    state.modelPath = m_summary.path;
    state.prompt = m_request.prompt;
    state.corruptedPrompt = m_request.corruptedPrompt;
    state.interventions = m_request.interventions;
    state.results = m_results;
    state.circuits = m_circuits;
    auto session = m_session;
    const app::SessionDocument document = bridge::toDocument(state);
    auto run = m_lastRun ? m_lastRun->result : nullptr;  // the run the views show
    startJob<SessionResult>(
        QStringLiteral("session"), std::make_shared<std::atomic<bool>>(false),
        [session, run, path, document](const capture::Progress&) {
            session->save(path.toStdString(), document, run.get());
            return SessionResult{};
        },
        [this, path](SessionResult r) {
            if (!r.error.isEmpty())
                Q_EMIT sessionFailed(tr("Cannot save %1:\n%2").arg(path, r.error));
            else
                Q_EMIT sessionSaved(path);
        });
}

void AppController::loadSession(const QString& path) {
    startJob<SessionResult>(
        QStringLiteral("session"), std::make_shared<std::atomic<bool>>(false),
        [path](const capture::Progress&) {
            if (!QFileInfo::exists(path)) throw std::runtime_error("no such file");
            SessionResult r;
            r.state = bridge::toState(app::readSessionFile(path.toStdString()).document);
            return r;
        },
        [this, path](SessionResult r) {
            if (!r.error.isEmpty()) {
                Q_EMIT sessionFailed(tr("Cannot open %1:\n%2").arg(path, r.error));
                return;
            }
            m_pendingSession = std::make_unique<SessionState>(std::move(r.state));
            if (m_session && canonical(m_summary.path) == canonical(m_pendingSession->modelPath))
                applyPendingSession();
            else
                openModel(m_pendingSession->modelPath);
        });
}

void AppController::applyPendingSession() {
    if (!m_pendingSession) return;
    m_request.prompt = m_pendingSession->prompt;
    m_request.corruptedPrompt = m_pendingSession->corruptedPrompt;
    m_request.interventions = m_pendingSession->interventions;
    m_results = m_pendingSession->results;
    m_circuits = m_pendingSession->circuits;
    runNow();
    m_sessionRun = m_runGeneration;
}

}  // namespace attnscope::ui
