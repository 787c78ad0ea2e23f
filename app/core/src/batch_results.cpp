// Batch results files: a capture file whose /results group holds every item's tables and the
// aggregated means, and whose root attribute `batch` records the experiment, the tool version,
// the models and the items. CSV and JSON summaries beside it.
#include "batch_results.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>

#include "attnscope/capture/load_error.h"
#include "attnscope/store/capture_reader.h"
#include "attnscope/store/capture_writer.h"

namespace attnscope::app {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kBatchAttribute = "batch";
constexpr const char* kBatchFormat = "attnscope-batch";

// The table's own params plus how to read its values back.
std::string storedParams(const ResultTable& t) {
    json p = json::parse(t.paramsJson, nullptr, false);
    if (!p.is_object()) p = json::object();
    p["shape"] = t.shape;
    p["columns"] = t.columns;
    return p.dump();
}

ResultTable tableFromStore(const std::string& label, const store::ScoreTable& s,
                           const std::string& stored) {
    ResultTable t;
    t.analysis = label;
    t.rows = static_cast<int>(s.layers);
    t.cols = static_cast<int>(s.heads);
    t.values = s.values;
    json p = json::parse(stored, nullptr, false);
    if (!p.is_object()) p = json::object();
    t.shape = p.value("shape", std::string("head_scores"));
    if (p.contains("columns") && p["columns"].is_array())
        for (const auto& c : p["columns"])
            if (c.is_string()) t.columns.push_back(c.get<std::string>());
    p.erase("shape");
    p.erase("columns");
    t.paramsJson = p.dump();
    return t;
}

std::string aggregateKey(const ItemRecord& r) {
    return "mean-m" + std::to_string(r.model) + "-" + r.edits;
}

// Writes `text` to a temporary beside `path` and renames it over `path`.
void writeTextAtomically(const fs::path& path, const std::string& text) {
    const fs::path temp = path.parent_path() / ("." + path.filename().string() + ".tmp");
    {
        std::ofstream out(temp, std::ios::binary | std::ios::trunc);
        out << text;
        out.flush();
        if (!out) throw capture::InputError(temp.string() + ": cannot write");
    }
    fs::rename(temp, path);
}

std::string number(float v) {
    if (std::isnan(v)) return "nan";
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.9g", static_cast<double>(v));
    return buffer;
}

std::string csvField(const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s)
        out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

void appendCsvRows(std::string& csv, const std::string& prefix, const ResultTable& t) {
    for (int r = 0; r < t.rows; ++r)
        for (int c = 0; c < t.cols; ++c) {
            const std::string column =
                t.columns.empty() ? "h" + std::to_string(c) : t.columns[static_cast<size_t>(c)];
            csv += prefix + csvField(t.analysis) + "," + std::to_string(r) + "," + column + "," +
                   number(t.values[static_cast<size_t>(r) * t.cols + c]) + "\n";
        }
}

json tableJson(const ResultTable& t) {
    json values = json::array();
    for (float v : t.values)
        values.push_back(std::isnan(v) ? json(nullptr) : json(v));
    return {{"analysis", t.analysis}, {"shape", t.shape},     {"rows", t.rows},
            {"cols", t.cols},         {"columns", t.columns}, {"values", values}};
}

}  // namespace

json itemJson(const ItemRecord& r) {
    json tables = json::array();
    for (const ResultTable& t : r.tables)
        tables.push_back(t.analysis);
    return {{"index", r.index}, {"key", r.key},     {"model", r.model},    {"dataset", r.dataset},
            {"entry", r.entry}, {"edits", r.edits}, {"prompt", r.prompt},  {"status", r.status},
            {"error", r.error}, {"tables", tables}, {"capture", r.capture}};
}

ItemRecord itemFromJson(const json& i) {
    ItemRecord r;
    r.index = i.at("index").get<int>();
    r.key = i.at("key").get<std::string>();
    r.model = i.at("model").get<int>();
    r.dataset = i.at("dataset").get<std::string>();
    r.entry = i.at("entry").get<int>();
    r.edits = i.at("edits").get<std::string>();
    r.prompt = i.at("prompt").get<std::string>();
    r.status = i.at("status").get<std::string>();
    r.error = i.at("error").get<std::string>();
    r.capture = i.value("capture", std::string());
    return r;
}

