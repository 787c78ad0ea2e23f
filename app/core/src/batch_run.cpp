// Running a batch: every item of this rank, each committed when it finishes; then rank 0 merges.
//
// Durability: after each item the rank's file is rewritten whole through the store's atomic
// writer (temporary, fsync, rename), so a SIGKILL at any moment leaves either the previous or
// the new file, never a partial one. The files are small (a few tables per item), so the
// rewrite costs little next to an item's forward passes.
#include <signal.h>

#include <algorithm>
#include <map>
#include <memory>

#include "attnscope/app/batch.h"
#include "batch_results.h"

namespace attnscope::app {
namespace {

namespace fs = std::filesystem;
using Kind = ExperimentError::Kind;
using Trust = store::CaptureReader::Trust;

// With one process the results file itself; under MPI each rank's own file beside it.
std::string shardPrefix(const fs::path& out) {
    return "." + out.filename().string() + ".rank-";
}

fs::path shardPath(const fs::path& out, int rank) {
    return out.parent_path() / (shardPrefix(out) + std::to_string(rank) + ".h5");
}

std::vector<fs::path> existingShards(const fs::path& out) {
    std::vector<fs::path> found;
    std::error_code error;
    const fs::path dir = out.parent_path().empty() ? fs::path(".") : out.parent_path();
    for (const auto& entry : fs::directory_iterator(dir, error)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind(shardPrefix(out), 0) == 0 && entry.path().extension() == ".h5")
            found.push_back(entry.path());
    }
    std::sort(found.begin(), found.end());
    return found;
}

// Refuses results that another experiment, tool version or set of weights produced.
void checkSameRun(const BatchResultsFile& f, const BatchPlan& plan, const fs::path& file) {
    const std::string start = file.string() + ": cannot resume: ";
    const std::string advice = " (run without --resume to replace the results)";
    if (f.experimentContent != plan.experiment.content) {
        const auto changed = changedSections(f.experimentContent, plan.experiment.content);
        if (!changed.empty()) {
            std::string list;
            for (const auto& c : changed)
                list += (list.empty() ? "" : ", ") + c;
            throw ExperimentError(Kind::BadFile, start +
                                                     "the experiment changed since these "
                                                     "results were written: " +
                                                     list + advice);
        }
    }
    if (f.toolVersion != ATTNSCOPE_VERSION)
        throw ExperimentError(Kind::BadFile, start + "written by AttnScope " + f.toolVersion +
                                                 ", this is " + ATTNSCOPE_VERSION + advice);
    for (size_t m = 0; m < plan.models.size() && m < f.modelFingerprints.size(); ++m)
        if (f.modelFingerprints[m] != plan.models[m].summary.fingerprint)
            throw ExperimentError(Kind::BadFile,
                                  start + "the weights of model " + std::to_string(m) + " (" +
                                      plan.models[m].path.string() +
                                      ") changed since these results were written" + advice);
}

ItemRecord describe(const BatchPlan& plan, const BatchItem& item) {
    ItemRecord r;
    r.index = item.index;
    r.key = item.key;
    r.model = item.model;
    r.dataset = plan.experiment.datasets[static_cast<size_t>(item.dataset)].name;
    r.entry = item.entry;
    r.edits = plan.experiment.edits[static_cast<size_t>(item.edits)].name;
    r.prompt = item.input.prompt;
    return r;
}

// Finished items from earlier runs: the results file and every rank's file, by index.
std::map<int, ItemRecord> finishedItems(const BatchPlan& plan, const fs::path& out) {
    std::map<int, ItemRecord> done;
    std::vector<std::pair<fs::path, Trust>> files;
    if (fs::exists(out)) files.push_back({out, Trust::Verify});
    for (const fs::path& shard : existingShards(out))
        files.push_back({shard, Trust::Verify});
    for (const auto& [file, trust] : files) {
        const BatchResultsFile f = readBatchResults(file, trust);
        checkSameRun(f, plan, file);
        for (const ItemRecord& r : f.items)
            if (r.index >= 0 && static_cast<size_t>(r.index) < plan.items.size() &&
                plan.items[static_cast<size_t>(r.index)].key == r.key)
                done[r.index] = r;
    }
    return done;
}

class ItemRunner {
public:
    ItemRunner(const BatchPlan& plan, const capture::LoadOptions& load)
        : m_plan(plan), m_load(load) {}

