#pragma once

#include <QMap>
#include <QString>

#include <vector>

namespace attnscope::ui {

/// One edit of the model as shown in the intervention list. `kind` is one of the
/// intervention kind strings (see intervention_kinds.h); `param` is its numeric
/// parameter (scale factor, window size, ...), ignored by kinds that take none. An edge
/// removal (kRemoveEdge) names its edge in `edge` and acts on the circuit explorer only. A
/// plugin attention edit (kPluginEdit) names the edit in `plugin` with its `params`.
struct InterventionItem {
    QString kind;
    int layer = 0;
    int head = 0;
    double param = 0.0;
    bool enabled = true;
    QString description;
    QString edge = {};                   ///< kRemoveEdge: the circuit edge's EAP-IG name
    QString plugin = {};                 ///< kPluginEdit: "plugin:NAME"
    QMap<QString, QString> params = {};  ///< kPluginEdit: parameter values as text

    bool operator==(const InterventionItem& o) const {
        return kind == o.kind && layer == o.layer && head == o.head && param == o.param &&
               enabled == o.enabled && description == o.description && edge == o.edge &&
               plugin == o.plugin && params == o.params;
    }
    bool operator!=(const InterventionItem& o) const { return !(*this == o); }
};

/// The list snapshot handed between the controller and the list model.
using InterventionList = std::vector<InterventionItem>;

}  // namespace attnscope::ui
