#pragma once

#include <QString>

namespace attnscope::ui::kinds {

/// Intervention kind strings emitted by the views (HeadAtlasView's context menu)
/// and stored in InterventionItem::kind.
inline const QString kZeroAblation = QStringLiteral("zero_ablation");
inline const QString kMeanAblation = QStringLiteral("mean_ablation");
inline const QString kScale = QStringLiteral("scale");
inline const QString kSinkWindow = QStringLiteral("sink_window");
inline const QString kActCalibration = QStringLiteral("act_calibration");
inline const QString kPatch = QStringLiteral("patch");
/// An edge of the circuit graph removed in the circuit explorer (InterventionItem::edge).
inline const QString kRemoveEdge = QStringLiteral("remove_edge");
/// A plugin's attention edit on one head (InterventionItem::plugin and ::params).
inline const QString kPluginEdit = QStringLiteral("plugin_edit");

}  // namespace attnscope::ui::kinds
