// Session files: a capture file (runs 0 = edited, 1 = baseline, /results) whose root carries
// the session JSON as the string attribute `session`.
#include "engine_state.h"  // LibTorch first

#include <hdf5.h>

#include <QFile>

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "attnscope/store/capture_reader.h"
#include "attnscope/store/capture_writer.h"

namespace attnscope::ui::detail {
namespace {

constexpr const char* kSessionAttribute = "session";

// RAII for one HDF5 handle.
struct Handle {
    hid_t id;
    herr_t (*close)(hid_t);
    ~Handle() {
        if (id >= 0) close(id);
    }
};

hid_t stringType() {
    const hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    return t;
}

void writeRootString(const QString& path, const char* name, const QByteArray& value) {
    Handle file{H5Fopen(path.toLocal8Bit().constData(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose};
    if (file.id < 0) throw std::runtime_error(path.toStdString() + ": cannot reopen to write");
    if (H5Aexists(file.id, name) > 0) H5Adelete(file.id, name);
    Handle type{stringType(), H5Tclose};
    Handle space{H5Screate(H5S_SCALAR), H5Sclose};
    Handle attr{H5Acreate2(file.id, name, type.id, space.id, H5P_DEFAULT, H5P_DEFAULT), H5Aclose};
    const char* data = value.constData();
    if (attr.id < 0 || H5Awrite(attr.id, type.id, &data) < 0)
        throw std::runtime_error(path.toStdString() + ": cannot write the session attribute");
}

QByteArray readRootString(const QString& path, const char* name) {
    Handle file{H5Fopen(path.toLocal8Bit().constData(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose};
    if (file.id < 0 || H5Aexists(file.id, name) <= 0)
        throw std::runtime_error(path.toStdString() + ": not an AttnScope session (no '" + name +
                                 "' attribute)");
    Handle attr{H5Aopen(file.id, name, H5P_DEFAULT), H5Aclose};
    Handle type{stringType(), H5Tclose};
    char* data = nullptr;
    if (attr.id < 0 || H5Aread(attr.id, type.id, &data) < 0 || !data)
        throw std::runtime_error(path.toStdString() + ": unreadable session attribute");
    QByteArray out(data);
    H5free_memory(data);
    return out;
}

store::RunInfo runInfo(const RunSnapshot& run, const QByteArray& interventionsJson) {
    store::RunInfo info;
    info.prompt = run.prompt.toStdString();
    for (const auto& t : run.tokens.tokens) {
        info.inputIds.push_back(t.id);
        info.tokens.push_back(t.text.toStdString());
        info.offsets.push_back({t.charBegin, t.charEnd});
    }
    info.captureSpecJson = R"({"hooks":["blocks.*.attn.hook_pattern"]})";
    info.interventionsJson = interventionsJson.toStdString();
    return info;
}

void writePatterns(store::CaptureWriter& writer, const RunSnapshot& run,
                   const std::vector<std::vector<float>>& patterns) {
    for (int l = 0; l < static_cast<int>(patterns.size()); ++l)
        writer.writeHook("blocks." + std::to_string(l) + ".attn.hook_pattern",
                         {patterns[l].data(), {run.heads, run.length, run.length}});
}

}  // namespace

void writeSessionFile(const Engine& engine, const QString& path, const SessionState& state,
                      const RunSnapshot* run) {
    const QByteArray json = state.toJson();
    auto writer = store::CaptureWriter::create(path.toStdString(), {}, engine.info);
    if (run) {
        // The edit list as the session JSON has it: plain kinds, heads and parameters.
        SessionState edits;
        edits.interventions = run->interventions;
        const QByteArray all = edits.toJson();
        writer.beginRun(runInfo(*run, all));
        writePatterns(writer, *run, run->patterns);
        writer.beginRun(runInfo(*run, "[]"));
        writePatterns(writer, *run, run->baselinePatterns);
    }
    for (const HeadScoresSnapshot& r : state.results) {
        store::ScoreTable t{r.layers, r.heads, {r.values.begin(), r.values.end()}};
        const nlohmann::json params{{"description", r.description.toStdString()}};
        writer.writeScores(r.metric.toStdString(), "session", t, params.dump());
    }
    writer.commit();
    writeRootString(path, kSessionAttribute, json);
}

SessionState readSessionFile(const QString& path) {
    if (!QFile::exists(path)) throw std::runtime_error(path.toStdString() + ": no such file");
    SessionState state;
    QString error;
    if (!SessionState::fromJson(readRootString(path, kSessionAttribute), &state, &error))
        throw std::runtime_error(path.toStdString() + ": " + error.toStdString());
    store::CaptureReader reader(path.toStdString());
    state.results.clear();
    for (const std::string& metric : reader.resultMetrics()) {
        const auto keys = reader.resultKeys(metric);
        if (keys.empty()) continue;
        const store::ScoreTable t = reader.readScores(metric, keys.front());
        HeadScoresSnapshot s;
        s.metric = QString::fromStdString(metric);
        s.layers = static_cast<int>(t.layers);
        s.heads = static_cast<int>(t.heads);
        s.values.assign(t.values.begin(), t.values.end());
        const auto params =
            nlohmann::json::parse(reader.scoreParams(metric, keys.front()), nullptr, false);
        if (params.is_object() && params.contains("description"))
            s.description = QString::fromStdString(params["description"].get<std::string>());
        state.results.push_back(std::move(s));
    }
    return state;
}

}  // namespace attnscope::ui::detail
