#include "attnscope/store/capture_writer.h"

#include <cmath>
#include <ctime>
#include <system_error>

#include "atomic_file.h"
#include "attnscope/store/capture_format.h"
#include "capture_layout.h"
#include "chunk_layout.h"
#include "circuit_table.h"
#include "dataset_io.h"
#include "file_context.h"
#include "hdf5_attributes.h"
#include "hdf5_handle.h"

#ifndef ATTNSCOPE_VERSION
#define ATTNSCOPE_VERSION "unknown"
#endif

namespace attnscope::store {

namespace fs = std::filesystem;
using detail::check;
using detail::checkStatus;
using detail::fail;
using detail::Handle;

struct CaptureWriter::Impl {
    fs::path finalPath;
    fs::path tempPath;
    WriterOptions options;
    // Declared before the groups so that it is closed after them.
    Handle file;
    Handle runs;
    Handle run;
    Handle hooks;
    int64_t nextRun = 0;
    bool committed = false;

    ~Impl() {
        detail::ErrorSilencer silencer;
        hooks.reset();
        run.reset();
        runs.reset();
        file.reset();
        if (!committed && !tempPath.empty()) {
            std::error_code ignored;
            fs::remove(tempPath, ignored);
        }
    }

    void requireOpen() const {
        if (committed) fail("the capture writer was already committed");
    }
    void requireRun() const {
        requireOpen();
        if (!run.valid()) fail("no run is open: call beginRun() before writing hooks");
    }
};

namespace {

std::string utcNow() {
    const std::time_t now = std::time(nullptr);
    std::tm parts{};
    gmtime_r(&now, &parts);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
    return text;
}

void checkOptions(const WriterOptions& options) {
    if (options.compress && (options.compressionLevel < 1 || options.compressionLevel > 9))
        fail("compression level " + std::to_string(options.compressionLevel) + " is outside 1..9");
}

Handle openFile(const fs::path& path, bool create) {
    Handle fapl(check(H5Pcreate(H5P_FILE_ACCESS), "cannot create property list"));
    // Closing the file then closes everything in it, so a failed write cannot leak it open.
    checkStatus(H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_STRONG), "cannot set close degree");
    if (create)
        return Handle(check(H5Fcreate(path.c_str(), H5F_ACC_EXCL, H5P_DEFAULT, fapl.get()),
                            "cannot create '" + path.string() + "'"));
    return Handle(check(H5Fopen(path.c_str(), H5F_ACC_RDWR, fapl.get()),
                        "cannot open '" + path.string() + "' for appending"));
}

void checkFinalPath(const fs::path& path) {
    if (path.filename().empty() || path.filename() == "." || path.filename() == "..")
        fail("not a file name");
}

}  // namespace

