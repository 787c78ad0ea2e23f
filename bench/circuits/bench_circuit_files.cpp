// Prints, for the edge graphs of GPT-2 small (32,491 edges) and Llama-3-8B ungrouped
// (1,592,881 edges): the time to write and read a circuit as an HDF5 edge table (the read
// includes the verification child process), as EAP-IG JSON, and to draw the DOT of a 1 %
// circuit; next to a raw write + fsync and read of the same column bytes in the same run, and
// the file sizes. Usage: bench_circuit_files [scratch dir, default /tmp]
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "attnscope/analysis/circuits/circuit_files.h"
#include "attnscope/analysis/circuits/circuit_store.h"

namespace {

namespace fs = std::filesystem;
using namespace attnscope::analysis::circuits;
using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

template <class Function>
double timed(Function&& f) {
    const auto start = Clock::now();
    f();
    return secondsSince(start);
}

Circuit circuitOf(int layers, int heads) {
    Circuit c;
    c.graph = EdgeGraph(layers, heads, heads);
    c.method = "eap-ig";
    c.metric = "logit-diff";
    c.ablation = "resample";
    c.modelFingerprint = "bench";
    std::mt19937 random(1);
    std::normal_distribution<float> score(0.0f, 1.0f);
    std::bernoulli_distribution kept(0.01);
    for (int64_t e = 0; e < c.graph.edgeCount(); ++e) {
        c.scores.push_back(score(random));
        c.inCircuit.push_back(kept(random) ? 1 : 0);
    }
    return c;
}

// The same bytes as the edge table's columns (sender, receiver: int32; port, kept: 1 byte;
// score: float32), written with one write() and fsync, then read back.
std::pair<double, double> rawRoof(const fs::path& path, int64_t edges) {
    std::vector<char> bytes(static_cast<size_t>(edges) * (4 + 4 + 1 + 4 + 1), 1);
    const double write = timed([&] {
        const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || ::write(fd, bytes.data(), bytes.size()) != ssize_t(bytes.size()) ||
            ::fsync(fd) != 0)
            std::perror("raw write");
        ::close(fd);
    });
    const double read = timed([&] {
        std::ifstream in(path, std::ios::binary);
        in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    });
    fs::remove(path);
    return {write, read};
}

void bench(const fs::path& dir, const char* name, int layers, int heads) {
    const Circuit c = circuitOf(layers, heads);
    const int64_t edges = c.graph.edgeCount();
    const fs::path h5 = dir / "bench-circuit.h5", json = dir / "bench-circuit.json",
                   dot = dir / "bench-circuit.dot";
    const double writeH5 = timed([&] { writeCircuitFile(h5, c); });
    Circuit back;
    const double readH5 = timed([&] { back = readCircuitFile(h5); });
    const double writeJson = timed([&] { writeCircuitFile(json, c); });
    const double readJson = timed([&] { back = readCircuitFile(json); });
    const double writeDot = timed([&] { writeCircuitFile(dot, c); });
    const auto [rawWrite, rawRead] = rawRoof(dir / "bench-raw.bin", edges);
    std::printf("%s: %lld edges\n", name, static_cast<long long>(edges));
    std::printf(
        "  HDF5 edge table  write %8.3f s (%5.1fx raw)  read %8.3f s (%5.1fx raw)  %7.2f MB\n",
        writeH5, writeH5 / rawWrite, readH5, readH5 / rawRead, double(fs::file_size(h5)) / 1e6);
    std::printf(
        "  EAP-IG JSON      write %8.3f s (%5.1fx raw)  read %8.3f s (%5.1fx raw)  %7.2f MB\n",
        writeJson, writeJson / rawWrite, readJson, readJson / rawRead,
        double(fs::file_size(json)) / 1e6);
    std::printf(
        "  DOT of 1 %%       write %8.3f s                                         %7.2f MB\n",
        writeDot, double(fs::file_size(dot)) / 1e6);
    std::printf("  raw roof         write %8.3f s              read %8.3f s\n", rawWrite, rawRead);
    for (const auto& p : {h5, json, dot})
        fs::remove(p);
}

}  // namespace

int main(int argc, char** argv) {
    const fs::path dir = argc > 1 ? argv[1] : "/tmp";
    bench(dir, "GPT-2 small (12 x 12)", 12, 12);
    bench(dir, "Llama-3-8B ungrouped (32 x 32)", 32, 32);
    return 0;
}
