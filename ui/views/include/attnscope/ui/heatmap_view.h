#pragma once

#include "attnscope/ui/attention_map_snapshot.h"
#include "attnscope/ui/attention_tile.h"
#include "attnscope/ui/plot_view.h"

#include <functional>
#include <memory>
#include <optional>

class QCheckBox;
class QCPColorMap;
class QCPColorScale;
class QCPItemRect;
class QLabel;
class QMouseEvent;
class QTimer;

namespace attnscope::ui {

/// One head's attention map: keys on x, queries on y (query 0 at the top), a viridis
/// colour map with a colour scale, token labels on both axes (thinned to fit), a hover
/// readout, row/column highlight on click, zoom (wheel) and pan (drag), a log-scale
/// toggle and a difference mode (edited - baseline on a blue-white-red scale symmetric
/// around 0).
///
/// Long prompts: the view never needs the full map. With setTileProvider() it asks for
/// the visible region at screen resolution whenever the user zooms, pans or resizes
/// (and emits visibleRangeChanged() for an asynchronous supplier, which answers with
/// setTile()). A full map given to setSnapshot() that is larger than the screen is
/// max-pooled the same way (makeTile()). Coordinates in signals are always positions
/// in the full map. GUI thread only; the provider is called on the GUI thread.
class HeatmapView : public PlotView {
    Q_OBJECT
public:
    /// Returns the tile [q0, q1) x [k0, k1) with at most maxCells cells along each axis.
    using TileProvider =
        std::function<AttentionMapSnapshot(int q0, int q1, int k0, int k1, int maxCells)>;

    /// Weights below this are drawn as this in log scale: cell = log10(max(w, kLogFloor)).
    static constexpr double kLogFloor = 1e-6;
    /// The least tile resolution asked for, whatever the widget's size.
    static constexpr int kMinTileCells = 256;

    /// What a difference map compares; it names the title and the colour scale and picks
    /// the diverging palette (red-blue for edits, purple-green for the corrupted prompt).
    enum class DifferenceKind { EditedMinusBaseline, PromptMinusCorrupted };

    explicit HeatmapView(QWidget* parent = nullptr);
    ~HeatmapView() override;

    /// Shows a whole map (or a tile; its offsets place it). Leaves difference mode and
    /// resets zoom to the whole map.
    void setSnapshot(AttentionMapSnapshot map);
    /// Shows a - b (same shape) on a diverging scale symmetric around 0; resets zoom. The
    /// axes carry a's tokens (label them with both prompts' tokens for a comparison).
    void setDifference(const AttentionMapSnapshot& a, const AttentionMapSnapshot& b,
                       DifferenceKind kind = DifferenceKind::EditedMinusBaseline);
    DifferenceKind differenceKind() const { return m_differenceKind; }
    /// The title above the map ("Layer 2 · head 1 — edited − baseline").
    QString title() const;
    /// The title plus the view's mode (weights, log scale or the difference).
    QString exportTitle() const override;
    /// "edited − baseline" or "prompt − corrupted".
    static QString differenceLabel(DifferenceKind kind);
    /// Long-prompt mode over a `queries` x `keys` map: requests the visible tile now and
    /// after every zoom/pan/resize, from `provider` (called synchronously) or, when it is
    /// empty, only through visibleRangeChanged() for a supplier that answers with
    /// setTile(). Tokens (full length, may be empty) label the axes.
    /// With `difference`, the tiles are differences, drawn as setDifference() draws them.
    void setTileProvider(int queries, int keys, TileProvider provider, QStringList queryTokens = {},
                         QStringList keyTokens = {},
                         std::optional<DifferenceKind> difference = std::nullopt);
    /// Whether the view asks a provider for tiles (setTileProvider()).
    bool tiled() const { return m_tiled; }
    /// Accepts a tile of the current map (from the provider or an asynchronous supplier);
    /// keeps the zoom.
    void setTile(AttentionMapSnapshot tile);
    /// Shows no map; the title says `message` (default "No attention map").
    void clear(const QString& message = QString());