CaptureWriter::CaptureWriter(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
CaptureWriter::CaptureWriter(CaptureWriter&&) noexcept = default;
CaptureWriter& CaptureWriter::operator=(CaptureWriter&&) noexcept = default;
CaptureWriter::~CaptureWriter() = default;

CaptureWriter::Impl& CaptureWriter::impl() const {
    if (!m_impl) throw StoreError("use of a moved-from capture writer");
    return *m_impl;
}

CaptureWriter CaptureWriter::create(const fs::path& finalPath, WriterOptions options,
                                    const ModelInfo& model) {
    return detail::withFileContext(finalPath, [&] {
        checkFinalPath(finalPath);
        checkOptions(options);
        detail::requireJson(model.configJson, "model config");
        detail::removeStaleTemporaries(finalPath);

        auto impl = std::make_unique<Impl>();
        impl->finalPath = finalPath;
        impl->options = options;
        impl->tempPath = detail::temporaryPathFor(finalPath);
        impl->file = openFile(impl->tempPath, true);

        const hid_t root = impl->file.get();
        detail::writeStringAttribute(root, "format", kFormatName);
        detail::writeInt64Attribute(root, "format_version", kFormatVersion);
        detail::writeStringAttribute(root, "tool_version", ATTNSCOPE_VERSION);
        detail::writeStringAttribute(root, "created", utcNow());

        Handle modelGroup(detail::createOrderedGroup(root, detail::kModelGroup));
        detail::writeStringAttribute(modelGroup.get(), "architecture", model.architecture);
        detail::writeStringAttribute(modelGroup.get(), "config_json", model.configJson);
        detail::writeStringAttribute(modelGroup.get(), "dtype", model.dtype);
        detail::writeStringAttribute(modelGroup.get(), "fingerprint", model.fingerprint);

        impl->runs = Handle(detail::createOrderedGroup(root, detail::kRunsGroup));
        return CaptureWriter(std::move(impl));
    });
}

CaptureWriter CaptureWriter::append(const fs::path& existingPath, WriterOptions options) {
    return detail::withFileContext(existingPath, [&] {
        checkFinalPath(existingPath);
        checkOptions(options);
        if (!fs::is_regular_file(existingPath)) fail("no such capture file");
        {
            // Refuse to append to something that is not a capture before paying for a copy.
            Handle original(H5Fopen(existingPath.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
            if (!original.valid())
                fail("not a readable HDF5 file (" + detail::takeHdf5ErrorMessage() + ")");
            detail::checkFormat(original.get());
        }
        detail::removeStaleTemporaries(existingPath);

        auto impl = std::make_unique<Impl>();
        impl->finalPath = existingPath;
        impl->options = options;
        impl->tempPath = detail::temporaryPathFor(existingPath);
        detail::copyFile(existingPath, impl->tempPath);
        impl->file = openFile(impl->tempPath, false);
        detail::writeStringAttribute(impl->file.get(), "modified", utcNow());
        impl->runs = detail::openGroup(impl->file.get(), detail::kRunsGroup);
        impl->nextRun = detail::countRuns(impl->runs.get());
        return CaptureWriter(std::move(impl));
    });
}

int64_t CaptureWriter::beginRun(const RunInfo& info) {
    return detail::withFileContext(impl().finalPath, [&] {
        impl().requireOpen();
        const size_t tokens = info.inputIds.size();
        if (info.tokens.size() != tokens || info.offsets.size() != tokens)
            fail("run has " + std::to_string(tokens) + " input ids, " +
                 std::to_string(info.tokens.size()) + " token strings and " +
                 std::to_string(info.offsets.size()) + " offsets; they must match");
        detail::requireJson(info.captureSpecJson, "capture spec");
        detail::requireJson(info.interventionsJson, "interventions");

        impl().hooks.reset();
        impl().run.reset();
        const int64_t index = impl().nextRun;
        Handle run(detail::createOrderedGroup(impl().runs.get(), std::to_string(index)));
        detail::writeStringAttribute(run.get(), "prompt", info.prompt);
        detail::writeStringAttribute(run.get(), "capture_spec", info.captureSpecJson);
        detail::writeStringAttribute(run.get(), "interventions", info.interventionsJson);
        detail::writeInt64Attribute(run.get(), "generation_step", info.generationStep);

        const auto count = static_cast<int64_t>(tokens);
        detail::writeInt64Dataset(run.get(), detail::kInputIds, info.inputIds.data(), {count});
        detail::writeStringDataset(run.get(), detail::kTokens, info.tokens);
        // std::array<int64_t, 2> elements are contiguous, so the vector is a [pos, 2] block.
        static_assert(sizeof(std::array<int64_t, 2>) == 2 * sizeof(int64_t));
        detail::writeInt64Dataset(run.get(), detail::kOffsets,
                                  count ? info.offsets.front().data() : nullptr, {count, 2});

        impl().hooks = Handle(detail::createOrderedGroup(run.get(), detail::kHooksGroup));
        impl().run = std::move(run);
        ++impl().nextRun;
        return index;
    });
}

void CaptureWriter::writeHook(const std::string& hookName, const ArrayView& array) {
    detail::withFileContext(impl().finalPath, [&] {
        impl().requireRun();
        detail::checkLinkName(hookName, "hook name");
        detail::FloatDatasetOptions options;
        options.storage = impl().options.storage;
        options.compress = impl().options.compress;
        options.compressionLevel = impl().options.compressionLevel;
        options.attentionMap = detail::isAttentionMapHook(hookName, array.shape.size());
        detail::writeFloatDataset(impl().hooks.get(), hookName, array, options);
    });
}

void CaptureWriter::writeLse(int layer, const ArrayView& lse, float scale, float softcap) {
    detail::withFileContext(impl().finalPath, [&] {
        impl().requireRun();
        if (layer < 0) fail("layer " + std::to_string(layer) + " is negative");
        if (lse.shape.size() != 2) fail("log-sum-exp must be [head, query]");
        if (!std::isfinite(scale) || scale == 0.0f) fail("logit scale must be finite and non-zero");
        if (!std::isfinite(softcap) || softcap < 0.0f) fail("softcap must be finite and >= 0");
        const std::string name = lseHookName(layer);
        detail::FloatDatasetOptions options;
        // Rebuilt probabilities are exp(s - lse): an lse rounded to half is off by up to
        // |lse| * 2^-11, which becomes the relative error of every probability of its row.
        options.storage = StorageType::Float32;
        options.compress = impl().options.compress;
        options.compressionLevel = impl().options.compressionLevel;
        detail::writeFloatDataset(impl().hooks.get(), name, lse, options);
        Handle dataset = detail::openDataset(impl().hooks.get(), name);
        detail::writeFloatAttribute(dataset.get(), "scale", scale);
        detail::writeFloatAttribute(dataset.get(), "softcap", softcap);
    });
}

void CaptureWriter::writeScores(const std::string& metric, const std::string& key,
                                const ScoreTable& table, const std::string& paramsJson) {
    detail::withFileContext(impl().finalPath, [&] {
        impl().requireOpen();
        detail::checkLinkName(metric, "metric name");
        detail::checkLinkName(key, "result key");
        detail::requireJson(paramsJson, "score parameters");
        if (table.layers < 0 || table.heads < 0 ||
            table.values.size() != static_cast<size_t>(table.layers * table.heads))
            fail("score table for '" + metric + "' has " + std::to_string(table.values.size()) +
                 " values for " + std::to_string(table.layers) + " layers x " +
                 std::to_string(table.heads) + " heads");

        const hid_t root = impl().file.get();
        Handle results = detail::hasLink(root, detail::kResultsGroup)
                             ? detail::openGroup(root, detail::kResultsGroup)
                             : Handle(detail::createOrderedGroup(root, detail::kResultsGroup));
        Handle metricGroup = detail::hasLink(results.get(), metric)
                                 ? detail::openGroup(results.get(), metric)
                                 : Handle(detail::createOrderedGroup(results.get(), metric));
        Handle keyGroup = detail::hasLink(metricGroup.get(), key)
                              ? detail::openGroup(metricGroup.get(), key)
                              : Handle(detail::createOrderedGroup(metricGroup.get(), key));
        if (detail::hasLink(keyGroup.get(), detail::kScores))
            checkStatus(H5Ldelete(keyGroup.get(), detail::kScores, H5P_DEFAULT),
                        "cannot replace the scores of '" + metric + "/" + key + "'");
        detail::FloatDatasetOptions options;
        detail::writeFloatDataset(keyGroup.get(), detail::kScores,
                                  ArrayView{table.values.data(), {table.layers, table.heads}},
                                  options);
        Handle dataset = detail::openDataset(keyGroup.get(), detail::kScores);
        detail::writeStringAttribute(dataset.get(), "params", paramsJson);
    });
}

void CaptureWriter::writeCircuit(const std::string& name, const CircuitRecord& circuit) {
    detail::withFileContext(impl().finalPath, [&] {
        impl().requireOpen();
        const hid_t root = impl().file.get();
        Handle results = detail::hasLink(root, detail::kResultsGroup)
                             ? detail::openGroup(root, detail::kResultsGroup)
                             : Handle(detail::createOrderedGroup(root, detail::kResultsGroup));
        Handle circuits =
            detail::hasLink(results.get(), detail::kCircuitsGroup)
                ? detail::openGroup(results.get(), detail::kCircuitsGroup)
                : Handle(detail::createOrderedGroup(results.get(), detail::kCircuitsGroup));
        detail::writeCircuitGroup(circuits.get(), name, circuit);
    });
}

void CaptureWriter::setRootText(const std::string& name, const std::string& text) {
    detail::withFileContext(impl().finalPath, [&] {
        impl().requireOpen();
        const hid_t file = impl().file.get();
        if (H5Aexists(file, name.c_str()) > 0) H5Adelete(file, name.c_str());
        detail::writeStringAttribute(file, name.c_str(), text);
    });
}

void CaptureWriter::commit() {
    detail::withFileContext(impl().finalPath, [&] {
        impl().requireOpen();
        impl().hooks.reset();
        impl().run.reset();
        impl().runs.reset();
        checkStatus(H5Fflush(impl().file.get(), H5F_SCOPE_GLOBAL), "cannot flush the capture");
        if (!impl().file.reset())
            fail("cannot close the capture (" + detail::takeHdf5ErrorMessage() + ")");
        detail::publishFile(impl().tempPath, impl().finalPath);
        impl().committed = true;
    });
}

std::vector<StaleTemporary> CaptureWriter::removeStaleTemporaries(const fs::path& finalPath) {
    return detail::removeStaleTemporaries(finalPath);
}

const fs::path& CaptureWriter::tempPath() const {
    return impl().tempPath;
}

}  // namespace attnscope::store
