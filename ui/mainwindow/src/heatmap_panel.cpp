#include "attnscope/ui/heatmap_panel.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QVBoxLayout>

#include "attnscope/ui/heatmap_view.h"

#include <algorithm>

namespace attnscope::ui {
namespace {

// The clean prompt's tokens, "clean≠corrupted" where the corrupted prompt differs.
QStringList comparedTokens(QStringList clean, const QStringList& corrupted) {
    if (clean.size() != corrupted.size()) return clean;
    for (int i = 0; i < clean.size(); ++i)
        if (clean[i] != corrupted[i]) clean[i] += QStringLiteral("\u2260") + corrupted[i];
    return clean;
}

}  // namespace

HeatmapPanel::HeatmapPanel(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 0);
    auto* bar = new QHBoxLayout;
    m_layerSpin = new QSpinBox(this);
    m_layerSpin->setObjectName(QStringLiteral("layerSpin"));
    m_headSpin = new QSpinBox(this);
    m_headSpin->setObjectName(QStringLiteral("headSpin"));
    m_averageCombo = new QComboBox(this);
    m_averageCombo->addItem(tr("Selected head"), static_cast<int>(MapAverage::Head));
    m_averageCombo->addItem(tr("Mean of the layer's heads"),
                            static_cast<int>(MapAverage::LayerHeads));
    m_averageCombo->addItem(tr("Mean of all heads"), static_cast<int>(MapAverage::AllHeads));
    m_viewCombo = new QComboBox(this);
    m_viewCombo->addItem(tr("Edited"), static_cast<int>(MapView::Edited));
    m_viewCombo->addItem(tr("Baseline"), static_cast<int>(MapView::Baseline));
    m_viewCombo->addItem(tr("Edited \u2212 baseline"), static_cast<int>(MapView::Difference));
    m_viewCombo->addItem(tr("Corrupted prompt"), static_cast<int>(MapView::Corrupted));
    m_viewCombo->addItem(tr("Prompt \u2212 corrupted"),
                         static_cast<int>(MapView::CorruptedDifference));
    bar->addWidget(new QLabel(tr("Layer"), this));
    bar->addWidget(m_layerSpin);
    bar->addWidget(new QLabel(tr("Head"), this));
    bar->addWidget(m_headSpin);
    bar->addWidget(m_averageCombo);
    bar->addWidget(m_viewCombo);
    bar->addStretch(1);
    layout->addLayout(bar);
    m_heatmap = new HeatmapView(this);
    layout->addWidget(m_heatmap, 1);
    auto spinChanged = [this] {
        m_selected = {m_layerSpin->value(), m_headSpin->value()};
        updateMap();
        Q_EMIT headChanged(m_selected.layer, m_selected.head);
    };
    connect(m_layerSpin, &QSpinBox::valueChanged, this, spinChanged);
    connect(m_headSpin, &QSpinBox::valueChanged, this, spinChanged);
    connect(m_averageCombo, &QComboBox::currentIndexChanged, this, &HeatmapPanel::updateMap);
    connect(m_viewCombo, &QComboBox::currentIndexChanged, this, &HeatmapPanel::updateMap);
}

// A selection beyond the new model's shape is clamped by the spin boxes, which then report it
// (headChanged), so that the window selects a head that exists.
void HeatmapPanel::setModelShape(int layers, int heads) {
    m_layerSpin->setRange(0, std::max(0, layers - 1));
    m_headSpin->setRange(0, std::max(0, heads - 1));
}

void HeatmapPanel::setRun(std::shared_ptr<const RunSnapshot> run) {
    m_run = std::move(run);
    updateMap();
}

void HeatmapPanel::clear(const QString& message) {
    m_run.reset();
    m_heatmap->clear(message);
}

void HeatmapPanel::setSelectedHead(HeadRef head) {
    if (head == m_selected) return;  // the spin boxes and the map show it already
    m_selected = head;
    {
        const QSignalBlocker a(m_layerSpin), b(m_headSpin);
        m_layerSpin->setValue(head.layer);
        m_headSpin->setValue(head.head);
    }
    updateMap();
}

void HeatmapPanel::setMapView(MapView view) {
    m_viewCombo->setCurrentIndex(m_viewCombo->findData(static_cast<int>(view)));
}