BatchResultsFile runFromRecord(const json& record) {
    BatchResultsFile out;
    const json& x = record.at("experiment");
    out.experimentName = x.at("name").get<std::string>();
    out.experimentContent = x.at("content").get<std::string>();
    out.experimentSha256 = x.at("sha256").get<std::string>();
    out.toolVersion = record.at("tool_version").get<std::string>();
    for (const json& m : record.at("models")) {
        out.modelPaths.push_back(m.at("path").get<std::string>());
        out.modelFingerprints.push_back(m.at("fingerprint").get<std::string>());
    }
    out.itemsTotal = record.at("items_total").get<int>();
    return out;
}

fs::path captureFolder(const fs::path& out) {
    fs::path p = out;
    return p.replace_extension(".captures");
}

fs::path csvSummaryPath(const fs::path& out) {
    fs::path p = out;
    return p.replace_extension(".csv");
}

fs::path jsonSummaryPath(const fs::path& out) {
    fs::path p = out;
    return p.replace_extension(".json");
}

std::vector<std::pair<std::string, ResultTable>> aggregateTables(
    const std::vector<ItemRecord>& items) {
    // Sums in item order, so that every run of the same items gives the same bits.
    struct Sum {
        ResultTable table;
        std::vector<double> sum;
        std::vector<int> count;
    };
    std::map<std::pair<std::string, std::string>, Sum> sums;
    std::vector<std::pair<std::string, std::string>> order;
    for (const ItemRecord& r : items) {
        if (r.status != "ok") continue;
        for (const ResultTable& t : r.tables) {
            const auto id = std::make_pair(aggregateKey(r), t.analysis);
            auto it = sums.find(id);
            if (it == sums.end()) {
                Sum s{t, std::vector<double>(t.values.size(), 0.0),
                      std::vector<int>(t.values.size(), 0)};
                it = sums.emplace(id, std::move(s)).first;
                order.push_back(id);
            }
            Sum& s = it->second;
            if (s.sum.size() != t.values.size()) continue;  // another shape: not averaged
            for (size_t i = 0; i < t.values.size(); ++i)
                if (!std::isnan(t.values[i])) {
                    s.sum[i] += t.values[i];
                    ++s.count[i];
                }
        }
    }
    std::vector<std::pair<std::string, ResultTable>> out;
    for (const auto& id : order) {
        Sum& s = sums.at(id);
        ResultTable t = s.table;
        for (size_t i = 0; i < t.values.size(); ++i)
            t.values[i] = s.count[i] > 0 ? static_cast<float>(s.sum[i] / s.count[i])
                                         : std::numeric_limits<float>::quiet_NaN();
        json p = json::parse(t.paramsJson, nullptr, false);
        if (!p.is_object()) p = json::object();
        p["aggregate"] = "mean over the finished items";
        t.paramsJson = p.dump();
        out.emplace_back(id.first, std::move(t));
    }
    return out;
}

json batchRecord(const BatchPlan& plan, const std::vector<ItemRecord>& items) {
    const Experiment& x = plan.experiment;
    json models = json::array();
    for (const BatchModel& m : plan.models)
        models.push_back({{"path", m.path.string()},
                          {"fingerprint", m.summary.fingerprint},
                          {"architecture", m.summary.architecture},
                          {"layers", m.summary.layers},
                          {"heads", m.summary.heads}});
    json itemList = json::array();
    for (const ItemRecord& r : items)
        itemList.push_back(itemJson(r));
    return {{"format", kBatchFormat},
            {"version", 1},
            {"tool_version", ATTNSCOPE_VERSION},
            {"experiment",
             {{"name", x.name},
              {"path", x.path.string()},
              {"sha256", x.sha256},
              {"content", x.content}}},
            {"models", models},
            {"items_total", plan.items.size()},
            {"items", itemList}};
}

