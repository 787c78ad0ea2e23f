#pragma once
// Every attnscope-cli subcommand: words after the command name, standard streams, exit code.
#include <iosfwd>
#include <string>
#include <vector>

namespace attnscope::app {

int runInfoCommand(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
                   std::ostream& err);
int runScoreCommand(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
                    std::ostream& err);
int runMetricsCommand(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
                      std::ostream& err);
int runRunCommand(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
                  std::ostream& err);

}  // namespace attnscope::app