HeatmapPanel::MapView HeatmapPanel::mapView() const {
    return static_cast<MapView>(m_viewCombo->currentData().toInt());
}

void HeatmapPanel::setMapAverage(MapAverage average) {
    m_averageCombo->setCurrentIndex(m_averageCombo->findData(static_cast<int>(average)));
}

MapAverage HeatmapPanel::mapAverage() const {
    return static_cast<MapAverage>(m_averageCombo->currentData().toInt());
}

void HeatmapPanel::setTiledFrom(int tokens) {
    m_tiledFrom = std::max(1, tokens);
    updateMap();
}

void HeatmapPanel::showTiled(const RunSnapshot::MapSpec& spec, QStringList tokens) {
    const auto noMap = tr("Type a corrupted prompt of the same length, then Run");
    if (!m_run->hasMap(spec)) {
        m_heatmap->clear(spec.source == RunSnapshot::Source::Corrupted ? noMap : QString());
        return;
    }
    // The provider holds the run (its shared patterns), not a copy of any map.
    auto run = m_run;
    auto provider = [run, spec](int q0, int q1, int k0, int k1, int maxCells) {
        return run->tile(spec, q0, q1, k0, k1, maxCells);
    };
    std::optional<HeatmapView::DifferenceKind> difference;
    if (spec.minus)
        difference = spec.source == RunSnapshot::Source::Baseline
                         ? HeatmapView::DifferenceKind::PromptMinusCorrupted
                         : HeatmapView::DifferenceKind::EditedMinusBaseline;
    m_heatmap->setTileProvider(m_run->length, m_run->length, provider, tokens, tokens, difference);
}

void HeatmapPanel::updateMap() {
    if (!m_run) return;
    const MapAverage average = mapAverage();
    using Source = RunSnapshot::Source;
    const int l = m_selected.layer, h = m_selected.head;
    if (m_run->length >= m_tiledFrom) {
        RunSnapshot::MapSpec spec{l, h, average, Source::Edited, std::nullopt};
        QStringList tokens = m_run->tokenLabels;
        switch (mapView()) {
            case MapView::Edited:
                break;
            case MapView::Baseline:
                spec.source = Source::Baseline;
                break;
            case MapView::Difference:
                spec.minus = Source::Baseline;
                break;
            case MapView::Corrupted:
                spec.source = Source::Corrupted;
                if (!m_run->corruptedTokenLabels.isEmpty()) tokens = m_run->corruptedTokenLabels;
                break;
            case MapView::CorruptedDifference:
                spec.source = Source::Baseline;
                spec.minus = Source::Corrupted;
                tokens = comparedTokens(m_run->tokenLabels, m_run->corruptedTokenLabels);
                break;
        }
        showTiled(spec, tokens);
        return;
    }
    switch (mapView()) {
        case MapView::Edited:
            m_heatmap->setSnapshot(m_run->map(l, h, average));
            break;
        case MapView::Baseline:
            m_heatmap->setSnapshot(m_run->map(l, h, average, Source::Baseline));
            break;
        case MapView::Difference:
            m_heatmap->setDifference(m_run->map(l, h, average),
                                     m_run->map(l, h, average, Source::Baseline));
            break;
        case MapView::Corrupted: {
            const AttentionMapSnapshot map = m_run->map(l, h, average, Source::Corrupted);
            if (map.isValid())
                m_heatmap->setSnapshot(map);
            else
                m_heatmap->clear(tr("Type a corrupted prompt of the same length, then Run"));
            break;
        }
        case MapView::CorruptedDifference: {
            // The clean prompt's unedited map against the corrupted one; positions whose
            // tokens differ are labelled "clean≠corrupted".
            AttentionMapSnapshot clean = m_run->map(l, h, average, Source::Baseline);
            const AttentionMapSnapshot corrupted = m_run->map(l, h, average, Source::Corrupted);
            if (!corrupted.isValid()) {
                m_heatmap->clear(tr("Type a corrupted prompt of the same length, then Run"));
                break;
            }
            clean.rowTokens = clean.colTokens =
                comparedTokens(clean.rowTokens, corrupted.rowTokens);
            clean.title.remove(tr(" \u00b7 baseline"));
            m_heatmap->setDifference(clean, corrupted,
                                     HeatmapView::DifferenceKind::PromptMinusCorrupted);
            break;
        }
    }
}

}  // namespace attnscope::ui
