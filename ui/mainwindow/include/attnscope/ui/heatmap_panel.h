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

Q_SIGNALS:
    /// The user picked another layer or head in the spin boxes.
    void headChanged(int layer, int head);

private:
    void updateMap();

    QSpinBox* m_layerSpin = nullptr;
    QSpinBox* m_headSpin = nullptr;
    QComboBox* m_averageCombo = nullptr;
    QComboBox* m_viewCombo = nullptr;
    HeatmapView* m_heatmap = nullptr;
    std::shared_ptr<const RunSnapshot> m_run;
    HeadRef m_selected{0, 0};
};

}  // namespace attnscope::ui
