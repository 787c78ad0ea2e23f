#pragma once
// The edit-list options `run` and `lens` share: --ablate, --mean-ablate, --scale,
// --plugin-edit (flags) and --edits FILE.json (the session's JSON form), all parsed into
// app::EditList.
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "attnscope/app/edit.h"
#include "cli_args.h"

namespace attnscope::app {

/// The valued options editsFromArgs reads.
const std::set<std::string>& editOptionNames();
/// The edits of the flags and of each --edits file, parsed before the model is loaded so that
/// a malformed file fails fast.
struct EditOptions {
    EditList flags;
    std::vector<std::pair<std::string, EditList>> files;  ///< path, edits

    /// Throws UsageError for a malformed flag, capture::InputError (naming the file, the key
    /// and the problem) for a malformed file.
    explicit EditOptions(const CliArgs& args);
    /// Checks every edit against the model's shape, naming the file or flag that holds it.
    void check(int layers, int heads) const;
    /// The flags' edits, then each file's.
    EditList all() const;
};

}  // namespace attnscope::app
