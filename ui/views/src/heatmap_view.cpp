#include "attnscope/ui/heatmap_view.h"

#include "attnscope/ui/attention_tile.h"
#include "attnscope/ui/colour_gradients.h"
#include "attnscope/ui/qcustomplot_wrapper.h"
#include "attnscope/ui/token_text.h"

#include <QCheckBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QTimer>
#include <QToolTip>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <limits>

namespace attnscope::ui {
namespace {

constexpr int kLabelChars = 14;
constexpr int kTileDebounceMs = 15;

// Keeps an axis inside the cells [-0.5, n - 0.5] and no narrower than one cell.
void clampAxis(QCPAxis* axis, int n) {
    const double lo = -0.5;
    const double hi = n - 0.5;
    QCPRange r = axis->range();
    const double size = std::clamp(r.size(), std::min(1.0, hi - lo), hi - lo);
    const double centre = r.center();
    r = QCPRange(centre - size / 2, centre + size / 2);
    if (r.lower < lo) r = QCPRange(lo, lo + size);
    if (r.upper > hi) r = QCPRange(hi - size, hi);
    if (r.lower != axis->range().lower || r.upper != axis->range().upper) axis->setRange(r);
}

// Visible cells [first, last) of an axis showing cells 0..n-1 centred on integers.
std::pair<int, int> visibleCells(const QCPRange& r, int n) {
    const int first = std::clamp(static_cast<int>(std::floor(r.lower + 0.5)), 0, n);
    const int last = std::clamp(static_cast<int>(std::ceil(r.upper + 0.5)), first, n);
    return {first, last};
}

// Label step rounded up to 1, 2 or 5 x 10^k, so labels stay put while panning.
int niceStep(int raw) {
    int base = 1;
    while (true) {
        for (int m : {1, 2, 5})
            if (m * base >= raw) return m * base;
        base *= 10;
    }
}

}  // namespace

HeatmapView::HeatmapView(QWidget* parent) : PlotView(parent) {
    auto* bar = new QHBoxLayout;
    m_title = new QLabel(this);
    m_logBox = new QCheckBox(tr("Log scale"), this);
    bar->addWidget(m_title, 1);
    bar->addWidget(m_logBox);
    mainLayout()->insertLayout(0, bar);
    m_readout = new QLabel(this);
    m_readout->setTextInteractionFlags(Qt::TextSelectableByMouse);
    mainLayout()->addWidget(m_readout);
    connect(m_logBox, &QCheckBox::toggled, this, &HeatmapView::setLogScale);

    QCustomPlot* p = plot();
    p->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    p->setNoAntialiasingOnDrag(true);
    p->setMouseTracking(true);
    p->yAxis->setRangeReversed(true);  // query 0 at the top, as attention maps are read
    p->xAxis->setLabel(tr("key"));
    p->yAxis->setLabel(tr("query"));
    p->xAxis->setTickLabelRotation(90);
    p->xAxis->setTicker(QSharedPointer<QCPAxisTickerText>::create());
    p->yAxis->setTicker(QSharedPointer<QCPAxisTickerText>::create());
    p->xAxis->grid()->setVisible(false);
    p->yAxis->grid()->setVisible(false);

    m_map = new QCPColorMap(p->xAxis, p->yAxis);
    m_map->setInterpolate(false);  // one token pair, one flat cell
    m_map->setTightBoundary(false);
    m_map->setAntialiased(false);
    m_scale = new QCPColorScale(p);
    p->plotLayout()->addElement(0, 1, m_scale);
    m_scale->setType(QCPAxis::atRight);
    m_map->setColorScale(m_scale);
    m_map->setGradient(viridisGradient());
    auto* margins = new QCPMarginGroup(p);
    p->axisRect()->setMarginGroup(QCP::msTop | QCP::msBottom, margins);
    m_scale->setMarginGroup(QCP::msTop | QCP::msBottom, margins);

    for (QCPItemRect** band : {&m_rowBand, &m_colBand}) {
        *band = new QCPItemRect(p);
        (*band)->topLeft->setAxes(p->xAxis, p->yAxis);
        (*band)->bottomRight->setAxes(p->xAxis, p->yAxis);
        (*band)->setBrush(QColor(255, 255, 255, 40));
        (*band)->setSelectable(false);
        (*band)->setVisible(false);
    }

    m_tileTimer = new QTimer(this);
    m_tileTimer->setSingleShot(true);
    m_tileTimer->setInterval(kTileDebounceMs);
    connect(m_tileTimer, &QTimer::timeout, this, &HeatmapView::requestTile);
    connect(p->xAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), this,
            &HeatmapView::onRangeChanged);
    connect(p->yAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), this,
            &HeatmapView::onRangeChanged);
    connect(p, &QCustomPlot::beforeReplot, this, &HeatmapView::updateTickers);
    connect(p, &QCustomPlot::mouseMove, this, &HeatmapView::onMouseMove);
    connect(p, &QCustomPlot::mousePress, this, &HeatmapView::onMousePress);
    connect(p, &QCustomPlot::mouseRelease, this, &HeatmapView::onMouseRelease);
    clear();
}

