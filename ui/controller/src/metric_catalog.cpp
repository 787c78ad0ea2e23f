// The catalogue the analysis form is built from: the analysis registry as plain Qt values.
#include "attnscope/analysis/attention_edits.h"
#include "attnscope/analysis/metric.h"
#include "attnscope/ui/metric_descriptor.h"

namespace attnscope::ui {
namespace {

ParamDescriptor::Type typeOf(analysis::ParamType t) {
    switch (t) {
        case analysis::ParamType::Integer:
            return ParamDescriptor::Type::Integer;
        case analysis::ParamType::Real:
            return ParamDescriptor::Type::Real;
        case analysis::ParamType::Boolean:
            return ParamDescriptor::Type::Boolean;
        case analysis::ParamType::Text:
            return ParamDescriptor::Type::Text;
    }
    return ParamDescriptor::Type::Text;
}

QString qs(const std::string& s) {
    return QString::fromStdString(s);
}

std::vector<ParamDescriptor> paramsOf(const std::vector<analysis::ParamSpec>& specs) {
    std::vector<ParamDescriptor> out;
    for (const auto& p : specs) {
        ParamDescriptor param{qs(p.name), typeOf(p.type), qs(p.defaultValue),
                              qs(p.help), p.unverified,   {},
                              p.minimum,  p.maximum};
        for (const auto& c : p.choices)
            param.choices << qs(c);
        out.push_back(std::move(param));
    }
    return out;
}

}  // namespace

std::vector<MetricDescriptor> metricCatalog() {
    std::vector<MetricDescriptor> out;
    for (const auto& metric : analysis::MetricRegistry::global().all()) {
        const analysis::MetricInfo& info = metric->info();
        out.push_back({qs(info.name), qs(info.title), qs(info.description), qs(info.citation),
                       paramsOf(info.params)});
    }
    return out;
}

std::vector<MetricDescriptor> attentionEditCatalog() {
    std::vector<MetricDescriptor> out;
    const auto provider = analysis::attentionEditProvider();
    if (!provider) return out;
    for (const auto& e : provider->edits())
        out.push_back({qs(e.name), qs(e.label), qs(e.description), {}, paramsOf(e.params)});
    return out;
}

}  // namespace attnscope::ui
