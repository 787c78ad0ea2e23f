#pragma once
// Running a prompt while streaming its captures into an HDF5 capture file.
#include <filesystem>

#include "attnscope/app/prompt_run.h"
#include "attnscope/store/capture_types.h"

namespace attnscope::app {

struct CaptureFileOptions {
    store::WriterOptions writer;
    bool append = false;  ///< add a run to an existing file instead of replacing it
    /// Store q and k after the positional encoding plus each attention row's log-sum-exp
    /// instead of T×T patterns; any pattern tile is rebuilt exactly from them on reading.
    bool longContext = false;
};

/// The hooks a long-context capture records.
std::vector<std::string> longContextHooks();

/// Runs `prompt` like runPrompt, writing every hook that `spec` selects (layers respected;
/// heads and positions are kept whole in files) to `path` as it is produced, layer by layer, so
/// that memory never holds all layers' captures. The file appears under its final name only
/// when complete. Returns the run (its cache is empty: the captures are in the file).
PromptRun runPromptToFile(OpenedModel& opened, const PromptTokens& prompt,
                          const capture::CaptureSpec& spec,
                          const std::vector<capture::Intervention>& interventions, int64_t topK,
                          const std::filesystem::path& path, const CaptureFileOptions& options);

}  // namespace attnscope::app
