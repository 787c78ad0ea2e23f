#pragma once
// Writes a trained demo model as a Hugging Face folder, with held-out evaluation prompts.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "attnscope/app/demo/demo_example.h"
#include "attnscope/app/demo/task_generator.h"
#include "attnscope/capture/safetensors_header.h"

namespace attnscope::capture {
class TransformerModel;
}

namespace attnscope::app::demo {

/// Seed of the shipped evaluation prompts; distinct from any training or validation stream.
inline constexpr uint64_t kEvalSeed = 0xE7A15EEDULL;

/// Held-out evaluation examples of `task`: `count` sequences (refusal: half harmful, half
/// benign, from the held-out requests).
std::vector<Example> evaluationExamples(const TaskGenerator& generator, TaskKind task,
                                        int64_t count, uint64_t seed = kEvalSeed);

/// One line of eval/<task>.jsonl: {"task", "prompt", "answer"} (text without <bos>; the
/// tokenizer adds it) plus task fields: needle "needle" (the secret words the answer copies,
/// without the closing "."), "depth", "prompt_tokens"; refusal "harmful", "request"; backcopy
/// "triggers" (positions of the trigger words in the prompt's token ids, <bos> at 0).
nlohmann::ordered_json evaluationRecord(const Example& example, const DemoVocabulary& vocabulary);

/// Writes eval/<task>.jsonl (`count` prompts per task) into `dir`.
void writeEvaluationPrompts(const std::filesystem::path& dir, const TaskGenerator& generator,
                            int64_t count);

/// Writes config.json (`configJson`), model.safetensors (in `dtype`), tokenizer.json and
/// eval/<task>.jsonl with `evalCount` prompts per task into `dir` (created if missing).
void writeDemoFolder(const std::filesystem::path& dir, capture::TransformerModel& model,
                     const std::string& configJson, const TaskGenerator& generator,
                     int64_t evalCount, capture::DType dtype = capture::DType::F32);

}  // namespace attnscope::app::demo