void writeBatchResults(const fs::path& path, const BatchPlan& plan,
                       const std::vector<ItemRecord>& items) {
    const BatchModel& first = plan.models.front();
    store::ModelInfo info;
    info.architecture = first.summary.architecture;
    info.configJson = first.configJson;
    info.dtype = first.summary.dtype;
    info.fingerprint = first.summary.fingerprint;
    auto writer = store::CaptureWriter::create(path, {}, info);
    for (const ItemRecord& r : items)
        for (const ResultTable& t : r.tables)
            writer.writeScores(t.analysis, r.key, {t.rows, t.cols, t.values}, storedParams(t));
    const auto aggregates = aggregateTables(items);
    for (const auto& [key, t] : aggregates)
        writer.writeScores(t.analysis, key, {t.rows, t.cols, t.values}, storedParams(t));
    const json record = batchRecord(plan, items);
    writer.setRootText(kBatchAttribute, record.dump());
    writer.commit();

    std::string csv = "index,key,model,dataset,entry,edits,status,analysis,row,column,value\n";
    for (const ItemRecord& r : items) {
        const std::string prefix = std::to_string(r.index) + "," + r.key + "," +
                                   std::to_string(r.model) + "," + csvField(r.dataset) + "," +
                                   std::to_string(r.entry) + "," + csvField(r.edits) + "," +
                                   r.status + ",";
        if (r.tables.empty()) csv += prefix + ",,,\n";
        for (const ResultTable& t : r.tables)
            appendCsvRows(csv, prefix, t);
    }
    for (const auto& [key, t] : aggregates)
        appendCsvRows(csv, "-1," + key + ",,,,,mean,", t);
    writeTextAtomically(csvSummaryPath(path), csv);

    json summary = record;
    summary["experiment"].erase("content");
    int failed = 0;
    for (const ItemRecord& r : items)
        failed += r.status != "ok";
    summary["items_done"] = items.size();
    summary["items_failed"] = failed;
    json means = json::object();
    for (const auto& [key, t] : aggregates)
        means[key][t.analysis] = tableJson(t);
    summary["aggregates"] = means;
    writeTextAtomically(jsonSummaryPath(path), summary.dump(1) + "\n");
}

BatchResultsFile readBatchResults(const fs::path& path, const capture::Progress& progress) {
    progress.report(0.0, "verifying " + path.filename().string());
    const store::CaptureReader reader(path, store::CaptureReader::Trust::Verify);
    const auto text = reader.rootText(kBatchAttribute);
    if (!text)
        throw capture::InputError(path.string() + ": not a batch results file (no '" +
                                  std::string(kBatchAttribute) + "' attribute)");
    const json record = json::parse(*text, nullptr, false);
    if (!record.is_object() || record.value("format", "") != kBatchFormat)
        throw capture::InputError(path.string() + ": the '" + std::string(kBatchAttribute) +
                                  "' attribute is not an attnscope-batch record");
    BatchResultsFile out;
    try {
        out = runFromRecord(record);
        const json& items = record.at("items");
        for (const json& i : items) {
            // The file is verified first (a tenth of the time, roughly), then read item by item.
            progress.report(0.1 + 0.9 * static_cast<double>(out.items.size()) /
                                      static_cast<double>(std::max<size_t>(items.size(), 1)),
                            "reading the items");
            progress.check();
            ItemRecord r = itemFromJson(i);
            for (const json& label : i.at("tables")) {
                const std::string l = label.get<std::string>();
                r.tables.push_back(
                    tableFromStore(l, reader.readScores(l, r.key), reader.scoreParams(l, r.key)));
            }
            out.items.push_back(std::move(r));
        }
    } catch (const json::exception& e) {
        throw capture::InputError(path.string() + ": malformed batch record: " + e.what());
    }
    for (const std::string& label : reader.resultMetrics())
        for (const std::string& key : reader.resultKeys(label))
            if (key.rfind("mean-", 0) == 0)
                out.aggregates.emplace_back(key,
                                            tableFromStore(label, reader.readScores(label, key),
                                                           reader.scoreParams(label, key)));
    return out;
}

}  // namespace attnscope::app
