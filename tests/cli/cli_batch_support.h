#pragma once
// What the `batch` CLI tests share: running an experiment and finding an item's tables.
#include <stdexcept>
#include <string>
#include <vector>

#include "attnscope/app/batch.h"
#include "cli_test_support.h"

namespace attnscope::test {

/// `attnscope-cli batch EXP --out OUT --progress=json [more...]` with one thread.
inline ProcessResult batch(const std::string& exp, const std::string& out,
                           std::vector<std::string> more = {}) {
    std::vector<std::string> args{"batch", exp, "--out", out, "--progress=json"};
    args.insert(args.end(), more.begin(), more.end());
    return cli(args);
}

/// The item's table of `analysis`; throws when the item has none.
inline const app::ResultTable& table(const app::ItemRecord& item, const std::string& analysis) {
    for (const auto& t : item.tables)
        if (t.analysis == analysis) return t;
    throw std::runtime_error("no table " + analysis + " in " + item.key);
}

}  // namespace attnscope::test
