#pragma once

#include <QString>
#include <QStringList>

#include <optional>

#include <vector>

namespace attnscope::ui {

/// One parameter of a registered metric, as the analysis form shows it.
struct ParamDescriptor {
    enum class Type { Integer, Real, Boolean, Text };
    QString name;
    Type type = Type::Real;
    QString defaultValue;
    QString help;
    bool unverified = false;  // an [UNVERIFIED] threshold of the spec
    QStringList choices;      // an enum's values (shown as a combo box); empty: free text
    std::optional<double> minimum;
    std::optional<double> maximum;
};

/// A metric of the analysis registry, as plain values for the GUI.
struct MetricDescriptor {
    QString name;
    QString title;
    QString description;
    QString citation;
    std::vector<ParamDescriptor> params;
};

/// Every metric in the process-wide registry, in registration order (plugin metrics, named
/// "plugin:NAME", after the built-ins).
std::vector<MetricDescriptor> metricCatalog();

/// The plugins' attention edits ("plugin:NAME", title = label) that the edit list's
/// plugin_edit kind applies; empty when no plugin declares one.
std::vector<MetricDescriptor> attentionEditCatalog();

}  // namespace attnscope::ui
