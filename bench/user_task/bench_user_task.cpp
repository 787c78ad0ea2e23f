// The user task from the top: "capture every attention pattern of a 512-token prompt to an HDF5
// file" as a researcher runs it, one attnscope-cli process on a GPT-2-small-shaped random
// float32 model (written here with the checkpoint writer), with its breakdown against limits
// measured in the same run:
//
//   step                        measured as (each a whole process)     limit
//   process start               `--help`                               the same
//   model load                  `run` on 1 token, minus start          mmap + touching every page
//                                                                      of the checkpoint
//   forward, 512 tokens         `run` on 512 tokens, minus the load    forward FLOPs at the
//                                                                      matmul roof
//   pattern capture + HDF5      `run ... --capture all --out`, minus   pattern bytes at the disk's
//                                the bare run                          write + fsync rate
//
// Where python3 imports torch and h5py, the same task done the PyTorch way (pytorch_route.py:
// eager attention, forward hooks, h5py, one thread per core) runs interleaved with the others as
// a whole process too, and the whole task is given as a share of it (goal: below 0.3x).
//
// Each process is run several times, interleaved so that other load on the machine hits every
// step alike; the best time counts. Peak RSS comes from the kernel (wait4) and is compared with
// the weight bytes after subtracting the `--help` process's (LibTorch's own) resident memory.
// The children inherit the environment: on a machine shared with other work, OpenMP's spinning
// threads slow the many small operations of a forward far more than one large matmul, so run it
// both with and without OMP_WAIT_POLICY=passive there.
//
//   bench_user_task [ATTNSCOPE_CLI] [--repeats N]
#include <ATen/ATen.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "attnscope/capture/checkpoint_writer.h"
#include "attnscope/capture/mapped_file.h"
#include "attnscope/capture/runtime_settings.h"
#include "attnscope/capture/transformer_model.h"

#include "../bench_roof.h"
#include "../bench_timing.h"

namespace fs = std::filesystem;
using attnscope::bench::secondsOf;
using attnscope::bench::Timing;

