#pragma once
// `attnscope-cli tokenize`: print a text's tokens with their ids and character offsets.
#include <iosfwd>
#include <string>
#include <vector>

namespace attnscope::app {

/// Runs `tokenize (--model DIR | --tokenizer FILE) --text TEXT [--json] [--no-special-tokens]
/// [--split-special-tokens]`.
/// `args` are the words after `tokenize`; `--text -` reads the text from `in`. Returns the exit
/// code: 0 on success, 2 for usage errors, 1 when loading or encoding fails. Errors go to `err`
/// as "error: <message>".
int runTokenizeCommand(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
                       std::ostream& err);

}  // namespace attnscope::app
