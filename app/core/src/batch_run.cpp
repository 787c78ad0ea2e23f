// Running a batch: every item of this rank, each committed when it finishes; then rank 0 merges.
//
// Durability: each finished item is appended to the rank's journal and fdatasync'd
// (batch_journal.h), O(item) per commit; a SIGKILL at any moment loses at most the item being
// written. Rank 0 writes the results file and its summaries once, from the journals (and, on
// --resume, the results file an interrupted run left), then removes the journals.
#include <signal.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>

#include "attnscope/app/batch.h"
#include "batch_journal.h"
#include "batch_results.h"

namespace attnscope::app {
namespace {

namespace fs = std::filesystem;
using Kind = ExperimentError::Kind;

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

void keepItems(std::map<int, ItemRecord>& done, const BatchPlan& plan,
               std::vector<ItemRecord> items) {
    for (ItemRecord& r : items)
        if (r.index >= 0 && static_cast<size_t>(r.index) < plan.items.size() &&
            plan.items[static_cast<size_t>(r.index)].key == r.key)
            done[r.index] = std::move(r);
}

// Finished items from earlier runs: the results file and every rank's journal, by index. A
// torn journal tail is reported through `warn` and its item runs again.
std::map<int, ItemRecord> finishedItems(const BatchPlan& plan, const fs::path& out,
                                        const std::function<void(const std::string&)>& warn) {
    std::map<int, ItemRecord> done;
    if (fs::exists(out)) {
        BatchResultsFile f = readBatchResults(out);
        checkSameRun(f, plan, out);
        keepItems(done, plan, std::move(f.items));
    }
    for (const fs::path& journal : existingJournals(out)) {
        JournalContents j = readJournal(journal);
        if (!j.problem.empty() && warn) warn(j.problem);
        if (!j.hasHeader) continue;
        checkSameRun(j.run, plan, journal);
        keepItems(done, plan, std::move(j.run.items));
    }
    return done;
}

class ItemRunner {
public:
    ItemRunner(const BatchPlan& plan, const capture::LoadOptions& load, const fs::path& out)
        : m_plan(plan), m_load(load), m_out(out) {}

    ItemRecord run(const BatchItem& item, const capture::Progress& progress) {
        ItemRecord r = describe(m_plan, item);
        try {
            Session& session = sessionFor(item.model);
            for (const AnalysisSpec& spec : m_plan.experiment.analyses)
                r.tables.push_back(runAnalysis(session, item.input, spec, r.tables, progress));
            if (!m_plan.experiment.capture.hooks.empty()) r.capture = writeCapture(session, item);
            r.status = "ok";
        } catch (const std::exception& e) {
            // Recorded with its error; the other items go on.
            r.status = "failed";
            r.error = e.what();
            r.tables.clear();
            r.capture.clear();
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

    // The item's capture file, written (atomically) before the item is committed, so that a
    // committed item always has its file; a rerun after a kill replaces a file left behind.
    std::string writeCapture(Session& session, const BatchItem& item) {
        const ItemCaptureSpec& spec = m_plan.experiment.capture;
        const fs::path folder = captureFolder(m_out);
        std::error_code error;
        fs::create_directories(folder, error);  // every rank: an existing folder is fine
        CaptureToFileRequest request;
        request.prompt = item.input.prompt;
        request.corruptedPrompt = item.input.corruptedPrompt;
        request.edits = item.input.edits;
        request.hooks = spec.hooks;
        request.layers = spec.layers;
        request.float16 = spec.float16;
        session.captureToFile(request, folder / (item.key + ".h5"));
        return (folder.filename() / (item.key + ".h5")).string();
    }

    const BatchPlan& m_plan;
    capture::LoadOptions m_load;
    fs::path m_out;
    std::unique_ptr<Session> m_session;
    int m_model = -1;
};

}  // namespace

BatchOutcome runBatch(const BatchPlan& plan, const BatchOptions& o) {
    const BatchComm& comm = o.comm;
    const fs::path mine = journalPath(o.out, comm.rank);
    BatchOutcome outcome;
    outcome.total = static_cast<int>(plan.items.size());

    std::map<int, ItemRecord> done;
    if (o.resume) done = finishedItems(plan, o.out, comm.rank == 0 ? o.warning : nullptr);
    outcome.resumed = static_cast<int>(done.size());
    // Ranks touch their journals only once every rank has read what earlier runs left.
    comm.barrier();
    std::optional<JournalWriter> journal;
    if (o.resume && fs::exists(mine)) {
        const JournalContents j = readJournal(mine);
        if (j.hasHeader) journal.emplace(JournalWriter::resume(mine, j.goodBytes));
    }
    if (!journal) journal.emplace(JournalWriter::create(mine, plan));

    std::vector<const BatchItem*> todo;
    for (const BatchItem& item : plan.items)
        if (item.index % comm.size == comm.rank && !done.count(item.index)) todo.push_back(&item);

    if (o.started) o.started(outcome, static_cast<int>(todo.size()));
    ItemRunner runner(plan, o.load, o.out);
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
        const ItemRecord r = runner.run(*item, inner);
        journal->append(r);
        ++outcome.ran;
        o.progress.report(static_cast<double>(outcome.ran) / todo.size(),
                          item->key + " " + r.status);
        if (o.itemFinished) o.itemFinished(r, outcome.ran, static_cast<int>(todo.size()));
        if (o.killAfterItems > 0 && outcome.ran == o.killAfterItems) ::raise(SIGKILL);
    }
    journal.reset();
    // Also the barrier after which every rank's journal is complete.
    outcome.interrupted = comm.maxOverRanks(outcome.interrupted ? 1 : 0) != 0;

    int failed = 0;
    if (comm.rank == 0) {
        // Rank 0 merges, in index order: what earlier runs finished (resume) and every journal
        // this run wrote. Journals of an earlier run that this one does not resume are not ours.
        std::map<int, ItemRecord> all = done;
        const std::vector<fs::path> journals = existingJournals(o.out);
        for (const fs::path& path : journals) {
            const bool current = [&] {
                for (int r = 0; r < comm.size; ++r)
                    if (path == journalPath(o.out, r)) return true;
                return false;
            }();
            if (!o.resume && !current) continue;
            keepItems(all, plan, readJournal(path).run.items);
        }
        std::vector<ItemRecord> records;
        for (auto& [index, r] : all) {
            failed += r.status != "ok";
            records.push_back(std::move(r));
        }
        writeBatchResults(o.out, plan, records);
        // The results file is committed: the journals are redundant from here (a crash before
        // they are gone leaves the same items twice, which --resume merges by index).
        for (const fs::path& path : journals)
            fs::remove(path);
    }
    outcome.failed = comm.maxOverRanks(failed);
    return outcome;
}

}  // namespace attnscope::app
