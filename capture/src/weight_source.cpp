#include "attnscope/capture/weight_source.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "attnscope/capture/load_error.h"
#include "attnscope/capture/sha256.h"

namespace attnscope::capture {
namespace {

std::string shapeString(const std::vector<int64_t>& shape) {
    std::string s = "[";
    for (std::size_t i = 0; i < shape.size(); ++i)
        s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

at::ScalarType scalarTypeOf(DType d) {
    switch (d) {
        case DType::F64:
            return at::kDouble;
        case DType::F16:
            return at::kHalf;
        case DType::BF16:
            return at::kBFloat16;
        default:
            return at::kFloat;  // take() accepts only floating-point weights
    }
}

// Shard file names from model.safetensors.index.json, validated to stay inside the folder.
std::map<std::string, std::string> readShardIndex(const std::filesystem::path& indexPath) {
    std::ifstream in(indexPath, std::ios::binary);
    if (!in) throw ModelLoadError(indexPath.string() + ": cannot open");
    std::ostringstream text;
    text << in.rdbuf();
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(text.str());
    } catch (const nlohmann::json::exception& e) {
        throw ModelLoadError(indexPath.string() + ": not valid JSON: " + e.what());
    }
    auto map = j.find("weight_map");
    if (!j.is_object() || map == j.end() || !map->is_object())
        throw ModelLoadError(indexPath.string() + ": missing object 'weight_map'");
    std::map<std::string, std::string> result;
    for (const auto& [name, file] : map->items()) {
        if (!file.is_string())
            throw ModelLoadError(indexPath.string() + ": weight_map entry '" + name +
                                 "' is not a file name");
        const std::string f = file.get<std::string>();
        if (f.empty() || f.find('/') != std::string::npos || f.find("..") != std::string::npos)
            throw ModelLoadError(indexPath.string() + ": weight_map entry '" + name +
                                 "' names an invalid file '" + f + "'");
        result[name] = f;
    }
    return result;
}

}  // namespace

WeightSource::WeightSource(const std::filesystem::path& dir) : m_dir(dir) {
    const auto single = dir / "model.safetensors";
    const auto index = dir / "model.safetensors.index.json";
    if (std::filesystem::exists(single)) {
        m_files.push_back(std::make_unique<SafetensorsFile>(single));
        for (const auto& [name, info] : m_files.back()->header().tensors)
            m_entries[name] = Entry{m_files.back().get(), &info};
        return;
    }
    if (!std::filesystem::exists(index))
        throw ModelLoadError(dir.string() +
                             ": no model.safetensors or model.safetensors.index.json "
                             "(only safetensors checkpoints are supported; pickled .bin files "
                             "are never loaded)");
    const auto shardOf = readShardIndex(index);
    std::map<std::string, const SafetensorsFile*> opened;
    for (const auto& [name, fileName] : shardOf) {
        if (!opened.count(fileName)) {
            const auto path = dir / fileName;
            if (!std::filesystem::exists(path))
                throw ModelLoadError(index.string() + ": shard '" + fileName +
                                     "' listed for tensor '" + name + "' does not exist");
            m_files.push_back(std::make_unique<SafetensorsFile>(path));
            opened[fileName] = m_files.back().get();
        }
        const SafetensorsFile* file = opened[fileName];
        auto it = file->header().tensors.find(name);
        if (it == file->header().tensors.end())
            throw ModelLoadError(file->path().string() + ": tensor '" + name +
                                 "' listed in the index is not in this shard");
        m_entries[name] = Entry{file, &it->second};
    }
}

const WeightSource::Entry& WeightSource::entry(const std::string& name) const {
    auto it = m_entries.find(name);
    if (it == m_entries.end())
        throw ModelLoadError(m_dir.string() + ": missing tensor '" + name + "'");
    return it->second;
}

bool WeightSource::contains(const std::string& name) const {
    return m_entries.count(name) > 0;
}

const TensorInfo& WeightSource::info(const std::string& name) const {
    return *entry(name).info;
}

const WeightSource::Entry& WeightSource::checkedEntry(const std::string& name,
                                                      const std::vector<int64_t>& expectedShape) {
    const Entry& e = entry(name);
    if (e.info->shape != expectedShape)
        throw ModelLoadError(e.file->path().string() + ": tensor '" + name + "' has shape " +
                             shapeString(e.info->shape) + " but config.json implies " +
                             shapeString(expectedShape));
    const DType d = e.info->dtype;
    if (d != DType::F32 && d != DType::F16 && d != DType::BF16 && d != DType::F64)
        throw ModelLoadError(e.file->path().string() + ": tensor '" + name + "' has dtype " +
                             dtypeName(d) + "; weights must be F32, F16 or BF16");
    m_consumed.insert(name);
    return e;
}

void WeightSource::observe(const Entry& e) {
    m_takenBytes += e.info->end - e.info->begin;
    if (m_observer) m_observer(m_takenBytes, m_observedTotal);
}

at::Tensor WeightSource::placeholder(const std::vector<int64_t>& shape, DType stored) const {
    return at::zeros({}, at::TensorOptions().dtype(scalarTypeOf(m_target.value_or(stored))))
        .expand(shape);
}

at::Tensor WeightSource::take(const std::string& name, const std::vector<int64_t>& expectedShape) {
    const Entry& e = checkedEntry(name, expectedShape);
    at::Tensor tensor;
    if (m_checkOnly) {
        tensor = placeholder(e.info->shape, e.info->dtype);
    } else {
        tensor = e.file->view(name);
        if (m_target && *m_target != e.info->dtype) {
            tensor = tensor.to(scalarTypeOf(*m_target));
            e.file->releasePages(name);
        }
    }
    observe(e);
    return tensor;
}

at::Tensor WeightSource::takeConcatenated(const std::vector<Part>& parts) {
    if (parts.empty()) throw std::invalid_argument("takeConcatenated: no parts");
    std::vector<const Entry*> entries;
    std::vector<at::Tensor> pieces;
    std::vector<int64_t> shape;
    for (const Part& part : parts) {
        const Entry& e = checkedEntry(part.name, part.shape);
        entries.push_back(&e);
        if (shape.empty())
            shape = part.shape;
        else
            shape[0] += part.shape[0];
        if (!m_checkOnly) pieces.push_back(e.file->view(part.name));
        observe(e);
    }
    if (m_checkOnly) return placeholder(shape, entries.front()->info->dtype);
    // Parts stored back to back in fused order (q, k, v; gate, up) already are the fused
    // matrix: one view, no copy.
    const SafetensorsFile* file = entries.front()->file;
    const DType stored = entries.front()->info->dtype;
    if ((!m_target || *m_target == stored) &&
        std::all_of(entries.begin(), entries.end(),
                    [&](const Entry* e) { return e->file == file; })) {
        std::vector<std::string> names;
        for (const Part& part : parts)
            names.push_back(part.name);
        if (at::Tensor span = file->viewConcatenated(names); span.defined()) return span;
    }
    at::Tensor fused = at::cat(pieces);
    pieces.clear();  // drop the views before their pages are released
    if (m_target && scalarTypeOf(*m_target) != fused.scalar_type())
        fused = fused.to(scalarTypeOf(*m_target));
    for (std::size_t i = 0; i < parts.size(); ++i)
        entries[i]->file->releasePages(parts[i].name);
    return fused;
}

void WeightSource::ignore(const std::string& name) {
    m_consumed.insert(name);
}

void WeightSource::checkAllConsumed() const {
    std::string unexpected;
    int count = 0;
    for (const auto& [name, e] : m_entries) {
        if (m_consumed.count(name)) continue;
        if (count++ < 5) unexpected += (unexpected.empty() ? "'" : ", '") + name + "'";
    }
    if (count > 0)
        throw ModelLoadError(m_dir.string() + ": " + std::to_string(count) +
                             " unexpected tensor(s) not used by the architecture: " + unexpected +
                             (count > 5 ? ", ..." : ""));
}

uint64_t WeightSource::totalBytes() const {
    uint64_t total = 0;
    for (const auto& [name, e] : m_entries)
        total += e.info->end - e.info->begin;
    return total;
}

std::string WeightSource::fingerprint() const {
    std::vector<const SafetensorsFile*> sorted;
    for (const auto& f : m_files)
        sorted.push_back(f.get());
    std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->path() < b->path(); });
    Sha256 hash;
    for (const auto* f : sorted) {
        hash.update(f->headerBytes());
        hash.update(std::to_string(f->fileSize()));
    }
    return hash.hexDigest();
}

std::vector<std::filesystem::path> WeightSource::files() const {
    std::vector<std::filesystem::path> out;
    for (const auto& f : m_files)
        out.push_back(f->path());
    return out;
}

}  // namespace attnscope::capture