HeatmapView::~HeatmapView() = default;

void HeatmapView::setSnapshot(AttentionMapSnapshot map) {
    load(std::move(map), false);
}

void HeatmapView::setDifference(const AttentionMapSnapshot& a, const AttentionMapSnapshot& b,
                                DifferenceKind kind) {
    if (!a.isValid() || !b.isValid() || a.rows != b.rows || a.cols != b.cols) {
        clear();
        return;
    }
    AttentionMapSnapshot diff = a;
    for (size_t i = 0; i < diff.values.size(); ++i)
        diff.values[i] -= b.values[i];
    m_differenceKind = kind;
    load(std::move(diff), true);
}

QString HeatmapView::differenceLabel(DifferenceKind kind) {
    return kind == DifferenceKind::PromptMinusCorrupted ? tr("prompt \u2212 corrupted")
                                                        : tr("edited \u2212 baseline");
}

QString HeatmapView::title() const {
    return m_title->text();
}

QString HeatmapView::exportTitle() const {
    if (m_difference) return title();  // names the comparison already
    return title() +
           (m_logScale ? tr(" \u2014 log10 attention weight") : tr(" \u2014 attention weight"));
}

void HeatmapView::load(AttentionMapSnapshot map, bool difference) {
    m_difference = difference;
    m_map->setGradient(!difference ? viridisGradient()
                       : m_differenceKind == DifferenceKind::PromptMinusCorrupted
                           ? contrastGradient()
                           : divergingGradient());
    m_provider = nullptr;
    m_tiled = false;
    m_full.reset();
    const int oldQueries = m_queries;
    const int oldKeys = m_keys;
    const QStringList oldQueryTokens = m_queryTokens;
    const QStringList oldKeyTokens = m_keyTokens;
    m_queries = map.rowOffset + map.effectiveRowExtent();
    m_keys = map.colOffset + map.effectiveColExtent();
    const bool whole = map.rowOffset == 0 && map.colOffset == 0 &&
                       map.effectiveRowExtent() == map.rows &&
                       map.effectiveColExtent() == map.cols && map.isValid();
    m_queryTokens = whole && map.rowTokens.size() == map.rows ? map.rowTokens : QStringList();
    m_keyTokens = whole && map.colTokens.size() == map.cols ? map.colTokens : QStringList();
    forgetStaleMarks(oldQueries, oldKeys, oldQueryTokens, oldKeyTokens);
    forgetRequest();
    resetZoom();
    const QSize limits = tileLimits();
    if (whole && m_autoDownsample && (map.rows > limits.height() || map.cols > limits.width())) {
        m_full = std::make_shared<const AttentionMapSnapshot>(std::move(map));
        rememberRequest(0, m_queries, 0, m_keys, maxTileCells());
        showTile(
            makeTile(*m_full, 0, m_queries, 0, m_keys, limits.height(), limits.width(), pooling()));
    } else {
        showTile(std::move(map));
    }
}

