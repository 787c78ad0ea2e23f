#pragma once
// Headless batch runs of an experiment: its items (models x dataset entries x edit lists), each
// committed to the results file when it finishes, resumable after any kill, and sharded across
// MPI ranks with rank 0 merging. No Qt; the CLI's `batch` command and the GUI's results viewer
// are thin layers over this.
#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "attnscope/app/experiment.h"
#include "attnscope/app/experiment_analyses.h"
#include "attnscope/capture/model_loader.h"
#include "attnscope/capture/progress.h"

namespace attnscope::app {

/// A model of the experiment as the results file records it.
struct BatchModel {
    std::filesystem::path path;
    ModelSummary summary;
    std::string configJson = "{}";
};

/// One unit of work: a dataset entry on a model under an edit list. `index` orders the items
/// (models, then datasets, then entries, then edit lists).
struct BatchItem {
    int index = 0;
    std::string key;  ///< "item-00007": the /results key of its tables
    int model = 0;
    int dataset = 0;
    int entry = 0;
    int edits = 0;
    ItemInput input;
};

/// An experiment with its items, datasets read and models checked to load.
struct BatchPlan {
    Experiment experiment;
    std::vector<BatchModel> models;
    std::vector<BatchItem> items;
};

/// Reads the datasets, runs the generators and loads each model once (for its fingerprint).
/// Throws ExperimentError(MissingInput) naming the model or dataset that is missing or does not
/// load.
BatchPlan planBatch(Experiment experiment, const capture::LoadOptions& load = {},
                    const capture::Progress& progress = {});

/// What became of one item.
struct ItemRecord {
    int index = 0;
    std::string key;
    int model = 0;        ///< index into the experiment's models
    std::string dataset;  ///< the dataset's name
    int entry = 0;        ///< the entry in the dataset
    std::string edits;    ///< the edit list's name
    std::string prompt;
    std::string status;  ///< "ok" or "failed"
    std::string error;   ///< why it failed
    std::vector<ResultTable> tables;
    /// The item's capture file (the experiment's `capture:`), relative to the results file's
    /// folder; empty when nothing is captured.
    std::string capture;

    bool operator==(const ItemRecord& o) const {
        return index == o.index && key == o.key && model == o.model && dataset == o.dataset &&
               entry == o.entry && edits == o.edits && prompt == o.prompt && status == o.status &&
               error == o.error && tables == o.tables && capture == o.capture;
    }
};

/// The rank of this process among `size` (MPI; 0 of 1 without it) and the collective steps
/// the run needs.
struct BatchComm {
    int rank = 0;
    int size = 1;
    std::function<void()> barrier = [] {};
    /// The maximum of `value` over all ranks.
    std::function<int(int)> maxOverRanks = [](int v) { return v; };
};

struct BatchOutcome {
    int total = 0;    ///< items of the experiment
    int resumed = 0;  ///< found finished in the results (and shards) at the start
    int ran = 0;      ///< run by this process
    int failed = 0;   ///< failed items in the final results (rank 0)
    bool interrupted = false;
};

struct BatchOptions {
    std::filesystem::path out;
    bool resume = false;
    capture::LoadOptions load;
    /// Fraction of items done and messages; its token stops the run after the current item.
    capture::Progress progress;
    /// Called once the finished items are known: the counts so far and this rank's items to run.
    std::function<void(const BatchOutcome& counts, int todo)> started;
    /// Called on the working thread after each item is committed (done counts this run's items).
    std::function<void(const ItemRecord&, int done, int todo)> itemFinished;
    BatchComm comm;
    /// Called (rank 0) with a note when --resume drops a torn or corrupt journal tail.
    std::function<void(const std::string&)> warning;
    /// Test hook: SIGKILL this process right after its k-th commit (0 = never).
    int killAfterItems = 0;
};

/// Runs the plan's unfinished items of this rank, committing each to the rank's journal beside
/// `out` (".OUT.rank-R.journal"), then (rank 0) writes every rank's items into `out` once, with
/// the CSV and JSON summaries beside it, and removes the journals. Throws
/// ExperimentError(BadFile) when `resume` finds results of another experiment, tool version or
/// model weights, naming what changed.
BatchOutcome runBatch(const BatchPlan& plan, const BatchOptions& options);

/// The folder of the items' capture files: RESULTS.captures beside `out`.
std::filesystem::path captureFolder(const std::filesystem::path& out);

/// The CSV and JSON summaries written beside `out` (RESULTS.csv, RESULTS.json).
std::filesystem::path csvSummaryPath(const std::filesystem::path& out);
std::filesystem::path jsonSummaryPath(const std::filesystem::path& out);

/// A batch results file as read back: the `batch` record (experiment, tool version, models,
/// items) and every item's tables, plus the aggregated (mean) tables.
struct BatchResultsFile {
    std::string experimentName;
    std::string experimentContent;
    std::string experimentSha256;
    std::string toolVersion;
    std::vector<std::string> modelPaths;
    std::vector<std::string> modelFingerprints;
    int itemsTotal = 0;
    std::vector<ItemRecord> items;  ///< in index order
    /// Mean tables over each model's finished items per edit list, keyed "mean-m<M>-<edits>".
    std::vector<std::pair<std::string, ResultTable>> aggregates;
};
/// Throws store::StoreError or capture::InputError naming the file when it is not a results file;
/// capture::Cancelled when `progress` is cancelled (it reports per item read).
BatchResultsFile readBatchResults(const std::filesystem::path& path,
                                  const capture::Progress& progress = {});

/// What unfinished runs writing `out` have committed so far: every rank's journal beside it
/// (without the results file), with a note per journal whose torn or corrupt tail was dropped.
struct CommittedItems {
    std::vector<ItemRecord> items;  ///< in index order
    std::vector<std::string> problems;
};
CommittedItems committedItems(const std::filesystem::path& out);

}  // namespace attnscope::app
