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
/// The logit lens of a prompt under an edit list (lens_command.cpp).
int runLensCommand(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
                   std::ostream& err);
/// Heads ablated in a metric's order against random orders (ablation_curve_command.cpp).
int runAblationCurveCommand(const std::vector<std::string>& args, std::istream& in,
                            std::ostream& out, std::ostream& err);
/// `session show|export FILE` (session_command.cpp).
int runSessionCommand(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
                      std::ostream& err);
/// Scores a circuit file: faithfulness, CPR, CMD, ROC AUC, overlap (circuit_eval_command.cpp).
int runCircuitEvalCommand(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
                          std::ostream& err);
/// Discovers a circuit with EAP, EAP-IG or ACDC (circuit_command.cpp).
int runCircuitCommand(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
                      std::ostream& err);
/// Runs an experiment file headless, resumable, over MPI ranks (batch_command.cpp).
int runBatchCommand(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
                    std::ostream& err);
/// Trains the demo model and writes it as a Hugging Face folder (train_demo_command.cpp).
int runTrainDemoCommand(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
                        std::ostream& err);
/// Scores a demo model folder on the demo tasks' held-out evaluation prompts.
int runEvalDemoCommand(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
                       std::ostream& err);
/// Writes a prompt-pair file from a built-in generator (pairs_command.cpp).
int runPairsCommand(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
                    std::ostream& err);
/// Activation patching sweeps (patch_command.cpp).
int runPatchCommand(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
                    std::ostream& err);

/// `plugins list [--json]`: the plugin scripts found, loaded or failed (plugins_command.cpp).
int runPluginsCommand(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
                      std::ostream& err);

}  // namespace attnscope::app
