// Circuit jobs of the controller: discovery, evaluation of a kept-edge set (one patched
// forward, stale results dropped), scorecards and circuit files. The worker sees only plain
// values, the Session and its CircuitSession.
#include <QFileInfo>

#include <mutex>

#include "app_controller_jobs.h"
#include "attnscope/analysis/circuits/circuit_files.h"
#include "attnscope/analysis/circuits/circuit_store.h"
#include "attnscope/app/circuit_session.h"
#include "attnscope/ui/app_controller.h"
#include "value_bridge.h"

namespace attnscope::ui {
namespace {

namespace circuits = analysis::circuits;

struct CircuitResult : JobStatus {
    CircuitPtr circuit;
};
struct EvaluationResult : JobStatus {
    CircuitEvaluationSnapshot evaluation;
};

CircuitEvaluationSnapshot toSnapshot(const app::CircuitEvaluation& e, quint64 generation) {
    CircuitEvaluationSnapshot s;
    s.generation = generation;
    s.keptEdges = e.keptEdges;
    s.totalEdges = e.totalEdges;
    s.metric = e.metric;
    s.fullModel = e.fullModel;
    s.emptyCircuit = e.emptyCircuit;
    s.faithfulness = e.faithfulness;
    s.predictions = bridge::toSnapshot(e.predictions);
    return s;
}

}  // namespace

namespace {

// ACDC's latest state, handed from the worker to the GUI thread: the worker overwrites it and
// posts one delivery at a time, so states the GUI thread had no time for are skipped.
struct PruningMailbox {
    std::mutex mutex;
    std::shared_ptr<circuits::Circuit> latest;  // guarded by mutex
    bool posted = false;                        // guarded by mutex
};

}  // namespace

void AppController::startCircuit(const app::CircuitRequest& request) {
    if (!m_session) {
        Q_EMIT circuitFailed(tr("Open a model first."));
        return;
    }
    const quint64 gen = ++m_circuitGeneration;
    auto cancel = jobs::freshToken(m_circuitCancel);
    auto session = m_session;
    auto circuits = m_circuitSession;
    m_circuitRunning = true;
    auto mailbox = std::make_shared<PruningMailbox>();
    // Runs on the GUI thread (queued from the worker).
    const auto deliver = [this, mailbox, gen] {
        std::shared_ptr<circuits::Circuit> partial;
        {
            std::lock_guard<std::mutex> lock(mailbox->mutex);
            partial = std::move(mailbox->latest);
            mailbox->posted = false;
        }
        if (partial && gen == m_circuitGeneration && m_circuitRunning)
            Q_EMIT circuitPruned(std::move(partial));
    };
    // Runs on the worker, after each ACDC receiver.
    circuits::AcdcObserver observer = [this, mailbox, deliver, graph = circuits->graph()](
                                          const std::vector<uint8_t>& kept,
                                          const std::vector<float>& scores) {
        auto partial = std::make_shared<circuits::Circuit>();
        partial->graph = graph;
        partial->method = "acdc";
        partial->scores = scores;
        partial->inCircuit = kept;
        std::lock_guard<std::mutex> lock(mailbox->mutex);
        mailbox->latest = std::move(partial);
        if (mailbox->posted) return;
        mailbox->posted = true;
        QMetaObject::invokeMethod(this, deliver, Qt::QueuedConnection);
    };
    startJob<CircuitResult>(
        QStringLiteral("circuit"), cancel,
        [session, circuits, request, observer](const capture::Progress& progress) {
            CircuitResult r;
            r.circuit = std::make_shared<const circuits::Circuit>(
                circuits->discover(request, progress, observer));
            return r;
        },
        [this, gen](CircuitResult r) {
            if (gen != m_circuitGeneration) return;  // a newer discovery replaced this one
            m_circuitRunning = false;
            if (r.cancelled)
                Q_EMIT circuitCancelled();
            else if (!r.error.isEmpty())
                Q_EMIT circuitFailed(r.error);
            else
                Q_EMIT circuitFinished(r.circuit);
        });
}

void AppController::cancelCircuit() {
    if (m_circuitCancel) m_circuitCancel->store(true);
}

void AppController::evaluateCircuit(const app::CircuitRequest& request, std::vector<uint8_t> kept) {
    if (!m_session) {
        Q_EMIT circuitEvaluationFailed(tr("Open a model first."));
        return;
    }
    const quint64 gen = ++m_evalGeneration;
    // The previous evaluation is stale: cancel it (a queued one then ends at once).
    auto cancel = jobs::freshToken(m_evalCancel);
    auto session = m_session;
    auto circuits = m_circuitSession;
    startJob<EvaluationResult>(
        QStringLiteral("circuit evaluation"), cancel,
        [session, circuits, request, kept = std::move(kept),
         gen](const capture::Progress& progress) {
            circuits->prepare(request.pairs, request.metric, request.ablation, progress);
            EvaluationResult r;
            r.evaluation = toSnapshot(circuits->evaluate(kept, progress), gen);
            return r;
        },
        [this, gen](EvaluationResult r) {
            if (gen != m_evalGeneration || r.cancelled) return;  // stale
            if (!r.error.isEmpty())
                Q_EMIT circuitEvaluationFailed(r.error);
            else
                Q_EMIT circuitEvaluated(r.evaluation);
        });
}

void AppController::measureWithout(const app::CircuitRequest& request, std::vector<uint8_t> kept,
                                   std::function<void(double)> deliver) {
    const quint64 gen = ++m_effectGeneration;
    auto cancel = jobs::freshToken(m_effectCancel);
    auto session = m_session;
    auto circuits = m_circuitSession;
    startJob<EvaluationResult>(
        QStringLiteral("edge effect"), cancel,
        [session, circuits, request, kept = std::move(kept)](const capture::Progress& progress) {
            circuits->prepare(request.pairs, request.metric, request.ablation, progress);
            EvaluationResult r;
            r.evaluation = toSnapshot(circuits->evaluate(kept, progress), 0);
            return r;
        },
        [this, gen, deliver = std::move(deliver)](EvaluationResult r) {
            if (gen != m_effectGeneration || r.cancelled || !r.error.isEmpty()) return;
            deliver(r.evaluation.faithfulness);
        });
}

void AppController::measureEdgeRemoval(const app::CircuitRequest& request,
                                       std::vector<uint8_t> kept, qint64 edge) {
    if (!m_session || edge < 0 || static_cast<size_t>(edge) >= kept.size()) return;
    kept[static_cast<size_t>(edge)] = 0;
    measureWithout(request, std::move(kept), [this, edge](double faithfulness) {
        Q_EMIT edgeRemovalMeasured(edge, faithfulness);
    });
}

void AppController::measureNodeRemoval(const app::CircuitRequest& request,
                                       std::vector<uint8_t> kept, int node,
                                       const std::vector<int64_t>& edges) {
    if (!m_session) return;
    for (int64_t e : edges)
        if (e >= 0 && static_cast<size_t>(e) < kept.size()) kept[static_cast<size_t>(e)] = 0;
    measureWithout(request, std::move(kept), [this, node](double faithfulness) {
        Q_EMIT nodeRemovalMeasured(node, faithfulness);
    });
}

void AppController::scoreCircuit(const app::CircuitRequest& request, CircuitPtr circuit) {
    if (!m_session || !circuit) return;
    auto session = m_session;
    auto circuits = m_circuitSession;
    const quint64 gen = m_circuitGeneration;
    startJob<CircuitResult>(
        QStringLiteral("circuit"), std::make_shared<std::atomic<bool>>(false),
        [session, circuits, request, circuit](const capture::Progress& progress) {
            circuits->prepare(request.pairs, request.metric, request.ablation, progress);
            const app::CircuitScorecard card = circuits->scorecard(*circuit, "circuit", progress);
            auto scored = std::make_shared<circuits::Circuit>(*circuit);
            scored->curve = card.curve;
            scored->cpr = card.cpr;
            scored->cmd = card.cmd;
            CircuitResult r;
            r.circuit = std::move(scored);
            return r;
        },
        [this, gen](CircuitResult r) {
            if (gen != m_circuitGeneration) return;  // a discovery since replaced the circuit
            if (!r.error.isEmpty())
                Q_EMIT circuitFailed(r.error);
            else if (!r.cancelled)
                Q_EMIT circuitScored(r.circuit);
        });
}

void AppController::openCircuitFile(const QString& path, int slot) {
    if (!m_session) {
        Q_EMIT circuitFailed(tr("Open a model first."));
        return;
    }
    const ModelSummary model = m_summary;
    startJob<CircuitResult>(
        QStringLiteral("circuit"), std::make_shared<std::atomic<bool>>(false),
        [path, model](const capture::Progress&) {
            if (!QFileInfo::exists(path)) throw std::runtime_error("no such file");
            auto circuit =
                std::make_shared<circuits::Circuit>(circuits::readCircuitFile(path.toStdString()));
            circuits::checkCircuitFitsModel(*circuit, model.layers, model.heads, model.kvHeads,
                                            model.fingerprint.toStdString(), path.toStdString());
            CircuitResult r;
            r.circuit = std::move(circuit);
            return r;
        },
        [this, path, slot](CircuitResult r) {
            if (!r.error.isEmpty())
                Q_EMIT circuitFailed(tr("Cannot open %1:\n%2").arg(path, r.error));
            else if (!r.cancelled)
                Q_EMIT circuitFileOpened(r.circuit, slot, path);
        });
}

}  // namespace attnscope::ui
