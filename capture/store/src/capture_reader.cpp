#include "attnscope/store/capture_reader.h"

#include <algorithm>

#include "isolated_verification.h"

#include <nlohmann/json.hpp>

#include "attnscope/store/capture_format.h"
#include "capture_layout.h"
#include "circuit_table.h"
#include "dataset_io.h"
#include "file_context.h"
#include "hdf5_attributes.h"
#include "hdf5_handle.h"
#include "pattern_source.h"

namespace attnscope::store {

namespace fs = std::filesystem;
using detail::fail;
using detail::Handle;

struct CaptureReader::Impl {
    fs::path path;
    Handle file;  // declared first: closed after the groups
    Handle runs;
    int64_t runCount = 0;

    Handle runGroup(int64_t run) const {
        if (run < 0 || run >= runCount)
            fail("run " + std::to_string(run) + " does not exist (the file has " +
                 std::to_string(runCount) + " runs)");
        return detail::openGroup(runs.get(), std::to_string(run));
    }
    Handle hooksGroup(int64_t run) const {
        Handle group = runGroup(run);
        return detail::openGroup(group.get(), detail::kHooksGroup);
    }
    Handle hookDataset(int64_t run, const std::string& hook) const {
        detail::checkLinkName(hook, "hook name");
        Handle hooks = hooksGroup(run);
        if (!detail::hasLink(hooks.get(), hook))
            fail("run " + std::to_string(run) + " has no hook '" + hook + "'");
        return detail::openDataset(hooks.get(), hook);
    }
    Handle scoresDataset(const std::string& metric, const std::string& key) const {
        detail::checkLinkName(metric, "metric name");
        detail::checkLinkName(key, "result key");
        Handle results = detail::openGroup(file.get(), detail::kResultsGroup);
        Handle metricGroup = detail::openGroup(results.get(), metric);
        Handle keyGroup = detail::openGroup(metricGroup.get(), key);
        return detail::openDataset(keyGroup.get(), detail::kScores);
    }
};

CaptureReader::CaptureReader(const fs::path& path, Trust trust) : m_impl(std::make_unique<Impl>()) {
    m_impl->path = path;
    if (trust == Trust::Verify) detail::verifyInChildProcess(path);
    detail::withFileContext(path, [&] {
        std::error_code error;
        if (!fs::exists(path, error)) fail("no such file");
        if (!fs::is_regular_file(path, error)) fail("not a regular file");
        m_impl->file = Handle(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
        if (!m_impl->file.valid())
            fail("not a readable HDF5 file (" + detail::takeHdf5ErrorMessage() + ")");
        detail::checkFormat(m_impl->file.get());
        detail::openGroup(m_impl->file.get(), detail::kModelGroup);
        m_impl->runs = detail::openGroup(m_impl->file.get(), detail::kRunsGroup);
        m_impl->runCount = detail::countRuns(m_impl->runs.get());
    });
}

CaptureReader::CaptureReader(CaptureReader&&) noexcept = default;
CaptureReader& CaptureReader::operator=(CaptureReader&&) noexcept = default;
CaptureReader::~CaptureReader() {
    if (m_impl) {
        detail::ErrorSilencer silencer;
        m_impl->runs.reset();
        m_impl->file.reset();
    }
}

const CaptureReader::Impl& CaptureReader::impl() const {
    if (!m_impl) throw StoreError("use of a moved-from capture reader");
    return *m_impl;
}

const fs::path& CaptureReader::path() const {
    return impl().path;
}

int64_t CaptureReader::runCount() const {
    return impl().runCount;
}

std::optional<std::string> CaptureReader::rootText(const std::string& name) const {
    return detail::withFileContext(
        impl().path, [&] { return detail::readStringAttribute(impl().file.get(), name.c_str()); });
}

ModelInfo CaptureReader::model() const {
    return detail::withFileContext(impl().path, [&] {
        Handle group = detail::openGroup(impl().file.get(), detail::kModelGroup);
        ModelInfo info;
        info.architecture = detail::requireStringAttribute(group.get(), "architecture");
        info.configJson = detail::requireStringAttribute(group.get(), "config_json");
        info.dtype = detail::requireStringAttribute(group.get(), "dtype");
        info.fingerprint = detail::requireStringAttribute(group.get(), "fingerprint");
        detail::requireJson(info.configJson, "attribute 'config_json' of '/model'");
        return info;
    });
}

RunInfo CaptureReader::run(int64_t i) const {
    return detail::withFileContext(impl().path, [&] {
        Handle group = impl().runGroup(i);
        const std::string where = "'/runs/" + std::to_string(i) + "'";
        RunInfo info;
        info.prompt = detail::requireStringAttribute(group.get(), "prompt");
        info.captureSpecJson = detail::requireStringAttribute(group.get(), "capture_spec");
        info.interventionsJson = detail::requireStringAttribute(group.get(), "interventions");
        info.generationStep = detail::requireInt64Attribute(group.get(), "generation_step");
        detail::requireJson(info.captureSpecJson, "attribute 'capture_spec' of " + where);
        detail::requireJson(info.interventionsJson, "attribute 'interventions' of " + where);

        Handle ids = detail::openDataset(group.get(), detail::kInputIds);
        if (detail::datasetShape(ids.get()).size() != 1)
            fail("input_ids of " + where + " is not [pos]");
        info.inputIds = detail::readInt64s(ids.get(), detail::kMaxRunTokens);
        const auto count = static_cast<int64_t>(info.inputIds.size());

        Handle tokens = detail::openDataset(group.get(), detail::kTokens);
        info.tokens = detail::readStrings(tokens.get(), detail::kMaxRunTokens);
        if (static_cast<int64_t>(info.tokens.size()) != count)
            fail("tokens of " + where + " has " + std::to_string(info.tokens.size()) +
                 " entries but input_ids has " + std::to_string(count));

        Handle offsets = detail::openDataset(group.get(), detail::kOffsets);
        if (detail::datasetShape(offsets.get()) != std::vector<int64_t>{count, 2})
            fail("offsets of " + where + " is not [" + std::to_string(count) + ", 2]");
        const std::vector<int64_t> flat =
            detail::readInt64s(offsets.get(), 2 * detail::kMaxRunTokens);
        info.offsets.resize(static_cast<size_t>(count));
        for (size_t t = 0; t < info.offsets.size(); ++t)
            info.offsets[t] = {flat[2 * t], flat[2 * t + 1]};
        return info;
    });
}

std::vector<std::string> CaptureReader::hooks(int64_t run) const {
    return detail::withFileContext(impl().path, [&] {
        Handle hooks = impl().hooksGroup(run);
        return detail::linkNames(hooks.get());
    });
}

bool CaptureReader::hasHook(int64_t run, const std::string& hook) const {
    return detail::withFileContext(impl().path, [&] {
        Handle hooks = impl().hooksGroup(run);
        return detail::hasLink(hooks.get(), hook);
    });
}

std::vector<int64_t> CaptureReader::shape(int64_t run, const std::string& hook) const {
    return detail::withFileContext(impl().path, [&] {
        Handle dataset = impl().hookDataset(run, hook);
        return detail::datasetShape(dataset.get());
    });
}

std::vector<float> CaptureReader::readHook(int64_t run, const std::string& hook) const {
    return detail::withFileContext(impl().path, [&] {
        Handle dataset = impl().hookDataset(run, hook);
        const std::vector<int64_t> shape = detail::datasetShape(dataset.get());
        return detail::readFloats(dataset.get(), std::vector<int64_t>(shape.size(), 0), shape);
    });
}

std::vector<float> CaptureReader::readSlab(int64_t run, const std::string& hook,
                                           const std::vector<int64_t>& start,
                                           const std::vector<int64_t>& count) const {
    return detail::withFileContext(impl().path, [&] {
        Handle dataset = impl().hookDataset(run, hook);
        return detail::readFloats(dataset.get(), start, count);
    });
}

std::vector<float> CaptureReader::readHeadPattern(int64_t run, int layer, int head) const {
    return detail::withFileContext(impl().path, [&] {
        Handle hooks = impl().hooksGroup(run);
        const detail::PatternSource source(hooks.get(), layer);
        const std::vector<int64_t> shape = source.shape();
        return source.readTile(head, 0, shape[1], 0, shape[2]);
    });
}

std::vector<float> CaptureReader::readPatternTile(int64_t run, int layer, int head, int64_t q0,
                                                  int64_t q1, int64_t k0, int64_t k1) const {
    return detail::withFileContext(impl().path, [&] {
        Handle hooks = impl().hooksGroup(run);
        return detail::PatternSource(hooks.get(), layer).readTile(head, q0, q1, k0, k1);
    });
}

bool CaptureReader::hasPattern(int64_t run, int layer) const {
    return detail::withFileContext(impl().path, [&] {
        Handle hooks = impl().hooksGroup(run);
        return detail::PatternSource::available(hooks.get(), layer);
    });
}

std::vector<int64_t> CaptureReader::patternShape(int64_t run, int layer) const {
    return detail::withFileContext(impl().path, [&] {
        Handle hooks = impl().hooksGroup(run);
        return detail::PatternSource(hooks.get(), layer).shape();
    });
}

std::vector<std::string> CaptureReader::resultMetrics() const {
    return detail::withFileContext(impl().path, [&] {
        if (!detail::hasLink(impl().file.get(), detail::kResultsGroup))
            return std::vector<std::string>{};
        Handle results = detail::openGroup(impl().file.get(), detail::kResultsGroup);
        std::vector<std::string> names = detail::linkNames(results.get());
        names.erase(std::remove(names.begin(), names.end(), detail::kCircuitsGroup), names.end());
        return names;
    });
}

std::vector<std::string> CaptureReader::circuitNames() const {
    return detail::withFileContext(impl().path, [&] {
        const hid_t file = impl().file.get();
        if (!detail::hasLink(file, detail::kResultsGroup)) return std::vector<std::string>{};
        Handle results = detail::openGroup(file, detail::kResultsGroup);
        if (!detail::hasLink(results.get(), detail::kCircuitsGroup))
            return std::vector<std::string>{};
        Handle circuits = detail::openGroup(results.get(), detail::kCircuitsGroup);
        return detail::linkNames(circuits.get());
    });
}

CircuitRecord CaptureReader::readCircuit(const std::string& name) const {
    return detail::withFileContext(impl().path, [&] {
        Handle results = detail::openGroup(impl().file.get(), detail::kResultsGroup);
        Handle circuits = detail::openGroup(results.get(), detail::kCircuitsGroup);
        return detail::readCircuitGroup(circuits.get(), name);
    });
}

std::vector<std::string> CaptureReader::resultKeys(const std::string& metric) const {
    return detail::withFileContext(impl().path, [&] {
        detail::checkLinkName(metric, "metric name");
        Handle results = detail::openGroup(impl().file.get(), detail::kResultsGroup);
        Handle metricGroup = detail::openGroup(results.get(), metric);
        return detail::linkNames(metricGroup.get());
    });
}

ScoreTable CaptureReader::readScores(const std::string& metric, const std::string& key) const {
    return detail::withFileContext(impl().path, [&] {
        Handle dataset = impl().scoresDataset(metric, key);
        const std::vector<int64_t> shape = detail::datasetShape(dataset.get());
        if (shape.size() != 2) fail("scores of '" + metric + "/" + key + "' are not [layer, head]");
        if (detail::elementCount(shape, "scores") > detail::kMaxScoreValues)
            fail("scores of '" + metric + "/" + key + "' are too large for a [layer, head] table");
        ScoreTable table;
        table.layers = shape[0];
        table.heads = shape[1];
        table.values = detail::readFloats(dataset.get(), {0, 0}, shape);
        return table;
    });
}

std::string CaptureReader::scoreParams(const std::string& metric, const std::string& key) const {
    return detail::withFileContext(impl().path, [&] {
        Handle dataset = impl().scoresDataset(metric, key);
        std::string params = detail::requireStringAttribute(dataset.get(), "params");
        detail::requireJson(params, "params of '" + metric + "/" + key + "'");
        return params;
    });
}

}  // namespace attnscope::store
