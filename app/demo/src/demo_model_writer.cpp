#include "attnscope/app/demo/demo_model_writer.h"

#include <fstream>
#include <stdexcept>

#include "attnscope/capture/checkpoint_writer.h"
#include "attnscope/capture/transformer_model.h"

namespace attnscope::app::demo {
namespace {

void writeText(const std::filesystem::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + path.string());
}

std::vector<int64_t> slice(const std::vector<int64_t>& ids, int64_t begin, int64_t end) {
    return {ids.begin() + begin, ids.begin() + end};
}

}  // namespace

std::vector<Example> evaluationExamples(const TaskGenerator& generator, TaskKind task,
                                        int64_t count, uint64_t seed) {
    if (count < 1) throw std::invalid_argument("evaluation sets need at least one example");
    Rng rng(seed + 104729 * taskIndex(task));
    std::vector<Example> out;
    int64_t harmful = 0;
    while (static_cast<int64_t>(out.size()) < count) {
        Example ex = generator.make(task, rng, Split::HeldOut);
        if (task == TaskKind::Refusal) {
            // Exactly half harmful: keep drawing until the wanted kind comes up.
            const bool wantHarmful =
                harmful < (count + 1) / 2 &&
                (static_cast<int64_t>(out.size()) - harmful >= count / 2 || out.size() % 2 == 0);
            if (ex.harmful != wantHarmful) continue;
            harmful += ex.harmful ? 1 : 0;
        }
        if (task == TaskKind::Backcopy && ex.units.empty()) continue;
        out.push_back(std::move(ex));
    }
    return out;
}

nlohmann::ordered_json evaluationRecord(const Example& ex, const DemoVocabulary& v) {
    const auto n = static_cast<int64_t>(ex.tokens.size());
    nlohmann::ordered_json j = {{"task", taskName(ex.task)},
                                {"prompt", v.text(slice(ex.tokens, 1, ex.promptLength))}};
    switch (ex.task) {
        case TaskKind::Mqar:
        case TaskKind::Backcopy:
            j["answer"] = v.word(ex.tokens[static_cast<size_t>(ex.promptLength)]);
            break;
        case TaskKind::Needle:
        case TaskKind::Refusal:
            j["answer"] = v.text(slice(ex.tokens, ex.promptLength, n));
            break;
    }
    if (ex.task == TaskKind::Needle) {
        j["needle"] = v.text(slice(ex.tokens, ex.spanBegin, ex.spanEnd));
        j["depth"] = ex.depth;
        j["prompt_tokens"] = ex.promptLength;
    } else if (ex.task == TaskKind::Refusal) {
        j["harmful"] = ex.harmful;
        // Between "user :" and "assistant :".
        j["request"] = v.text(slice(ex.tokens, 3, ex.promptLength - 2));
    } else if (ex.task == TaskKind::Backcopy) {
        std::vector<int64_t> triggers;
        for (const auto& unit : ex.units)
            if (unit.front() < ex.promptLength) triggers.push_back(unit.front());
        j["triggers"] = triggers;
    }
    return j;
}

void writeDemoFolder(const std::filesystem::path& dir, capture::TransformerModel& model,
                     const std::string& configJson, const TaskGenerator& generator,
                     int64_t evalCount, capture::DType dtype) {
    std::filesystem::create_directories(dir);
    capture::writeCheckpoint(model, dir, dtype);
    std::string config = configJson;
    if (dtype == capture::DType::BF16) {
        auto j = nlohmann::ordered_json::parse(configJson);
        j["torch_dtype"] = "bfloat16";
        config = j.dump(2) + "\n";
    }
    writeText(dir / "config.json", config);
    writeText(dir / "tokenizer.json", generator.vocabulary().tokenizerJson());
    writeEvaluationPrompts(dir, generator, evalCount);
}

void writeEvaluationPrompts(const std::filesystem::path& dir, const TaskGenerator& generator,
                            int64_t count) {
    std::filesystem::create_directories(dir / "eval");
    for (const TaskKind task : kAllTasks) {
        std::string lines;
        for (const auto& ex : evaluationExamples(generator, task, count))
            lines += evaluationRecord(ex, generator.vocabulary()).dump() + "\n";
        writeText(dir / "eval" / (std::string(taskName(task)) + ".jsonl"), lines);
    }
}

}  // namespace attnscope::app::demo
