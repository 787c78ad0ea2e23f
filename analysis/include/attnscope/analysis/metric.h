#pragma once
// The interface every head score implements, built-in or plugin: it declares its inputs and
// parameters, and produces a [layer, head] table plus per-item details.
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "attnscope/analysis/head_table.h"
#include "attnscope/capture/progress.h"

namespace attnscope::capture {
class TransformerModel;
class Tokenizer;
}  // namespace attnscope::capture

namespace attnscope::analysis {

enum class ParamType { Integer, Real, Boolean, Text };

struct ParamSpec {
    std::string name;
    ParamType type = ParamType::Real;
    std::string defaultValue;
    std::string help;
    bool unverified = false;  ///< an [UNVERIFIED] threshold of the spec: printed with results
    /// Allowed values of a Text parameter (an enum); empty: any text.
    std::vector<std::string> choices = {};
    /// Bounds of an Integer or Real parameter (inclusive); unset: unbounded.
    std::optional<double> minimum = std::nullopt;
    std::optional<double> maximum = std::nullopt;
};

struct MetricInfo {
    std::string name;                ///< registry key, e.g. "sink_mass"
    std::string title;               ///< e.g. "StreamingLLM-style sink mass"
    std::string description;         ///< what a high score means
    std::string citation;            ///< spec section and source
    std::vector<std::string> hooks;  ///< hooks it reads (globs)
    bool perDecodeStep = false;      ///< reads decoding steps rather than the prefill
    bool usesInterventions = false;  ///< runs ablated variants of the model
    bool kvHeads = false;            ///< the table is [layer, kv_head]
    /// A file under a model folder's eval/ that suits the metric when no data is given
    /// (the demo model ships needle.jsonl for the retrieval metrics); empty: none.
    std::string modelData;
    std::vector<ParamSpec> params;
};

/// Parameter values checked against a metric's specs; unknown names and malformed values are
/// InputErrors naming the parameter.
class MetricParams {
public:
    MetricParams(const std::vector<ParamSpec>& specs,
                 const std::map<std::string, std::string>& given);
    int64_t integer(const std::string& name) const;
    double real(const std::string& name) const;
    bool boolean(const std::string& name) const;
    const std::string& text(const std::string& name) const;
    /// {name: {"value": ..., "unverified": bool}} for result files.
    nlohmann::json toJson() const;

private:
    const std::string& raw(const std::string& name, ParamType type) const;
    std::map<std::string, std::pair<ParamSpec, std::string>> m_values;
};

/// One input item: a prompt and any fields the dataset file gave with it.
struct DataItem {
    std::string text;
    nlohmann::json fields = nlohmann::json::object();
};

struct Dataset {
    std::string description;
    std::vector<DataItem> items;
};

struct MetricContext {
    capture::TransformerModel& model;
    const capture::Tokenizer* tokenizer = nullptr;
    const Dataset& data;
    capture::Progress progress;  ///< where progress goes and what cancels; default: neither

    bool cancelled() const { return progress.cancelled(); }
    void report(double fraction, const std::string& what) const { progress.report(fraction, what); }
    /// The cancel token, for the option structs that poll one (may be null).
    const std::atomic<bool>* cancelToken() const { return progress.token(); }
};

struct MetricResult {
    HeadTable scores;
    nlohmann::json details = nlohmann::json::object();  ///< per-item values, extra tables
    nlohmann::json params = nlohmann::json::object();   ///< MetricParams::toJson
    std::string datasetDescription;
};

class Metric {
public:
    virtual ~Metric() = default;
    virtual const MetricInfo& info() const = 0;
    /// Throws InputError for unusable input (empty dataset, missing tokenizer, ...), and
    /// capture::Cancelled once the context's progress is cancelled (context.progress.check()
    /// between items): a cancelled metric has no result, not a partial one.
    virtual MetricResult compute(const MetricContext& context,
                                 const MetricParams& params) const = 0;
};

/// Every metric the GUI and the CLI can run, by name.
class MetricRegistry {
public:
    /// The process-wide registry with the built-in metrics.
    static MetricRegistry& global();

    /// Throws std::invalid_argument for a duplicate name.
    void add(std::shared_ptr<const Metric> metric);
    /// Removes the metrics whose names start with `prefix` (plugin metrics before a reload).
    void removeWithPrefix(const std::string& prefix);
    /// Throws InputError listing the registered names.
    std::shared_ptr<const Metric> find(const std::string& name) const;
    std::vector<std::shared_ptr<const Metric>> all() const;

private:
    std::vector<std::shared_ptr<const Metric>> m_metrics;
};

/// Runs `name` with string parameters: looks it up, validates the parameters, computes, and
/// stamps the result with the parameters used and the dataset description. Throws
/// capture::Cancelled when the context's progress was cancelled before the metric returned,
/// whatever the metric did with the cancel: every metric, built-in or plugin, ends a cancel
/// the same way, with nothing published.
MetricResult runMetric(const MetricRegistry& registry, const std::string& name,
                       const std::map<std::string, std::string>& params,
                       const MetricContext& context);

}  // namespace attnscope::analysis
