#pragma once

#include "attnscope/ui/head_atlas_view.h"
#include "attnscope/ui/run_snapshot.h"

#include <QWidget>

#include <memory>

class QComboBox;
class QSpinBox;

namespace attnscope::ui {

class HeatmapView;

/// The attention heatmap with its controls: layer and head, which map (the head, the mean of
/// the layer's heads, the mean of all heads) and which run (edited, baseline, their
/// difference, the corrupted prompt, prompt − corrupted). Reads the maps from the last run's
/// snapshot. GUI thread only.
class HeatmapPanel : public QWidget {
    Q_OBJECT
public:
    /// What the heatmap shows.
    enum class MapView { Edited, Baseline, Difference, Corrupted, CorruptedDifference };

    explicit HeatmapPanel(QWidget* parent = nullptr);

    void setModelShape(int layers, int heads);
    /// Shows `run`'s map for the current selection (null: no map).
    void setRun(std::shared_ptr<const RunSnapshot> run);
    /// Shows `message` instead of a map.
    void clear(const QString& message);
    /// Selects the head without emitting headChanged.
    void setSelectedHead(HeadRef head);
    void setMapView(MapView view);
    MapView mapView() const;
    void setMapAverage(MapAverage average);
    MapAverage mapAverage() const;
    HeatmapView* heatmap() const { return m_heatmap; }
    /// Prompts of at least this many tokens are drawn tile by tile: the view asks for the
    /// visible region at screen resolution, read straight from the run's shared patterns,
    /// instead of a whole T x T map (default kTiledFrom).
    void setTiledFrom(int tokens);
    static constexpr int kTiledFrom = 1024;

Q_SIGNALS:
    /// The user picked another layer or head in the spin boxes.
    void headChanged(int layer, int head);

private:
    void updateMap();
    /// The long-prompt path of updateMap().
    void showTiled(const RunSnapshot::MapSpec& spec, QStringList tokens);

    QSpinBox* m_layerSpin = nullptr;
    QSpinBox* m_headSpin = nullptr;
    QComboBox* m_averageCombo = nullptr;
    QComboBox* m_viewCombo = nullptr;
    HeatmapView* m_heatmap = nullptr;
    std::shared_ptr<const RunSnapshot> m_run;
    HeadRef m_selected{0, 0};
    int m_tiledFrom = kTiledFrom;
};

}  // namespace attnscope::ui
