#include "attnscope/analysis/metric.h"

#include <algorithm>
#include <sstream>
#include <stdexcept>

#include "attnscope/capture/load_error.h"

namespace attnscope::analysis {
namespace {

using capture::InputError;

const char* typeName(ParamType t) {
    switch (t) {
        case ParamType::Integer:
            return "an integer";
        case ParamType::Real:
            return "a number";
        case ParamType::Boolean:
            return "true or false";
        case ParamType::Text:
            return "text";
    }
    return "?";
}

void validate(const ParamSpec& spec, const std::string& value) {
    std::size_t used = 0;
    try {
        if (spec.type == ParamType::Integer)
            (void)std::stoll(value, &used);
        else if (spec.type == ParamType::Real)
            (void)std::stod(value, &used);
        else
            used = value.size();
    } catch (const std::exception&) {
        used = 0;
    }
    const bool boolOk = spec.type != ParamType::Boolean || value == "true" || value == "false";
    if (used != value.size() || (value.empty() && spec.type != ParamType::Text) || !boolOk)
        throw InputError("parameter '" + spec.name + "' must be " + typeName(spec.type) +
                         ", got '" + value + "'");
    if (!spec.choices.empty() &&
        std::find(spec.choices.begin(), spec.choices.end(), value) == spec.choices.end()) {
        std::string list;
        for (const auto& c : spec.choices)
            list += (list.empty() ? "" : ", ") + c;
        throw InputError("parameter '" + spec.name + "' must be one of " + list + ", got '" +
                         value + "'");
    }
    const bool numeric = spec.type == ParamType::Integer || spec.type == ParamType::Real;
    if (numeric && ((spec.minimum && std::stod(value) < *spec.minimum) ||
                    (spec.maximum && std::stod(value) > *spec.maximum))) {
        std::ostringstream range;
        range << "[";
        spec.minimum ? range << *spec.minimum : range << "-inf";
        range << ", ";
        spec.maximum ? range << *spec.maximum : range << "inf";
        range << "]";
        throw InputError("parameter '" + spec.name + "' = " + value + " is outside " + range.str());
    }
}

}  // namespace

MetricParams::MetricParams(const std::vector<ParamSpec>& specs,
                           const std::map<std::string, std::string>& given) {
    for (const auto& s : specs)
        m_values[s.name] = {s, s.defaultValue};
    for (const auto& [name, value] : given) {
        auto it = m_values.find(name);
        if (it == m_values.end()) {
            std::string known;
            for (const auto& s : specs)
                known += (known.empty() ? "" : ", ") + s.name;
            throw InputError("unknown parameter '" + name +
                             "' (parameters: " + (known.empty() ? "none" : known) + ")");
        }
        it->second.second = value;
    }
    for (const auto& [name, entry] : m_values)
        validate(entry.first, entry.second);
}

const std::string& MetricParams::raw(const std::string& name, ParamType type) const {
    auto it = m_values.find(name);
    if (it == m_values.end() || it->second.first.type != type)
        throw std::logic_error("metric reads undeclared parameter '" + name + "'");
    return it->second.second;
}

int64_t MetricParams::integer(const std::string& n) const {
    return std::stoll(raw(n, ParamType::Integer));
}
double MetricParams::real(const std::string& n) const {
    return std::stod(raw(n, ParamType::Real));
}
bool MetricParams::boolean(const std::string& n) const {
    return raw(n, ParamType::Boolean) == "true";
}
const std::string& MetricParams::text(const std::string& n) const {
    return raw(n, ParamType::Text);
}

nlohmann::json MetricParams::toJson() const {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& [name, entry] : m_values) {
        const auto& [spec, value] = entry;
        nlohmann::json v = value;
        if (spec.type == ParamType::Integer) v = std::stoll(value);
        if (spec.type == ParamType::Real) v = std::stod(value);
        if (spec.type == ParamType::Boolean) v = value == "true";
        j[name] = {{"value", v}, {"unverified", spec.unverified}};
    }
    return j;
}

void MetricRegistry::add(std::shared_ptr<const Metric> metric) {
    for (const auto& m : m_metrics)
        if (m->info().name == metric->info().name)
            throw std::invalid_argument("metric '" + metric->info().name +
                                        "' is already registered");
    m_metrics.push_back(std::move(metric));
}

void MetricRegistry::removeWithPrefix(const std::string& prefix) {
    m_metrics.erase(
        std::remove_if(m_metrics.begin(), m_metrics.end(),
                       [&](const auto& m) { return m->info().name.rfind(prefix, 0) == 0; }),
        m_metrics.end());
}

std::shared_ptr<const Metric> MetricRegistry::find(const std::string& name) const {
    std::string known;
    for (const auto& m : m_metrics) {
        if (m->info().name == name) return m;
        known += (known.empty() ? "" : ", ") + m->info().name;
    }
    throw InputError("unknown metric '" + name + "' (available: " + known + ")");
}

std::vector<std::shared_ptr<const Metric>> MetricRegistry::all() const {
    return m_metrics;
}

MetricResult runMetric(const MetricRegistry& registry, const std::string& name,
                       const std::map<std::string, std::string>& params,
                       const MetricContext& context) {
    const auto metric = registry.find(name);
    const MetricParams checked(metric->info().params, params);
    context.progress.check();
    MetricResult result = metric->compute(context, checked);
    context.progress.check();
    result.params = checked.toJson();
    result.datasetDescription = context.data.description;
    return result;
}

}  // namespace attnscope::analysis
