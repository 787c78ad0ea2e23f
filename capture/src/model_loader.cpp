#include "attnscope/capture/model_loader.h"

#include <ATen/ATen.h>

#include <fstream>
#include <sstream>

#include "architecture_weights.h"
#include "attnscope/capture/load_error.h"
#include "attnscope/capture/runtime_settings.h"
#include "attnscope/capture/transformer_model.h"
#include "attnscope/capture/weight_source.h"

namespace attnscope::capture {
namespace {

uint64_t availableMemoryBytes() {
    std::ifstream meminfo("/proc/meminfo");
    std::string key;
    uint64_t kb = 0;
    std::string unit;
    while (meminfo >> key >> kb >> unit)
        if (key == "MemAvailable:") return kb * 1024;
    return 0;
}

std::string gib(uint64_t bytes) {
    std::ostringstream s;
    s.precision(1);
    s << std::fixed << static_cast<double>(bytes) / (1ull << 30) << " GiB";
    return s.str();
}

uint64_t bytesPerParameter(ComputeDType d) {
    return d == ComputeDType::Float32 ? 4 : 2;
}

at::Device parseDevice(const std::string& text) {
    try {
        return at::Device(text);
    } catch (const std::exception&) {
        throw InputError("unknown device '" + text + "' (use cpu or cuda[:N])");
    }
}

}  // namespace

ComputeDType parseComputeDType(const std::string& text) {
    if (text == "float32" || text == "f32" || text == "fp32") return ComputeDType::Float32;
    if (text == "bfloat16" || text == "bf16") return ComputeDType::BFloat16;
    throw InputError("unknown dtype '" + text + "' (use float32 or bfloat16)");
}

std::string computeDTypeName(ComputeDType dtype) {
    return dtype == ComputeDType::Float32 ? "float32" : "bfloat16";
}

MemoryEstimate estimateMemory(const ModelConfig& config, ComputeDType dtype) {
    MemoryEstimate e;
    // Weights plus the transient copy of the largest tensor while it is converted.
    const uint64_t params = static_cast<uint64_t>(config.parameterCount());
    const uint64_t largest = static_cast<uint64_t>(config.vocabSize * config.dModel);
    e.weightBytes = (params + largest) * bytesPerParameter(dtype);
    e.availableBytes = availableMemoryBytes();
    return e;
}

void checkDevice(const std::string& text) {
    const at::Device device = parseDevice(text);
    if (device.is_cpu()) return;
    if (!device.is_cuda())
        throw InputError("unsupported device '" + text + "' (use cpu or cuda[:N])");
    // Without these checks LibTorch fails deep in its dispatcher with a 70-line trace.
    if (!at::hasCUDA())
        throw InputError("this LibTorch build has no CUDA support, use --device cpu");
    const auto count = static_cast<int64_t>(at::getNumGPUs());
    if (count == 0) throw InputError("no CUDA device is available, use --device cpu");
    if (device.has_index() && device.index() >= count)
        throw InputError("CUDA device " + std::to_string(device.index()) +
                         " does not exist: this machine has " + std::to_string(count));
}

ModelSummary inspectModel(const std::filesystem::path& dir) {
    if (!std::filesystem::is_directory(dir))
        throw ModelLoadError(dir.string() + ": not a directory (expected a model folder)");
    ModelSummary summary;
    summary.config = loadModelConfig(dir);
    WeightSource source(dir);
    source.setCheckOnly(true);
    source.setTargetDType(DType::F32);
    // The architecture tables run against a model whose weights are never written (untouched
    // pages) and placeholders that read nothing from the files.
    TransformerModel model(summary.config, at::TensorOptions().dtype(at::kFloat),
                           WeightInit::Uninitialised);
    loadWeights(model, source);
    summary.fingerprint = source.fingerprint();
    summary.weightBytes = source.totalBytes();
    return summary;
}

std::shared_ptr<TransformerModel> loadModel(const std::filesystem::path& dir,
                                            const LoadOptions& options) {
    if (!std::filesystem::is_directory(dir))
        throw ModelLoadError(dir.string() + ": not a directory (expected a model folder)");
    ModelConfig config = loadModelConfig(dir);
    WeightSource source(dir);

    checkDevice(options.device);
    const at::Device device = parseDevice(options.device);
    if (options.checkMemory && device.is_cpu()) {
        releaseCachedMemory();
        const MemoryEstimate e = estimateMemory(config, options.dtype);
        if (e.availableBytes > 0 && e.weightBytes > e.availableBytes) {
            std::string hint;
            if (options.dtype == ComputeDType::Float32) {
                const auto bf16 = estimateMemory(config, ComputeDType::BFloat16);
                hint = bf16.weightBytes <= e.availableBytes
                           ? "; --dtype bfloat16 would need " + gib(bf16.weightBytes) + " and fits"
                           : "; even --dtype bfloat16 would need " + gib(bf16.weightBytes);
            }
            throw ModelLoadError(dir.string() + ": the weights need about " + gib(e.weightBytes) +
                                 " in " + computeDTypeName(options.dtype) + " but only " +
                                 gib(e.availableBytes) + " of memory is available" + hint);
        }
    }

    source.setReadObserver([&options](uint64_t taken, uint64_t total) {
        options.progress.check();
        options.progress.report(total > 0 ? double(taken) / double(total) : 1.0, "reading weights");
    });
    const bool f32 = options.dtype == ComputeDType::Float32;
    source.setTargetDType(f32 ? DType::F32 : DType::BF16);
    auto model = std::make_shared<TransformerModel>(
        config, at::TensorOptions().dtype(f32 ? at::kFloat : at::kBFloat16).device(device),
        WeightInit::Uninitialised);
    // Weights in the compute dtype become views of the mapped files; the rest are converted.
    // On another device every weight is copied there and the mappings go with `source`.
    model->setWeightsShareFiles(device.is_cpu());
    loadWeights(*model, source);
    options.progress.report(1.0, "reading weights");  // ignored tensors are never read
    model->setFingerprint(source.fingerprint());
    if (options.writableWeights) model->ownWeights();
    model->eval();
    return model;
}

}  // namespace attnscope::capture
