// The catalogue the analysis form is built from: the analysis registry as plain Qt values.
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

}  // namespace

std::vector<MetricDescriptor> metricCatalog() {
    std::vector<MetricDescriptor> out;
    for (const auto& metric : analysis::MetricRegistry::global().all()) {
        const analysis::MetricInfo& info = metric->info();
        MetricDescriptor d{
            qs(info.name), qs(info.title), qs(info.description), qs(info.citation), {}};
        for (const auto& p : info.params) {
            ParamDescriptor param{qs(p.name), typeOf(p.type), qs(p.defaultValue),
                                  qs(p.help), p.unverified,   {},
                                  p.minimum,  p.maximum};
            for (const auto& c : p.choices)
                param.choices << qs(c);
            d.params.push_back(std::move(param));
        }
        out.push_back(std::move(d));
    }
    return out;
}

}  // namespace attnscope::ui