// Another prompt: a highlighted row or a hovered cell named other tokens. Another head of the
// same prompt keeps both (the readout is recomputed in showTile()).
void HeatmapView::forgetStaleMarks(int oldQueries, int oldKeys, const QStringList& oldQueryTokens,
                                   const QStringList& oldKeyTokens) {
    if (oldQueries == m_queries && oldKeys == m_keys && oldQueryTokens == m_queryTokens &&
        oldKeyTokens == m_keyTokens)
        return;
    m_highlightRow = m_highlightCol = -1;
    m_hoverQuery = m_hoverKey = -1;
    QToolTip::hideText();
}

void HeatmapView::forgetRequest() {
    std::fill(std::begin(m_lastRequest), std::end(m_lastRequest), -1);
}

bool HeatmapView::rememberRequest(int q0, int q1, int k0, int k1, int cells) {
    const int request[5] = {q0, q1, k0, k1, cells};
    if (std::equal(std::begin(request), std::end(request), std::begin(m_lastRequest))) return false;
    std::copy(std::begin(request), std::end(request), std::begin(m_lastRequest));
    return true;
}

TilePooling HeatmapView::pooling() const {
    return m_difference ? TilePooling::MaxAbs : TilePooling::Max;
}

void HeatmapView::setTileProvider(int queries, int keys, TileProvider provider,
                                  QStringList queryTokens, QStringList keyTokens,
                                  std::optional<DifferenceKind> difference) {
    m_difference = difference.has_value();
    if (difference) m_differenceKind = *difference;
    m_map->setGradient(!m_difference ? viridisGradient()
                       : m_differenceKind == DifferenceKind::PromptMinusCorrupted
                           ? contrastGradient()
                           : divergingGradient());
    m_full.reset();
    m_provider = std::move(provider);
    m_tiled = true;
    const int oldQueries = m_queries;
    const int oldKeys = m_keys;
    const QStringList oldQueryTokens = m_queryTokens;
    const QStringList oldKeyTokens = m_keyTokens;
    m_queries = std::max(queries, 0);
    m_keys = std::max(keys, 0);
    m_queryTokens = std::move(queryTokens);
    m_keyTokens = std::move(keyTokens);
    forgetStaleMarks(oldQueries, oldKeys, oldQueryTokens, oldKeyTokens);
    m_tile = AttentionMapSnapshot{};
    forgetRequest();
    resetZoom();
    requestTile();
}

void HeatmapView::setTile(AttentionMapSnapshot tile) {
    showTile(std::move(tile));
}

void HeatmapView::clear(const QString& message) {
    m_provider = nullptr;
    m_tiled = false;
    m_full.reset();
    m_tile = AttentionMapSnapshot{};
    m_queries = m_keys = 0;
    m_queryTokens.clear();
    m_keyTokens.clear();
    m_difference = false;
    m_highlightRow = m_highlightCol = -1;
    m_hoverQuery = m_hoverKey = -1;
    forgetRequest();
    m_readout->clear();
    m_title->setText(message.isEmpty() ? tr("No attention map") : message);
    m_map->data()->clear();
    updateHighlightItems();
    plot()->replot(QCustomPlot::rpQueuedReplot);
}

void HeatmapView::showTile(AttentionMapSnapshot tile) {
    m_tile = std::move(tile);
    m_layer = m_tile.layer;
    m_head = m_tile.head;
    QString title = m_tile.title;
    if (title.isEmpty()) {
        title = m_layer < 0  ? tr("Mean of all heads")
                : m_head < 0 ? tr("Layer %1 \u00b7 mean of its heads").arg(m_layer)
                             : tr("Layer %1 \u00b7 head %2").arg(m_layer).arg(m_head);
    }
    if (m_difference) title += QStringLiteral(" \u2014 ") + differenceLabel(m_differenceKind);
    m_title->setText(title);
    m_readout->setText(readoutText());  // the hovered cell's value in the new map
    refreshCells();
    updateHighlightItems();
    plot()->replot(QCustomPlot::rpQueuedReplot);
}