    ItemRecord run(const BatchItem& item, const capture::Progress& progress) {
        ItemRecord r = describe(m_plan, item);
        try {
            Session& session = sessionFor(item.model);
            for (const AnalysisSpec& spec : m_plan.experiment.analyses)
                r.tables.push_back(runAnalysis(session, item.input, spec, r.tables, progress));
            r.status = "ok";
        } catch (const std::exception& e) {
            // Recorded with its error; the other items go on.
            r.status = "failed";
            r.error = e.what();
            r.tables.clear();
        }
        return r;
    }

private:
    // One model at a time: items are ordered by model, so each rank loads each model once.
    Session& sessionFor(int model) {
        if (m_model != model) {
            m_session.reset();
            m_model = -1;
            m_session = std::make_unique<Session>(m_plan.models[static_cast<size_t>(model)].path,
                                                  capture::Progress{}, m_load);
            m_session->setSplitSpecialTokens(m_plan.experiment.splitSpecialTokens);
            m_model = model;
        }
        return *m_session;
    }

    const BatchPlan& m_plan;
    capture::LoadOptions m_load;
    std::unique_ptr<Session> m_session;
    int m_model = -1;
};

}  // namespace

BatchOutcome runBatch(const BatchPlan& plan, const BatchOptions& o) {
    const BatchComm& comm = o.comm;
    const bool sharded = comm.size > 1;
    const fs::path mine = sharded ? shardPath(o.out, comm.rank) : o.out;
    BatchOutcome outcome;
    outcome.total = static_cast<int>(plan.items.size());

    std::map<int, ItemRecord> done;
    if (o.resume) done = finishedItems(plan, o.out);
    outcome.resumed = static_cast<int>(done.size());
    // Ranks start reading only once every rank has read what earlier runs left.
    comm.barrier();
    if (!o.resume && fs::exists(mine) && sharded) fs::remove(mine);

    // What this rank's file holds: everything known (one process), or its own earlier shard.
    std::map<int, ItemRecord> kept;
    if (!sharded) {
        kept = done;
    } else if (o.resume && fs::exists(mine)) {
        for (ItemRecord& r : readBatchResults(mine, Trust::Trusted).items)
            kept[r.index] = r;
    }
    std::vector<const BatchItem*> todo;
    for (const BatchItem& item : plan.items)
        if (item.index % comm.size == comm.rank && !done.count(item.index)) todo.push_back(&item);

    if (o.started) o.started(outcome, static_cast<int>(todo.size()));
    ItemRunner runner(plan, o.load);
    const auto commit = [&] {
        std::vector<ItemRecord> records;
        for (const auto& [index, r] : kept)
            records.push_back(r);
        writeBatchResults(mine, plan, records, false);
    };
    for (const BatchItem* item : todo) {
        // Ctrl-C stops here, between items: the current item finishes and is kept.
        if (o.progress.cancelled()) {
            outcome.interrupted = true;
            break;
        }
        const double base = static_cast<double>(outcome.ran) / todo.size();
        const capture::Progress inner([&](double f, const std::string& what) {
            o.progress.report(base + f / todo.size(), item->key + ": " + what);
        });
        ItemRecord r = runner.run(*item, inner);
        kept[r.index] = r;
        commit();
        ++outcome.ran;
        o.progress.report(static_cast<double>(outcome.ran) / todo.size(),
                          item->key + " " + r.status);
        if (o.itemFinished) o.itemFinished(r, outcome.ran, static_cast<int>(todo.size()));
        if (o.killAfterItems > 0 && outcome.ran == o.killAfterItems) ::raise(SIGKILL);
    }
    outcome.interrupted = comm.maxOverRanks(outcome.interrupted ? 1 : 0) != 0;

    int failed = 0;
    if (comm.rank == 0) {
        // Rank 0 merges: the results file's items (resume), every rank's file, in index order.
        std::map<int, ItemRecord> all = sharded ? done : kept;
        const std::vector<fs::path> shards = existingShards(o.out);
        for (const fs::path& shard : shards) {
            const bool current = [&] {
                for (int r = 0; sharded && r < comm.size; ++r)
                    if (shard == shardPath(o.out, r)) return true;
                return false;
            }();
            if (!o.resume && !current) continue;  // left by an earlier run: not ours
            for (ItemRecord& r : readBatchResults(shard, Trust::Trusted).items)
                all[r.index] = r;
        }
        std::vector<ItemRecord> records;
        for (auto& [index, r] : all) {
            failed += r.status != "ok";
            records.push_back(std::move(r));
        }
        writeBatchResults(o.out, plan, records, true);
        for (const fs::path& shard : shards)
            fs::remove(shard);
    }
    outcome.failed = comm.maxOverRanks(failed);
    return outcome;
}

}  // namespace attnscope::app
