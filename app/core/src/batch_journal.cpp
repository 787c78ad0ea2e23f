// The per-rank commit journal of a batch run; the design and the layout are in batch_journal.h.
#include "batch_journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <utility>

#include "attnscope/capture/load_error.h"
#include "batch_results.h"

namespace attnscope::app {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char kMagic[] = "attnscope-batch-journal 1\n";
constexpr size_t kMagicSize = sizeof kMagic - 1;
constexpr size_t kRecordHead = 8;  // uint32 length, uint32 CRC-32
// No item comes near this; a larger length is a corrupt length field, not a record.
constexpr std::uint32_t kMaxRecord = 1u << 30;

std::uint32_t crc32(const char* data, size_t size) {
    static const std::array<std::uint32_t, 256> table = [] {
        std::array<std::uint32_t, 256> t{};
        for (std::uint32_t i = 0; i < 256; ++i) {
            std::uint32_t c = i;
            for (int k = 0; k < 8; ++k)
                c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[i] = c;
        }
        return t;
    }();
    std::uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < size; ++i)
        c = table[(c ^ static_cast<unsigned char>(data[i])) & 0xFFu] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

void putUint32(std::string& out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i)
        out += static_cast<char>((v >> (8 * i)) & 0xFFu);
}

std::uint32_t getUint32(const std::string& in, size_t at) {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i)
        v |= static_cast<std::uint32_t>(static_cast<unsigned char>(in[at + i])) << (8 * i);
    return v;
}

std::string systemError(const std::string& what, const fs::path& path) {
    return path.string() + ": " + what + ": " + std::strerror(errno);
}

// Float32 bit patterns: exact, NaN and infinities included, and cheaper than decimal text.
json tableRecord(const ResultTable& t) {
    std::vector<std::uint32_t> bits(t.values.size());
    std::memcpy(bits.data(), t.values.data(), bits.size() * sizeof(float));
    return {{"analysis", t.analysis}, {"shape", t.shape},       {"rows", t.rows}, {"cols", t.cols},
            {"columns", t.columns},   {"params", t.paramsJson}, {"bits", bits}};
}

ResultTable tableFromRecord(const json& j) {
    ResultTable t;
    t.analysis = j.at("analysis").get<std::string>();
    t.shape = j.at("shape").get<std::string>();
    t.rows = j.at("rows").get<int>();
    t.cols = j.at("cols").get<int>();
    t.columns = j.at("columns").get<std::vector<std::string>>();
    t.paramsJson = j.at("params").get<std::string>();
    const auto bits = j.at("bits").get<std::vector<std::uint32_t>>();
    t.values.resize(bits.size());
    std::memcpy(t.values.data(), bits.data(), bits.size() * sizeof(float));
    return t;
}

// Makes the journal's directory entry durable, so that a journal created just before a crash
// is found by --resume.
void syncDirectoryOf(const fs::path& path) {
    const fs::path dir = path.parent_path().empty() ? fs::path(".") : path.parent_path();
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) throw capture::InputError(systemError("cannot open the directory", dir));
    const int synced = ::fsync(fd);
    ::close(fd);
    if (synced != 0) throw capture::InputError(systemError("cannot fsync the directory", dir));
}

}  // namespace

fs::path journalPath(const fs::path& out, int rank) {
    return out.parent_path() /
           ("." + out.filename().string() + ".rank-" + std::to_string(rank) + ".journal");
}

std::vector<fs::path> existingJournals(const fs::path& out) {
    const std::string prefix = "." + out.filename().string() + ".rank-";
    std::vector<fs::path> found;
    std::error_code error;
    const fs::path dir = out.parent_path().empty() ? fs::path(".") : out.parent_path();
    for (const auto& entry : fs::directory_iterator(dir, error)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind(prefix, 0) == 0 && entry.path().extension() == ".journal")
            found.push_back(entry.path());
    }
    std::sort(found.begin(), found.end());
    return found;
}