void HeatmapView::refreshCells() {
    QCPColorMapData* data = m_map->data();
    if (!m_tile.isValid()) {
        data->clear();
        return;
    }
    const int rows = m_tile.rows;
    const int cols = m_tile.cols;
    const double rowStep = static_cast<double>(m_tile.effectiveRowExtent()) / rows;
    const double colStep = static_cast<double>(m_tile.effectiveColExtent()) / cols;
    // Cell centres in full-map coordinates (integers when the tile is not downsampled).
    auto rowCentre = [&](int r) { return m_tile.rowOffset + (r + 0.5) * rowStep - 0.5; };
    auto colCentre = [&](int c) { return m_tile.colOffset + (c + 0.5) * colStep - 0.5; };
    // QCPColorMap derives a cell's extent from the distance between cell centres, so an axis
    // of one cell would draw nothing (a white map): it gets two half cells of the same value.
    const int dataCols = cols == 1 ? 2 : cols;
    const int dataRows = rows == 1 ? 2 : rows;
    auto span = [](double first, double last, int n) {
        return n == 1 ? QCPRange(first - 0.25, first + 0.25) : QCPRange(first, last);
    };
    data->setSize(dataCols, dataRows);
    data->setRange(span(colCentre(0), colCentre(cols - 1), cols),
                   span(rowCentre(0), rowCentre(rows - 1), rows));
    const bool log = m_logScale && !m_difference;
    double lo = std::numeric_limits<double>::infinity();
    double hi = -lo;
    const float* v = m_tile.values.data();
    auto fill = [&](auto transform) {
        for (int r = 0; r < rows; ++r) {
            for (int c = 0; c < cols; ++c, ++v) {
                const double z = transform(static_cast<double>(*v));
                data->setCell(c, r, z);
                if (cols == 1) data->setCell(1, r, z);
                if (rows == 1) data->setCell(c, 1, z);
                if (cols == 1 && rows == 1) data->setCell(1, 1, z);
                lo = z < lo ? z : lo;
                hi = z > hi ? z : hi;
            }
        }
    };
    if (log)
        fill([](double w) { return std::log10(std::max(w, kLogFloor)); });
    else
        fill([](double w) { return w; });
    QCPRange range;
    if (!std::isfinite(lo) || !std::isfinite(hi)) {
        range = QCPRange(0, 1);
    } else if (m_difference) {
        const double m = std::max({std::abs(lo), std::abs(hi), 1e-9});
        range = QCPRange(-m, m);
    } else if (log) {
        range = QCPRange(lo, hi > lo ? hi : lo + 1);
    } else {
        const double low = std::min(0.0, lo);
        range = QCPRange(low, hi > low ? hi : low + 1);
    }
    m_map->setDataRange(range);
    m_scale->axis()->setLabel(m_difference
                                  ? tr("\u0394 weight (%1)").arg(differenceLabel(m_differenceKind))
                              : log ? tr("log10 weight")
                                    : tr("attention weight"));
}

void HeatmapView::setLogScale(bool on) {
    if (on == m_logScale) return;
    m_logScale = on;
    {
        const QSignalBlocker block(m_logBox);
        m_logBox->setChecked(on);
    }
    refreshCells();
    plot()->replot(QCustomPlot::rpQueuedReplot);
    Q_EMIT logScaleChanged(on);
}

void HeatmapView::resetZoom() {
    m_adjustingRange = true;
    plot()->xAxis->setRange(-0.5, std::max(m_keys, 1) - 0.5);
    plot()->yAxis->setRange(-0.5, std::max(m_queries, 1) - 0.5);
    m_adjustingRange = false;
}

void HeatmapView::onRangeChanged() {
    if (m_adjustingRange || m_keys == 0 || m_queries == 0) return;
    m_adjustingRange = true;
    clampAxis(plot()->xAxis, m_keys);
    clampAxis(plot()->yAxis, m_queries);
    m_adjustingRange = false;
    m_tileTimer->start();
}

