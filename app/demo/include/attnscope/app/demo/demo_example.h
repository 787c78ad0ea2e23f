#pragma once
// One training or evaluation sequence of a demo task.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace attnscope::app::demo {

enum class TaskKind { Mqar, Needle, Backcopy, Refusal };

inline constexpr std::array<TaskKind, 4> kAllTasks = {TaskKind::Mqar, TaskKind::Needle,
                                                      TaskKind::Backcopy, TaskKind::Refusal};
inline constexpr int64_t kTaskCount = 4;

/// "mqar", "needle", "backcopy", "refusal".
const char* taskName(TaskKind task);
/// The task of a name above; nullopt for anything else.
std::optional<TaskKind> taskFromName(const std::string& name);
inline size_t taskIndex(TaskKind task) {
    return static_cast<size_t>(task);
}

/// Target value of positions that are not supervised.
inline constexpr int64_t kNoTarget = -100;

struct Example {
    TaskKind task = TaskKind::Mqar;
    std::vector<int64_t> tokens;   ///< the sequence, starting with <bos>
    std::vector<int64_t> targets;  ///< per position: the next token to learn, or kNoTarget
    /// Groups of positions scored together: a unit is correct when the greedy prediction at each
    /// of its positions is the next token (an MQAR value, a whole needle or refusal answer, the
    /// copy after one trigger).
    std::vector<std::vector<int64_t>> units;
    /// tokens[0, promptLength) is the prompt of the evaluation file; the rest is its answer.
    int64_t promptLength = 0;
    bool harmful = false;    ///< refusal: the request holds a harmful word
    int64_t spanBegin = -1;  ///< needle: the secret's words inside the haystack, [begin, end),
    int64_t spanEnd = -1;    ///< without the sentence's closing "."
    double depth = 0.0;      ///< needle: where the needle sentence sits, 0 (start) to 1 (end)
    /// refusal: where the harmful verb and the harmful object are (each empty or one position)
    std::vector<int64_t> harmfulVerbPositions, harmfulObjectPositions;
    int64_t verbPosition = -1;  ///< refusal: where the request's verb and object are
    int64_t objectPosition = -1;
};

/// Supervises every token after the prompt (tokens[promptLength..end)) as one unit: the answer
/// is right only when all of it is.
void superviseAnswer(Example& ex);

}  // namespace attnscope::app::demo
