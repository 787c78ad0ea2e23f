// Painting and export of the circuit graph. Edges are drawn in batches, one drawLines() call
// per colour and width step, in screen coordinates (a cosmetic pen width whatever the zoom).
#include <QFileInfo>
#include <QPaintEvent>
#include <QPainter>
#include <QPdfWriter>
#include <QSvgGenerator>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <unordered_set>

#include "attnscope/ui/circuit_graph_view.h"
#include "circuit_colours.h"

namespace attnscope::ui {
namespace {

using analysis::circuits::NodeKind;
using analysis::circuits::Port;

using circuit_colours::kBoth;
using circuit_colours::kNegative;
using circuit_colours::kOnlyA;
using circuit_colours::kOnlyB;
using circuit_colours::kPortK;
using circuit_colours::kPortQ;
using circuit_colours::kPortV;
using circuit_colours::kPositive;
using circuit_colours::kRemoved;

constexpr int kWidthSteps = 6;
constexpr size_t kSmoothEdges = 800;
constexpr double kMinWidth = 0.6;
constexpr double kMaxWidth = 6.0;

enum Category { Positive, Negative, Removed, OnlyA, OnlyB, Both, kCategories };

QColor categoryColour(int c) {
    switch (c) {
        case Positive:
            return kPositive;
        case Negative:
            return kNegative;
        case Removed:
            return kRemoved;
        case OnlyA:
            return kOnlyA;
        case OnlyB:
            return kOnlyB;
        default:
            return kBoth;
    }
}

}  // namespace

// Per paint: the edges of pinned nodes and the removed ones, then the best-ranked shown edges
// that cross the viewport until the budget is full. The walk is bounded, so a paint costs the
// budget, not the edge count; the bundles are the layer-to-layer totals (rebuildShown()) minus
// what was drawn.
void CircuitGraphView::collectDrawn(const QRectF& viewport) const {
    m_drawn.clear();
    m_bundles.clear();
    m_bundled = 0;
    if (!isReady()) return;
    const QRectF view = viewport.normalized();
    const auto inView = [&](int64_t e) {
        const QPointF a = m_layout.edgeStart(e);
        const QPointF b = m_layout.edgeEnd(e);
        return view.intersects(QRectF(a, b).normalized().adjusted(-1, -1, 1, 1));
    };
    std::unordered_set<int64_t> forced(m_removed.begin(), m_removed.end());
    for (int node : m_pinned)
        for (int64_t e : edgesOf(node))
            if (isShown(e)) forced.insert(e);
    for (int64_t e : forced)
        if (edgeVisible(e) && inView(e)) m_drawn.push_back(e);
    const size_t budget = static_cast<size_t>(m_budget) + m_drawn.size();
    const size_t walkLimit = 20 * static_cast<size_t>(m_budget) + 20000;
    for (size_t i = 0; i < m_shown.size() && i < walkLimit && m_drawn.size() < budget; ++i) {
        const int64_t e = m_shown[i];
        if (forced.count(e) || !edgeVisible(e) || !inView(e)) continue;
        m_drawn.push_back(e);
    }
    auto totals = m_bundleTotals;
    for (int64_t e : m_drawn) {
        if (!edgeVisible(e)) continue;
        auto it = totals.find(rowPair(e));
        if (it == totals.end()) continue;
        --it->second.edges;
        it->second.weight -= edgeWeight(e);
    }
    for (const auto& [rows, b] : totals)
        if (b.edges > 0) {
            m_bundles.push_back({rows, b});
            m_bundled += b.edges;
        }
}

void CircuitGraphView::paintEvent(QPaintEvent*) {
    QPainter p(this);
    render(p, rect());
}

void CircuitGraphView::render(QPainter& p, const QRectF& target) {
    p.fillRect(target, palette().base());
    if (!isReady()) {
        p.setPen(palette().color(QPalette::PlaceholderText));
        const bool ranking = m_ranker.isRunning();
        p.drawText(target, Qt::AlignCenter,
                   ranking ? tr("Preparing the graph\u2026")
                           : tr("No circuit yet: run EAP, EAP-IG or ACDC, or open a circuit."));
        return;
    }
    ensureDrawn();
    paintBundles(p);
    paintEdges(p);
    paintNodes(p);
    paintLegend(p, target);
}

void CircuitGraphView::paintEdges(QPainter& p) const {
    const auto& c = *m_ranking->circuit;
    const bool compare = m_other != nullptr;
    const double maxAbs = m_ranking->maxAbsScore > 0 ? m_ranking->maxAbsScore : 1.0;
    std::array<std::array<QVector<QLineF>, kWidthSteps>, kCategories> batches;
    for (int64_t e : m_drawn) {
        const auto i = static_cast<size_t>(e);
        const float s = i < c.scores.size() ? c.scores[i] : NAN;
        int category;
        if (m_removed.count(e))
            category = Removed;
        else if (compare) {
            const bool inA = m_kept[i] != 0;
            const bool inB = i < m_other->inCircuit.size() && m_other->inCircuit[i];
            category = inA && inB ? Both : inA ? OnlyA : OnlyB;
        } else {
            category = std::isnan(s) || s >= 0 ? Positive : Negative;
        }
        const double magnitude = std::isnan(s) ? 0.0 : std::sqrt(std::abs(double(s)) / maxAbs);
        const int step = std::clamp(static_cast<int>(magnitude * kWidthSteps), 0, kWidthSteps - 1);
        batches[static_cast<size_t>(category)][static_cast<size_t>(step)].push_back(
            QLineF(toScreen(m_layout.edgeStart(e)), toScreen(m_layout.edgeEnd(e))));
    }
    // Antialiased wide lines cost several times more than aliased ones: a small circuit is
    // drawn smooth, a crowded one fast (the redraw target is 30 ms for 32,491 edges).
    p.setRenderHint(QPainter::Antialiasing, m_drawn.size() <= kSmoothEdges);
    for (int category = 0; category < kCategories; ++category)
        for (int step = 0; step < kWidthSteps; ++step) {
            const auto& lines = batches[static_cast<size_t>(category)][static_cast<size_t>(step)];
            if (lines.isEmpty()) continue;
            const double width =
                kMinWidth + (kMaxWidth - kMinWidth) * std::pow((step + 0.5) / kWidthSteps, 1.0);
            QColor colour = categoryColour(category);
            colour.setAlphaF(category == Removed ? 0.8 : 0.35 + 0.55 * (step + 1) / kWidthSteps);
            QPen pen(colour, width);
            pen.setCapStyle(Qt::FlatCap);
            if (category == Removed) pen.setStyle(Qt::DashLine);
            p.setPen(pen);
            p.drawLines(lines);
        }
    if (m_hoverEdge >= 0 &&
        std::find(m_drawn.begin(), m_drawn.end(), m_hoverEdge) != m_drawn.end()) {
        p.setRenderHint(QPainter::Antialiasing, true);
        p.setPen(QPen(QColor(0, 0, 0, 160), 2.5));
        p.drawLine(QLineF(toScreen(m_layout.edgeStart(m_hoverEdge)),
                          toScreen(m_layout.edgeEnd(m_hoverEdge))));
    }
}

void CircuitGraphView::paintBundles(QPainter& p) const {
    if (m_bundles.empty()) return;
    double maxWeight = 0;
    for (const auto& [rows, b] : m_bundles)
        maxWeight = std::max(maxWeight, b.weight);
    if (maxWeight <= 0) maxWeight = 1;
    p.setRenderHint(QPainter::Antialiasing, true);
    const double x =
        toScreen(QPointF(m_layout.bounds().right() - CircuitLayout::kColumn * 0.25, 0)).x();
    for (const auto& [rows, b] : m_bundles) {
        // A band at the graph's right edge from the sender row to the receiver row, offset
        // by the span so that bands of different lengths do not overlap.
        const double span = rows.second - rows.first;
        const double bx = x + span * 6;
        const double width = 2 + 14 * std::sqrt(b.weight / maxWeight);
        QPen pen(QColor(120, 120, 120, 70), width);
        pen.setCapStyle(Qt::FlatCap);
        p.setPen(pen);
        p.drawLine(QPointF(bx, toScreen(QPointF(0, m_layout.rowY(rows.first))).y()),
                   QPointF(bx, toScreen(QPointF(0, m_layout.rowY(rows.second))).y()));
    }
}

void CircuitGraphView::paintNodes(QPainter& p) const {
    const auto& g = m_layout.graph();
    p.setRenderHint(QPainter::Antialiasing, true);
    const double maxNode = std::max(
        1e-12, *std::max_element(m_ranking->nodeScore.begin(), m_ranking->nodeScore.end()));
    const bool labels = CircuitLayout::kHeadWidth * m_scale >= 26;
    QFont font = p.font();
    font.setPointSizeF(std::clamp(8.0 * std::min(m_scale, 1.5), 5.0, 11.0));
    p.setFont(font);
    for (int node = 0; node < static_cast<int>(g.nodes().size()); ++node) {
        if (isHidden(node)) continue;
        const QRectF box(toScreen(m_layout.nodeRect(node).topLeft()),
                         toScreen(m_layout.nodeRect(node).bottomRight()));
        const double share = m_ranking->nodeScore[static_cast<size_t>(node)] / maxNode;
        const auto kind = g.nodes()[static_cast<size_t>(node)].kind;
        QColor fill = kind == NodeKind::Mlp ? QColor(225, 232, 240) : QColor(240, 240, 240);
        fill = QColor::fromRgbF(fill.redF() * (1 - 0.35 * share), fill.greenF() * (1 - 0.2 * share),
                                fill.blueF() * (1 - 0.05 * share));
        QPen pen(QColor(90, 90, 90), 1);
        if (isPinned(node)) pen = QPen(QColor(20, 20, 20), 2.5);
        if (node == m_selectedNode) pen = QPen(QColor(255, 140, 0), 3);
        p.setPen(pen);
        p.setBrush(fill);
        p.drawRoundedRect(box, 3, 3);
        if (labels) {
            p.setPen(palette().color(QPalette::Text));
            p.drawText(box, Qt::AlignCenter, QString::fromStdString(g.nodeName(node)));
        }
    }
    // Ports: q per head, k and v per KV head (on the group's bar when grouped).
    const double radius = std::clamp(3.0 * m_scale, 1.0, 4.0);
    p.setPen(Qt::NoPen);
    if (g.grouped()) {
        p.setBrush(QColor(200, 200, 200));
        for (int l = 0; l < g.layers(); ++l)
            for (int k = 0; k < g.kvHeads(); ++k) {
                const QRectF bar = m_layout.kvBar(l, k);
                p.drawRect(QRectF(toScreen(bar.topLeft()), toScreen(bar.bottomRight())));
            }
    }
    for (int r = 0; r < static_cast<int>(g.receivers().size()); ++r) {
        const auto& in = g.receivers()[static_cast<size_t>(r)];
        if (in.port == Port::Residual || isHidden(in.node)) continue;
        p.setBrush(in.port == Port::Q ? kPortQ : in.port == Port::K ? kPortK : kPortV);
        p.drawEllipse(toScreen(m_layout.receiverPoint(r)), radius, radius);
    }
}

void CircuitGraphView::paintLegend(QPainter& p, const QRectF& target) const {
    QFont font = this->font();
    font.setPointSizeF(8);
    p.setFont(font);
    const QFontMetricsF fm(font);
    struct Item {
        QColor colour;
        QString text;
        bool line;
    };
    std::vector<Item> items;
    if (m_other) {
        items = {
            {kOnlyA, tr("A only"), true}, {kOnlyB, tr("B only"), true}, {kBoth, tr("both"), true}};
    } else {
        items = {{kPositive, tr("score > 0"), true}, {kNegative, tr("score < 0"), true}};
    }
    if (!m_removed.empty()) items.push_back({kRemoved, tr("removed by an edit"), true});
    items.push_back({kPortQ, tr("q port"), false});
    items.push_back({kPortK, tr("k port"), false});
    items.push_back({kPortV, tr("v port"), false});
    const QString note = legendText();
    QString counts = tr("%1 of %2 edges kept")
                         .arg(std::count(m_kept.begin(), m_kept.end(), 1))
                         .arg(m_kept.size());
    if (m_bundled > 0)
        counts += tr("; %1 drawn, %2 bundled by layer").arg(m_drawn.size()).arg(m_bundled);
    const double line = fm.height();
    double width = std::max(fm.horizontalAdvance(note), fm.horizontalAdvance(counts));
    for (const Item& i : items)
        width = std::max(width, 24 + fm.horizontalAdvance(i.text));
    const QRectF box(target.left() + 6, target.top() + 6, width + 12,
                     line * (items.size() + 2) + 10);
    p.setRenderHint(QPainter::Antialiasing, true);
    p.setPen(QColor(200, 200, 200));
    p.setBrush(QColor(255, 255, 255, 225));
    p.drawRect(box);
    double y = box.top() + 5;
    p.setPen(palette().color(QPalette::Text));
    p.drawText(QPointF(box.left() + 6, y + fm.ascent()), note);
    y += line;
    p.drawText(QPointF(box.left() + 6, y + fm.ascent()), counts);
    y += line;
    for (const Item& i : items) {
        const double mid = y + line * 0.5;
        if (i.line) {
            p.setPen(QPen(i.colour, 3));
            p.drawLine(QPointF(box.left() + 6, mid), QPointF(box.left() + 22, mid));
        } else {
            p.setPen(Qt::NoPen);
            p.setBrush(i.colour);
            p.drawEllipse(QPointF(box.left() + 14, mid), 3.5, 3.5);
        }
        p.setPen(palette().color(QPalette::Text));
        p.drawText(QPointF(box.left() + 28, y + fm.ascent()), i.text);
        y += line;
    }
}

bool CircuitGraphView::exportTo(const QString& path, QSize size, QString* error) {
    auto fail = [&](const QString& message) {
        if (error) *error = message;
        return false;
    };
    if (!isReady()) return fail(tr("no circuit to export"));
    if (!size.isValid() || size.isEmpty()) size = this->size().expandedTo(QSize(800, 600));
    const QString suffix = QFileInfo(path).suffix().toLower();
    if (suffix != QLatin1String("png") && suffix != QLatin1String("svg") &&
        suffix != QLatin1String("pdf"))
        return fail(tr("unknown image format \"%1\" (use png, svg or pdf)").arg(suffix));
    // The export shows the whole graph: fit it to the export's size, then restore the view.
    const double scale = m_scale;
    const QPointF offset = m_offset;
    const QRectF b = m_layout.bounds();
    const double margin = 16;
    m_scale = std::min((size.width() - 2 * margin) / b.width(),
                       (size.height() - 2 * margin) / b.height());
    m_offset = QPointF(size.width() * 0.5, size.height() * 0.5) - b.center() * m_scale;
    m_drawnDirty = true;
    collectDrawn(QRectF(toGraph(QPointF(0, 0)), toGraph(QPointF(size.width(), size.height()))));
    m_drawnDirty = false;
    bool ok = true;
    const QRectF target(QPointF(0, 0), QSizeF(size));
    if (suffix == QLatin1String("png")) {
        QImage image(size, QImage::Format_ARGB32_Premultiplied);
        image.fill(Qt::white);
        {
            QPainter p(&image);
            render(p, target);
        }
        ok = image.save(path, "PNG");
    } else if (suffix == QLatin1String("svg")) {
        QSvgGenerator svg;
        svg.setFileName(path);
        svg.setSize(size);
        svg.setViewBox(target);
        svg.setTitle(legendText());
        QPainter p;
        ok = p.begin(&svg);
        if (ok) render(p, target);
    } else {
        QPdfWriter pdf(path);
        pdf.setResolution(96);
        pdf.setPageSize(QPageSize(QSizeF(size), QPageSize::Point));
        pdf.setPageMargins(QMarginsF(0, 0, 0, 0));
        QPainter p;
        ok = p.begin(&pdf);
        if (ok) {
            // The PDF's paint area is in device pixels at 96 dpi, a little larger than points.
            const double s =
                std::min(pdf.width() / double(size.width()), pdf.height() / double(size.height()));
            p.scale(s, s);
            render(p, target);
        }
    }
    m_scale = scale;
    m_offset = offset;
    invalidate();
    return ok ? true : fail(tr("could not write %1").arg(path));
}

}  // namespace attnscope::ui