QSize HeatmapView::tileLimits() const {
    const QRect r = plot()->axisRect()->rect();
    const double dpr = plot()->devicePixelRatioF();
    const int w = r.width() > 0 ? r.width() : plot()->width();
    const int h = r.height() > 0 ? r.height() : plot()->height();
    return QSize(std::max(kMinTileCells, static_cast<int>(std::ceil(w * dpr))),
                 std::max(kMinTileCells, static_cast<int>(std::ceil(h * dpr))));
}

int HeatmapView::maxTileCells() const {
    const QSize limits = tileLimits();
    return std::max(limits.width(), limits.height());
}

void HeatmapView::requestTile() {
    if (m_keys == 0 || m_queries == 0) return;
    const auto [k0, k1] = visibleCells(plot()->xAxis->range(), m_keys);
    const auto [q0, q1] = visibleCells(plot()->yAxis->range(), m_queries);
    const int cells = maxTileCells();
    if (!rememberRequest(q0, q1, k0, k1, cells)) return;
    Q_EMIT visibleRangeChanged(q0, q1, k0, k1, cells);
    if (m_full) {
        // A full-resolution tile that already covers the visible cells needs no update.
        const bool covered = m_tile.effectiveRowExtent() == m_tile.rows &&
                             m_tile.effectiveColExtent() == m_tile.cols && m_tile.rowOffset <= q0 &&
                             m_tile.colOffset <= k0 && m_tile.rowOffset + m_tile.rows >= q1 &&
                             m_tile.colOffset + m_tile.cols >= k1;
        if (!covered) {
            const QSize limits = tileLimits();
            showTile(makeTile(*m_full, q0, q1, k0, k1, limits.height(), limits.width(), pooling()));
        }
    } else if (m_provider) {
        showTile(m_provider(q0, q1, k0, k1, cells));
    }
}

void HeatmapView::resizeEvent(QResizeEvent* event) {
    PlotView::resizeEvent(event);
    if (m_full || m_tiled) m_tileTimer->start();
}

QString HeatmapView::tokenLabel(bool query, int index, int maxChars) const {
    const QStringList& full = query ? m_queryTokens : m_keyTokens;
    if (index >= 0 && index < full.size())
        return QStringLiteral("%1 %2").arg(index).arg(elidedToken(full[index], maxChars));
    // A tile at full resolution can label its own cells.
    const QStringList& own = query ? m_tile.rowTokens : m_tile.colTokens;
    const int offset = query ? m_tile.rowOffset : m_tile.colOffset;
    const bool exact = query ? m_tile.effectiveRowExtent() == m_tile.rows
                             : m_tile.effectiveColExtent() == m_tile.cols;
    if (exact && index - offset >= 0 && index - offset < own.size())
        return QStringLiteral("%1 %2").arg(index).arg(elidedToken(own[index - offset], maxChars));
    return QString::number(index);
}

void HeatmapView::updateTickers() {
    const QFontMetrics fm(plot()->xAxis->tickLabelFont());
    const QRect rect = plot()->axisRect()->rect();
    const struct {
        QCPAxis* axis;
        int count;
        int pixels;
        bool query;
    } axes[] = {
        {plot()->xAxis, m_keys, rect.width() > 0 ? rect.width() : plot()->width(), false},
        {plot()->yAxis, m_queries, rect.height() > 0 ? rect.height() : plot()->height(), true}};
    for (const auto& a : axes) {
        auto ticker = a.axis->ticker().dynamicCast<QCPAxisTickerText>();
        if (!ticker) continue;
        ticker->clear();
        const auto [first, last] = visibleCells(a.axis->range(), a.count);
        if (last <= first) continue;
        const int maxLabels = std::max(1, a.pixels / (fm.height() + 3));
        const int step = niceStep((last - first + maxLabels - 1) / maxLabels);
        QMap<double, QString> ticks;
        for (int i = (first + step - 1) / step * step; i < last; i += step)
            ticks.insert(i, tokenLabel(a.query, i, kLabelChars));
        ticker->setTicks(ticks);
    }
}

}  // namespace attnscope::ui
