// State, transform, picking and mouse handling of the circuit graph; painting is in
// circuit_graph_paint.cpp.
#include "attnscope/ui/circuit_graph_view.h"

#include <QContextMenuEvent>
#include <QCursor>
#include <QMenu>
#include <QMouseEvent>
#include <QToolTip>
#include <QWheelEvent>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>
#include <cmath>

namespace attnscope::ui {
namespace {

using analysis::circuits::NodeKind;

constexpr double kDragThreshold = 4.0;  // pixels a press moves before it becomes a pan
constexpr double kFitMargin = 16.0;

QString signedNumber(double v) {
    return QString::number(v, 'g', 4);
}

}  // namespace

CircuitGraphView::CircuitGraphView(QWidget* parent) : QWidget(parent) {
    setMouseTracking(true);
    setFocusPolicy(Qt::ClickFocus);
    setAttribute(Qt::WA_OpaquePaintEvent);
    connect(&m_ranker, &QFutureWatcherBase::finished, this, [this] {
        if (m_ranker.future().resultCount() == 0) return;
        // A newer setCircuit() started a newer ranking: this one is stale.
        if (m_ranker.property("generation").toULongLong() != m_rankGeneration) return;
        setRanking(m_ranker.result());
    });
}

CircuitGraphView::~CircuitGraphView() {
    m_ranker.waitForFinished();
}

void CircuitGraphView::setCircuit(std::shared_ptr<const Circuit> circuit, bool absoluteRanking) {
    clear();
    if (!circuit) return;
    const quint64 generation = ++m_rankGeneration;
    m_ranker.setProperty("generation", generation);
    m_ranker.setFuture(QtConcurrent::run(
        [circuit, absoluteRanking] { return rankCircuit(circuit, absoluteRanking); }));
    update();
}

void CircuitGraphView::setRanking(std::shared_ptr<const CircuitRanking> ranking) {
    ++m_rankGeneration;  // a ranking still running for an older circuit is stale now
    const bool sameGraph = m_ranking && ranking &&
                           m_layout.graph().layers() == ranking->circuit->graph.layers() &&
                           m_layout.graph().heads() == ranking->circuit->graph.heads() &&
                           m_layout.graph().kvHeads() == ranking->circuit->graph.kvHeads();
    m_ranking = std::move(ranking);
    m_effects.clear();
    m_nodeEffects.clear();
    if (!m_ranking) {
        clear();
        return;
    }
    if (!sameGraph) {
        m_layout = CircuitLayout(m_ranking->circuit->graph);
        m_pinned.clear();
        m_hidden.clear();
        m_selectedNode = -1;
        m_fitted = false;
    }
    m_other.reset();
    std::vector<uint8_t> kept = m_ranking->circuit->inCircuit;
    kept.resize(static_cast<size_t>(m_ranking->edgeCount()), 0);
    setKeptEdges(std::move(kept));
    if (!m_fitted) fitToView();
    Q_EMIT graphReady();
}

void CircuitGraphView::clear() {
    ++m_rankGeneration;
    m_ranking.reset();
    m_other.reset();
    m_kept.clear();
    m_removed.clear();
    m_shown.clear();
    m_effects.clear();
    m_nodeEffects.clear();
    invalidate();
}

void CircuitGraphView::setKeptEdges(std::vector<uint8_t> kept, std::vector<int64_t> removed) {
    m_kept = std::move(kept);
    m_removed = std::set<int64_t>(removed.begin(), removed.end());
    m_effects.clear();
    m_nodeEffects.clear();  // effects were measured against the previous circuit
    rebuildShown();
}

void CircuitGraphView::setComparison(std::shared_ptr<const Circuit> other) {
    m_other = std::move(other);
    rebuildShown();
}

void CircuitGraphView::setNodeRemovalEffect(int node, double delta) {
    m_nodeEffects.insert(node, delta);
    if (node == m_hoverNode && underMouse())
        QToolTip::showText(QCursor::pos(), describeNode(node), this);
}

void CircuitGraphView::setRemovalEffect(int64_t edge, double delta) {
    m_effects.insert(edge, delta);
    // The pointer still rests on the edge: show the measured effect at once.
    if (edge == m_hoverEdge && underMouse())
        QToolTip::showText(QCursor::pos(), describeEdge(edge), this);
}

// The shown edges, best-ranked first: one pass over the ranking's order, so a slider change on
// a million-edge graph costs a few milliseconds.
void CircuitGraphView::rebuildShown() {
    m_shown.clear();
    m_bundleTotals.clear();
    if (m_ranking) {
        for (int64_t e : m_ranking->order)
            if (isShown(e)) m_shown.push_back(e);
        // Bundle totals receiver by receiver (its senders are a node-order prefix), into a
        // dense rows x rows table: no per-edge search on a million-edge graph.
        const auto& g = m_layout.graph();
        const int rows = g.layers() + 2;
        std::vector<Bundle> table(static_cast<size_t>(rows) * rows);
        for (int r = 0; r < static_cast<int>(g.receivers().size()); ++r) {
            const int node = g.receivers()[static_cast<size_t>(r)].node;
            if (isHidden(node)) continue;
            const int receiverRow = m_layout.rowOf(node);
            const int64_t first = g.firstEdge(r);
            for (int sender = 0; sender < g.senderCount(r); ++sender) {
                const int64_t e = first + sender;
                if (!isShown(e) || isHidden(sender)) continue;
                Bundle& b = table[static_cast<size_t>(m_layout.rowOf(sender)) * rows + receiverRow];
                ++b.edges;
                b.weight += edgeWeight(e);
            }
        }
        for (int a = 0; a < rows; ++a)
            for (int b = 0; b < rows; ++b)
                if (table[static_cast<size_t>(a) * rows + b].edges > 0)
                    m_bundleTotals[{a, b}] = table[static_cast<size_t>(a) * rows + b];
    }
    invalidate();
}

bool CircuitGraphView::isShown(int64_t e) const {
    const auto i = static_cast<size_t>(e);
    return (i < m_kept.size() && m_kept[i]) ||
           (m_other && i < m_other->inCircuit.size() && m_other->inCircuit[i]) ||
           m_removed.count(e) > 0;
}

std::vector<int64_t> CircuitGraphView::edgesOf(int node) const {
    const auto& g = m_layout.graph();
    std::vector<int64_t> out;
    for (int r = 0; r < static_cast<int>(g.receivers().size()); ++r) {
        const int64_t first = g.firstEdge(r);
        if (g.receivers()[static_cast<size_t>(r)].node == node) {
            for (int s = 0; s < g.senderCount(r); ++s)
                out.push_back(first + s);
        } else if (node < g.senderCount(r)) {
            out.push_back(first + node);  // the senders of a receiver are a node-order prefix
        }
    }
    return out;
}

std::pair<int, int> CircuitGraphView::rowPair(int64_t e) const {
    const auto& g = m_layout.graph();
    const int receiverNode = g.receivers()[static_cast<size_t>(g.edgeReceiver(e))].node;
    return {m_layout.rowOf(g.edgeSender(e)), m_layout.rowOf(receiverNode)};
}

double CircuitGraphView::edgeWeight(int64_t e) const {
    const auto& scores = m_ranking->circuit->scores;
    const auto i = static_cast<size_t>(e);
    return i < scores.size() && !std::isnan(scores[i]) ? std::abs(double(scores[i])) : 0.0;
}

void CircuitGraphView::invalidate() {
    m_drawnDirty = true;
    m_index.reset();
    update();
}

bool CircuitGraphView::edgeVisible(int64_t edge) const {
    const auto& g = m_layout.graph();
    if (m_hidden.empty()) return true;
    return !m_hidden.count(g.edgeSender(edge)) &&
           !m_hidden.count(g.receivers()[static_cast<size_t>(g.edgeReceiver(edge))].node);
}

void CircuitGraphView::ensureDrawn() const {
    if (!m_drawnDirty) return;
    collectDrawn(QRectF(toGraph(QPointF(0, 0)), toGraph(QPointF(width(), height()))));
    m_drawnDirty = false;
    m_index.reset();
}

const SegmentGrid& CircuitGraphView::pickIndex() const {
    ensureDrawn();
    if (!m_index) {
        // Cells about one head column wide: a pick looks at a handful of short lists.
        m_index = std::make_unique<SegmentGrid>(m_layout.bounds().adjusted(-1, -1, 1, 1),
                                                CircuitLayout::kColumn * 0.5);
        for (int64_t e : m_drawn)
            m_index->insert(e, QLineF(m_layout.edgeStart(e), m_layout.edgeEnd(e)));
    }
    return *m_index;
}

void CircuitGraphView::setSelectedNode(int node) {
    m_selectedNode = node;
    update();
}

bool CircuitGraphView::selectHead(int layer, int head) {
    const auto& g = m_layout.graph();
    if (!isReady() || layer < 0 || layer >= g.layers() || head < 0 || head >= g.heads())
        return false;
    setSelectedNode(g.headNode(layer, head));
    return true;
}

void CircuitGraphView::setPinned(int node, bool pinned) {
    if (pinned)
        m_pinned.insert(node);
    else
        m_pinned.erase(node);
    invalidate();
    Q_EMIT nodesChanged();
}

void CircuitGraphView::setHidden(int node, bool hidden) {
    if (hidden)
        m_hidden.insert(node);
    else
        m_hidden.erase(node);
    rebuildShown();  // the bundles leave out hidden nodes
    Q_EMIT nodesChanged();
}

void CircuitGraphView::showAllNodes() {
    m_hidden.clear();
    rebuildShown();
    Q_EMIT nodesChanged();
}

void CircuitGraphView::setEdgeBudget(int budget) {
    m_budget = std::max(0, budget);
    invalidate();
}

void CircuitGraphView::fitToView() {
    const QRectF b = m_layout.bounds();
    if (b.isEmpty() || width() <= 0 || height() <= 0) return;
    m_fitted = true;
    m_scale =
        std::min((width() - 2 * kFitMargin) / b.width(), (height() - 2 * kFitMargin) / b.height());
    m_scale = std::max(m_scale, 1e-4);
    m_offset = QPointF(width() * 0.5, height() * 0.5) - b.center() * m_scale;
    invalidate();
}

void CircuitGraphView::zoomBy(double factor, const QPointF& anchor) {
    const QPointF g = toGraph(anchor);
    m_scale = std::clamp(m_scale * factor, 1e-4, 100.0);
    m_offset = anchor - g * m_scale;
    invalidate();
}

void CircuitGraphView::panBy(const QPointF& delta) {
    m_offset += delta;
    invalidate();
}

int CircuitGraphView::nodeAtScreen(const QPointF& pos) const {
    if (!isReady()) return -1;
    const int node = m_layout.nodeAt(toGraph(pos));
    return node >= 0 && !isHidden(node) ? node : -1;
}

int64_t CircuitGraphView::edgeAtScreen(const QPointF& pos) const {
    if (!isReady()) return -1;
    return pickIndex().nearest(toGraph(pos), kPickRadius / m_scale);
}

QPointF CircuitGraphView::edgeMidpoint(int64_t edge) const {
    return toScreen((m_layout.edgeStart(edge) + m_layout.edgeEnd(edge)) * 0.5);
}

QString CircuitGraphView::describeEdge(int64_t edge) const {
    if (!isReady() || edge < 0 || edge >= m_ranking->edgeCount()) return {};
    const auto& c = *m_ranking->circuit;
    const auto i = static_cast<size_t>(edge);
    const double score = i < c.scores.size() ? double(c.scores[i]) : NAN;
    QString text = QString::fromStdString(c.graph.edgeName(edge));
    text += tr("\nscore %1, rank %2 of %3")
                .arg(signedNumber(score))
                .arg(m_ranking->rank[i] + 1)
                .arg(m_ranking->edgeCount());
    const bool kept = i < m_kept.size() && m_kept[i];
    if (m_removed.count(edge))
        text += tr("\nremoved by an edit (click to restore)");
    else if (!kept)
        text += tr("\nnot in the circuit");
    if (m_effects.contains(edge))
        text += tr("\neffect when removed: faithfulness %1%2")
                    .arg(m_effects.value(edge) >= 0 ? QStringLiteral("+") : QString())
                    .arg(signedNumber(m_effects.value(edge)));
    else if (kept && std::isfinite(score))
        // EAP's score is the first-order change of the metric when the edge is removed.
        text +=
            tr("\neffect when removed (attribution estimate): metric %1").arg(signedNumber(-score));
    if (m_other && i < m_other->inCircuit.size())
        text += m_other->inCircuit[i] ? (kept ? tr("\nin A and B") : tr("\nin B only"))
                                      : tr("\nin A only");
    return text;
}

QString CircuitGraphView::describeNode(int node) const {
    if (!isReady() || node < 0 || node >= static_cast<int>(m_layout.graph().nodes().size()))
        return {};
    const auto n = static_cast<size_t>(node);
    QString text = QString::fromStdString(m_layout.graph().nodeName(node));
    text += tr("\nscore %1 (sum of |edge score|), rank %2 of %3")
                .arg(signedNumber(m_ranking->nodeScore[n]))
                .arg(m_ranking->nodeRank[n] + 1)
                .arg(m_ranking->nodeScore.size());
    int64_t keptIn = 0, keptOut = 0;
    const auto& g = m_layout.graph();
    for (int64_t e : m_shown) {
        if (!m_kept[static_cast<size_t>(e)]) continue;
        if (g.edgeSender(e) == node) ++keptOut;
        if (g.receivers()[static_cast<size_t>(g.edgeReceiver(e))].node == node) ++keptIn;
    }
    text += tr("\nkept edges: %1 in, %2 out").arg(keptIn).arg(keptOut);
    if (keptIn + keptOut == 0)
        text += tr("\neffect when removed: none (not in the circuit)");
    else if (m_nodeEffects.contains(node))
        text += tr("\neffect when removed (its %1 kept edges): faithfulness %2%3")
                    .arg(keptIn + keptOut)
                    .arg(m_nodeEffects.value(node) >= 0 ? QStringLiteral("+") : QString())
                    .arg(signedNumber(m_nodeEffects.value(node)));
    else
        text += tr("\neffect when removed: measuring\u2026");
    if (isPinned(node)) text += tr("\npinned");
    return text;
}

QString CircuitGraphView::legendText() const {
    if (!isReady()) return {};
    const auto& c = *m_ranking->circuit;
    QString method = QString::fromStdString(c.method);
    if (!c.metric.empty()) method += QStringLiteral(", ") + QString::fromStdString(c.metric);
    if (m_other)
        return tr("A only / B only / both (A: %1, B: %2)")
            .arg(method, QString::fromStdString(m_other->method));
    return tr("%1, ranked by %2 \u2014 colour: sign (red +, blue \u2212); width \u221d "
              "\u221a(|score| / max |score|), max |score| = %3")
        .arg(method, m_ranking->absolute ? tr("|score|") : tr("signed score (as the curve)"),
             signedNumber(m_ranking->maxAbsScore));
}

void CircuitGraphView::resizeEvent(QResizeEvent* event) {
    QWidget::resizeEvent(event);
    if (!m_fitted) fitToView();
    invalidate();
}

void CircuitGraphView::wheelEvent(QWheelEvent* event) {
    const double steps = event->angleDelta().y() / 120.0;
    zoomBy(std::pow(1.2, steps), event->position());
    event->accept();
}

void CircuitGraphView::mousePressEvent(QMouseEvent* event) {
    m_pressPos = event->position();
    m_dragging = false;
    QWidget::mousePressEvent(event);
}

void CircuitGraphView::mouseMoveEvent(QMouseEvent* event) {
    if (event->buttons() & Qt::LeftButton) {
        const QPointF delta = event->position() - m_pressPos;
        if (m_dragging || std::hypot(delta.x(), delta.y()) > kDragThreshold) {
            m_dragging = true;
            panBy(delta);
            m_pressPos = event->position();
        }
        return;
    }
    const int node = nodeAtScreen(event->position());
    const int64_t edge = node < 0 ? edgeAtScreen(event->position()) : -1;
    if (node != m_hoverNode) {
        m_hoverNode = node;
        if (node >= 0) Q_EMIT nodeHovered(node);
    }
    if (edge != m_hoverEdge) {
        m_hoverEdge = edge;
        if (edge >= 0) Q_EMIT edgeHovered(edge);
        update();
    }
    const QString tip = node >= 0 ? describeNode(node) : describeEdge(edge);
    if (tip.isEmpty())
        QToolTip::hideText();
    else
        QToolTip::showText(event->globalPosition().toPoint(), tip, this);
}

void CircuitGraphView::mouseReleaseEvent(QMouseEvent* event) {
    if (event->button() != Qt::LeftButton || m_dragging) {
        m_dragging = false;
        return;
    }
    const int node = nodeAtScreen(event->position());
    if (node >= 0) {
        setSelectedNode(node);
        Q_EMIT nodeClicked(node);
        const auto& n = m_layout.graph().nodes()[static_cast<size_t>(node)];
        if (n.kind == NodeKind::Head) Q_EMIT headClicked(n.layer, n.head);
        return;
    }
    const int64_t edge = edgeAtScreen(event->position());
    if (edge >= 0) Q_EMIT edgeClicked(edge);
}

void CircuitGraphView::mouseDoubleClickEvent(QMouseEvent*) {
    fitToView();
}

void CircuitGraphView::contextMenuEvent(QContextMenuEvent* event) {
    QMenu menu(this);
    const int node = nodeAtScreen(event->pos());
    if (node >= 0) {
        const QString name = QString::fromStdString(m_layout.graph().nodeName(node));
        QAction* pin = menu.addAction(tr("Pin %1 (always draw its edges)").arg(name));
        pin->setCheckable(true);
        pin->setChecked(isPinned(node));
        connect(pin, &QAction::toggled, this, [this, node](bool on) { setPinned(node, on); });
        menu.addAction(tr("Hide %1").arg(name), this, [this, node] { setHidden(node, true); });
        menu.addSeparator();
    }
    QAction* show = menu.addAction(tr("Show hidden nodes (%1)").arg(m_hidden.size()), this,
                                   &CircuitGraphView::showAllNodes);
    show->setEnabled(!m_hidden.empty());
    menu.addAction(tr("Fit to view"), this, &CircuitGraphView::fitToView);
    menu.exec(event->globalPos());
}

}  // namespace attnscope::ui