    void setLogScale(bool on);
    bool logScale() const { return m_logScale; }
    bool differenceMode() const { return m_difference; }
    /// Max-pool full maps larger than the screen (default on); off draws every cell.
    void setAutoDownsample(bool on) { m_autoDownsample = on; }

    void highlightRow(int query);
    void highlightColumn(int key);
    void clearHighlight();
    int highlightedRow() const { return m_highlightRow; }
    int highlightedColumn() const { return m_highlightCol; }

    int queryCount() const { return m_queries; }
    int keyCount() const { return m_keys; }
    /// The tile on screen (values as given: weights, or differences in difference mode).
    const AttentionMapSnapshot& tile() const { return m_tile; }
    /// Full-map cell under a position in plot() coordinates; false outside the map.
    bool cellAt(const QPointF& plotPos, int* query, int* key) const;
    /// Value of the tile cell covering full-map cell (query, key); NaN outside the tile.
    double valueAt(int query, int key) const;
    /// The map's resolution on screen: the most cells a tile should have along the longer
    /// axis (the `maxCells` passed to the provider), at least kMinTileCells.
    int maxTileCells() const;
    /// Per-axis resolution: width = key cells, height = query cells.
    QSize tileLimits() const;

    QCPColorMap* colorMap() const { return m_map; }
    QCPColorScale* colorScale() const { return m_scale; }
    QString readoutText() const;

Q_SIGNALS:
    void cellHovered(int query, int key, double value);
    /// A click on a cell gives both; on a query label (left axis) key is -1; on a key
    /// label (bottom axis) query is -1.
    void cellClicked(int query, int key);
    void visibleRangeChanged(int q0, int q1, int k0, int k1, int maxCells);
    void logScaleChanged(bool on);

protected:
    void fillContextMenu(QMenu& menu, const QPoint& pos) override;
    void resizeEvent(QResizeEvent* event) override;

private:
    void load(AttentionMapSnapshot map, bool difference);
    /// Drops highlights and the hover when the axes now name other tokens.
    void forgetStaleMarks(int oldQueries, int oldKeys, const QStringList& oldQueryTokens,
                          const QStringList& oldKeyTokens);
    void showTile(AttentionMapSnapshot tile);
    void forgetRequest();
    /// Stores the request; false when it equals the previous one.
    bool rememberRequest(int q0, int q1, int k0, int k1, int cells);
    TilePooling pooling() const;
    void refreshCells();
    void updateTickers();
    void resetZoom();
    void clampRanges();
    void onRangeChanged();
    void requestTile();
    void onMouseMove(QMouseEvent* event);
    void onMousePress(QMouseEvent* event);
    void onMouseRelease(QMouseEvent* event);
    void updateHighlightItems();
    QString tokenLabel(bool query, int index, int maxChars) const;

    QCPColorMap* m_map = nullptr;
    QCPColorScale* m_scale = nullptr;
    QCPItemRect* m_rowBand = nullptr;
    QCPItemRect* m_colBand = nullptr;
    QCheckBox* m_logBox = nullptr;
    QLabel* m_title = nullptr;
    QLabel* m_readout = nullptr;
    QTimer* m_tileTimer = nullptr;

    AttentionMapSnapshot m_tile;  // what is drawn; differences in difference mode
    std::shared_ptr<const AttentionMapSnapshot> m_full;  // full map held for auto tiles
    TileProvider m_provider;
    bool m_tiled = false;       // setTileProvider() mode, with or without a provider
    QStringList m_queryTokens;  // full-length labels, or empty
    QStringList m_keyTokens;
    int m_queries = 0;
    int m_keys = 0;
    int m_layer = 0;
    int m_head = 0;
    bool m_logScale = false;
    bool m_difference = false;
    DifferenceKind m_differenceKind = DifferenceKind::EditedMinusBaseline;
    bool m_autoDownsample = true;
    int m_highlightRow = -1;
    int m_highlightCol = -1;
    int m_hoverQuery = -1;
    int m_hoverKey = -1;
    QPointF m_pressPos;
    bool m_adjustingRange = false;
    int m_lastRequest[5] = {-1, -1, -1, -1, -1};
};

}  // namespace attnscope::ui