namespace {

constexpr int64_t kTokens = 512;

struct ProcessFigures {
    Timing time;
    long peakRssKb = 0;  ///< the largest over the repeats
};

// Runs `argv` with stdout to /dev/null and stderr to `errFile`; adds its wall time and peak RSS
// to `figures`. fork + exec rather than posix_spawn: a vfork-style spawn runs the child on this
// process's memory until exec, and Linux carries that high-water mark into the child's
// ru_maxrss. Exits the benchmark with the child's stderr when it fails: a broken step has no time.
void runChild(const std::vector<std::string>& argv, const fs::path& errFile,
              ProcessFigures& figures) {
    std::vector<char*> args;
    for (const auto& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    int status = 0;
    rusage usage{};
    const double seconds = secondsOf([&] {
        const pid_t pid = fork();
        if (pid == 0) {  // only async-signal-safe calls until exec
            const int in = ::open("/dev/null", O_RDONLY), out = ::open("/dev/null", O_WRONLY);
            const int err = ::open(errFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            dup2(in, 0);
            dup2(out, 1);
            dup2(err, 2);
            execv(args[0], args.data());
            _exit(127);
        }
        wait4(pid, &status, 0, &usage);
    });
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::string command;
        for (const auto& a : argv)
            command += (command.empty() ? "" : " ") + a.substr(0, 60);
        std::ifstream err(errFile);
        std::fprintf(stderr, "failed (status %d): %s\n%s\n", status, command.c_str(),
                     std::string(std::istreambuf_iterator<char>(err), {}).c_str());
        std::exit(1);
    }
    figures.time.seconds.push_back(seconds);
    figures.peakRssKb = std::max(figures.peakRssKb, usage.ru_maxrss);
}

// A GPT-2-small-shaped model with random weights, written as config.json + model.safetensors.
void writeRandomModel(const fs::path& dir) {
    at::NoGradGuard noGrad;
    at::manual_seed(0);
    const auto config = attnscope::capture::parseModelConfig(attnscope::bench::kGpt2SmallConfigJson,
                                                             "bench_user_task");
    attnscope::capture::TransformerModel model(config, at::TensorOptions().dtype(at::kFloat));
    for (auto& p : model.parameters())
        p.normal_(0.0, 0.02);
    attnscope::capture::writeCheckpoint(model, dir, attnscope::capture::DType::F32);
    std::ofstream(dir / "config.json") << config.rawJson;
}

// Seconds to write `bytes` to a new file in `dir` and fsync it, as the store's atomic writes do.
double writeAndSyncSeconds(const fs::path& dir, std::size_t bytes) {
    const std::vector<char> chunk(8 << 20, 1);
    const fs::path file = dir / "disk-rate.bin";
    const double seconds = secondsOf([&] {
        const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        for (std::size_t done = 0; done < bytes;) {
            const std::size_t n = std::min(chunk.size(), bytes - done);
            if (::write(fd, chunk.data(), n) != static_cast<ssize_t>(n)) {
                std::perror("write");
                std::exit(1);
            }
            done += n;
        }
        ::fsync(fd);
        ::close(fd);
    });
    fs::remove(file);
    return seconds;
}

// Seconds to map the checkpoint and touch every page of it (from the page cache): the least
// any load that reads the weights can cost.
double mapAndTouchSeconds(const fs::path& file) {
    volatile uint8_t sink = 0;
    return secondsOf([&] {
        const attnscope::capture::MappedFile map(file);
        const long page = ::sysconf(_SC_PAGESIZE);
        for (std::size_t i = 0; i < map.size(); i += static_cast<std::size_t>(page))
            sink = sink + map.data()[i];
    });
}

std::string idList(int64_t count, int64_t vocab) {
    std::string ids;
    for (int64_t i = 0; i < count; ++i)
        ids += (i ? "," : "") + std::to_string((i * 7919 + 13) % vocab);
    return ids;
}

double ratio(double value, double limit) {
    return limit > 0 ? value / limit : 0.0;
}

// VmRSS of this process in MB.
double residentMb() {
    std::ifstream status("/proc/self/status");
    for (std::string word; status >> word;)
        if (word == "VmRSS:") {
            double kb = 0;
            status >> kb;
            return kb / 1024.0;
        }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::string cli = ATTNSCOPE_CLI_PATH;
    int repeats = 3;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--repeats") == 0 && i + 1 < argc)
            repeats = std::max(1, std::atoi(argv[++i]));
        else
            cli = argv[i];
    }
    const fs::path dir =
        fs::temp_directory_path() / ("attnscope-user-task-" + std::to_string(::getpid()));
    fs::create_directories(dir / "model");
    const fs::path model = dir / "model", out = dir / "patterns.h5", err = dir / "stderr.txt";

    // The model is built and written by a child, before this process starts any thread: a
    // forked child carries the parent's resident memory into its ru_maxrss, so this process
    // stays small while the CLI runs.
    if (const pid_t writer = fork(); writer == 0) {
        writeRandomModel(model);
        _exit(0);
    } else {
        int status = 0;
        waitpid(writer, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            std::fprintf(stderr, "writing the model failed\n");
            return 1;
        }
    }
    const uint64_t weightBytes = fs::file_size(model / "model.safetensors");
    const uint64_t patternBytes = 12ull * 12 * kTokens * kTokens * sizeof(float);
    std::printf(
        "attnscope-cli %s\nGPT-2-small shape, float32, %.0f MB of weights, %lld tokens, %.0f MB "
        "of patterns; this process %.0f MB resident while the CLI runs\n\n",
        cli.c_str(), double(weightBytes) / 1e6, static_cast<long long>(kTokens),
        double(patternBytes) / 1e6, residentMb());

    const std::string m = model.string(), prompt = idList(kTokens, 50257);
    const std::vector<std::string> helpCmd{cli, "--help"}, infoCmd{cli, "info", "--model", m},
        loadCmd{cli, "run", "--model", m, "--ids", "13", "--top-k", "1"},
        bareCmd{cli, "run", "--model", m, "--ids", prompt, "--top-k", "1"},
        taskCmd{cli,     "run",       "--model", m,           "--ids",
                prompt,  "--top-k",   "1",       "--capture", "blocks.*.attn.hook_pattern",
                "--out", out.string()};
    const std::vector<std::string> pytorchCmd{"/usr/bin/python3", ATTNSCOPE_PYTORCH_ROUTE, m,
                                              (dir / "pytorch.h5").string(), prompt};
    const bool pytorch = std::system("/usr/bin/python3 -c 'import torch, h5py' 2>/dev/null") == 0;
    ProcessFigures help, info, load, bare, task, pytorchRoute;
    for (int i = 0; i < repeats; ++i) {
        runChild(helpCmd, err, help);
        runChild(infoCmd, err, info);
        runChild(loadCmd, err, load);
        runChild(bareCmd, err, bare);
        fs::remove(out);
        runChild(taskCmd, err, task);
        if (pytorch) runChild(pytorchCmd, err, pytorchRoute);
    }
    const auto written = fs::file_size(out);
    fs::remove(out);

    // Limits, measured in this run after the processes (so that their memory figures are not
    // raised by this process).
    const int threads = attnscope::capture::configureRuntime();
    std::printf("threads %d (as the CLI chooses)\n", threads);
    const double roof = attnscope::bench::matmulRoof(kTokens);
    Timing disk, touch;
    for (int i = 0; i < 3; ++i) {
        disk.seconds.push_back(writeAndSyncSeconds(dir, patternBytes));
        touch.seconds.push_back(mapAndTouchSeconds(model / "model.safetensors"));
    }
    fs::remove_all(dir);
    const double diskRate = double(patternBytes) / disk.best();
    std::printf("disk write + fsync      %6.2f GB/s (best of 3, %.0f MB)\n", diskRate / 1e9,
                double(patternBytes) / 1e6);
    std::printf("map + touch weights     %6.3f s (best of 3)\n\n", touch.best());

    const double start = help.time.best();
    const double loadTime = load.time.best() - start;
    const double forward = bare.time.best() - load.time.best();
    const double capture = task.time.best() - bare.time.best();
    const double whole = task.time.best();
    const double forwardLimit = attnscope::bench::gpt2SmallForwardFlops(kTokens) / (roof * 1e9);
    const double captureLimit = double(patternBytes) / diskRate;
    const double wholeLimit = start + touch.best() + forwardLimit + captureLimit;
    std::printf("step (best of %d processes)    time      limit     ratio\n", repeats);
    auto row = [](const char* step, double t, double limit) {
        std::printf("%-30s %7.3f s %7.3f s  %6.2fx\n", step, t, limit, ratio(t, limit));
    };
    row("process start (--help)", start, start);
    row("model load (run, 1 token)", loadTime, touch.best());
    row("forward, 512 tokens", forward, forwardLimit);
    row("pattern capture + HDF5 write", capture, captureLimit);
    row("whole task", whole, wholeLimit);
    std::printf("forward at %.0f%% of the roof; HDF5 file %.0f MB\n", 100 * forwardLimit / forward,
                double(written) / 1e6);
    std::printf("info (headers only)            %7.3f s (%.3f s after start)\n", info.time.best(),
                info.time.best() - start);
    if (pytorch)
        std::printf(
            "PyTorch route (eager, hooks, h5py) %6.3f s, peak RSS %.0f MB; whole task %.2fx "
            "of it (goal < 0.3x)\n\n",
            pytorchRoute.time.best(), double(pytorchRoute.peakRssKb) / 1024.0,
            ratio(whole, pytorchRoute.time.best()));
    else
        std::printf(
            "PyTorch route: skipped (python3 cannot import torch and h5py: apt-get install "
            "python3-torch python3-h5py)\n\n");

    const double kb = 1024.0;
    const double baseline = double(help.peakRssKb) * kb;
    const double loaded = double(load.peakRssKb) * kb;
    std::printf("peak RSS  --help %.0f MB; load + 1 token %.0f MB; whole task %.0f MB\n",
                baseline / 1e6, loaded / 1e6, double(task.peakRssKb) * kb / 1e6);
    std::printf(
        "peak RSS while loading, less the --help process: %.0f MB = %.2fx the weights "
        "(goal <= 1.10x)\n",
        (loaded - baseline) / 1e6, (loaded - baseline) / double(weightBytes));
    return 0;
}