JournalContents readJournal(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw capture::InputError(path.string() + ": cannot read the batch journal");
    const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    JournalContents out;
    out.goodBytes = 0;
    if (bytes.compare(0, kMagicSize, kMagic, std::min(bytes.size(), kMagicSize)) != 0)
        throw capture::InputError(path.string() + ": not an AttnScope batch journal");
    if (bytes.size() < kMagicSize) {
        out.problem = path.string() + ": the journal's first line is cut short (" +
                      std::to_string(bytes.size()) + " bytes); it holds no items";
        return out;
    }
    size_t at = kMagicSize;
    out.goodBytes = at;
    while (at < bytes.size()) {
        const std::string where = path.string() + ": the record at byte " + std::to_string(at);
        const auto dropped = [&](const std::string& why) {
            return where + " " + why + ", as after a crash mid-write; it and the " +
                   std::to_string(bytes.size() - at) +
                   " bytes from there to the end are ignored and its item runs again";
        };
        if (bytes.size() - at < kRecordHead) {
            out.problem = dropped("is cut short in its header");
            break;
        }
        const std::uint32_t length = getUint32(bytes, at);
        const std::uint32_t crc = getUint32(bytes, at + 4);
        if (length > kMaxRecord || bytes.size() - at - kRecordHead < length) {
            out.problem = dropped("is cut short (" + std::to_string(length) + " bytes declared)");
            break;
        }
        const char* payload = bytes.data() + at + kRecordHead;
        if (crc32(payload, length) != crc) {
            out.problem = dropped("fails its CRC-32 checksum");
            break;
        }
        try {
            const json record = json::parse(payload, payload + length);
            if (!out.hasHeader) {
                out.run = runFromRecord(record);
                out.hasHeader = true;
            } else {
                ItemRecord r = itemFromJson(record);
                for (const json& t : record.at("tables"))
                    r.tables.push_back(tableFromRecord(t));
                out.run.items.push_back(std::move(r));
            }
        } catch (const json::exception& e) {
            // The checksum held, so this is not a torn write: refuse rather than guess.
            throw capture::InputError(where + " is intact but malformed: " + e.what());
        }
        at += kRecordHead + length;
        out.goodBytes = at;
    }
    return out;
}

JournalWriter::JournalWriter(fs::path path, int fd) : m_path(std::move(path)), m_fd(fd) {}

JournalWriter::JournalWriter(JournalWriter&& other) noexcept
    : m_path(std::move(other.m_path)), m_fd(std::exchange(other.m_fd, -1)) {}

JournalWriter::~JournalWriter() {
    if (m_fd >= 0) ::close(m_fd);
}

JournalWriter JournalWriter::create(const fs::path& path, const BatchPlan& plan) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) throw capture::InputError(systemError("cannot create the batch journal", path));
    JournalWriter writer(path, fd);
    if (::write(fd, kMagic, kMagicSize) != static_cast<ssize_t>(kMagicSize))
        throw capture::InputError(systemError("cannot write", path));
    writer.appendRecord(batchRecord(plan, {}).dump());
    syncDirectoryOf(path);
    return writer;
}

JournalWriter JournalWriter::resume(const fs::path& path, std::uintmax_t goodBytes) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd < 0) throw capture::InputError(systemError("cannot open the batch journal", path));
    JournalWriter writer(path, fd);
    // Cut a torn tail, so that the next record follows the last intact one.
    if (::ftruncate(fd, static_cast<off_t>(goodBytes)) != 0 || ::fdatasync(fd) != 0)
        throw capture::InputError(systemError("cannot cut the torn tail of", path));
    return writer;
}

void JournalWriter::append(const ItemRecord& item) {
    json record = itemJson(item);
    json tables = json::array();
    for (const ResultTable& t : item.tables)
        tables.push_back(tableRecord(t));
    record["tables"] = std::move(tables);
    appendRecord(record.dump());
}

void JournalWriter::appendRecord(const std::string& payload) {
    std::string record;
    record.reserve(kRecordHead + payload.size());
    putUint32(record, static_cast<std::uint32_t>(payload.size()));
    putUint32(record, crc32(payload.data(), payload.size()));
    record += payload;
    // One write of the whole record (O_APPEND); a short write or a crash leaves a torn tail
    // that readJournal detects.
    size_t written = 0;
    while (written < record.size()) {
        const ssize_t n = ::write(m_fd, record.data() + written, record.size() - written);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw capture::InputError(systemError("cannot append to", m_path));
        written += static_cast<size_t>(n);
    }
    if (::fdatasync(m_fd) != 0) throw capture::InputError(systemError("cannot fdatasync", m_path));
}

CommittedItems committedItems(const fs::path& out) {
    std::map<int, ItemRecord> byIndex;
    CommittedItems committed;
    for (const fs::path& path : existingJournals(out)) {
        JournalContents j = readJournal(path);
        if (!j.problem.empty()) committed.problems.push_back(j.problem);
        for (ItemRecord& r : j.run.items)
            byIndex[r.index] = std::move(r);
    }
    for (auto& [index, r] : byIndex)
        committed.items.push_back(std::move(r));
    return committed;
}

}  // namespace attnscope::app
