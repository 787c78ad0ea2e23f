#include "attnscope/app/opened_model.h"

#include "attnscope/capture/load_error.h"
#include "attnscope/capture/tokenizer.h"
#include "attnscope/capture/transformer_model.h"

namespace attnscope::app {

OpenedModel openModel(const std::filesystem::path& dir, const capture::LoadOptions& options) {
    OpenedModel opened;
    opened.dir = dir;
    opened.dtype = options.dtype;
    opened.model = capture::loadModel(dir, options);
    const bool hasTokenizer = std::filesystem::exists(dir / "tokenizer.json") ||
                              (std::filesystem::exists(dir / "vocab.json") &&
                               std::filesystem::exists(dir / "merges.txt"));
    if (hasTokenizer) opened.tokenizer = capture::Tokenizer::fromModelFolder(dir);
    return opened;
}

PromptTokens encodePrompt(const OpenedModel& opened, const std::string& text) {
    if (!opened.tokenizer)
        throw capture::InputError(opened.dir.string() +
                                  ": the model folder has no tokenizer; give token ids instead");
    const capture::Encoding e = opened.tokenizer->encode(text);
    PromptTokens p;
    p.text = text;
    p.ids = e.ids;
    for (std::size_t i = 0; i < e.ids.size(); ++i) {
        p.tokens.push_back(opened.tokenizer->displayString(e.ids[i]));
        p.offsets.push_back({static_cast<int64_t>(e.charSpans[i].first),
                             static_cast<int64_t>(e.charSpans[i].second)});
    }
    return p;
}

PromptTokens promptFromIds(const OpenedModel& opened, std::vector<int64_t> ids) {
    PromptTokens p;
    p.ids = std::move(ids);
    for (int64_t id : p.ids) {
        std::string shown = std::to_string(id);
        if (opened.tokenizer && id >= 0 && id < opened.tokenizer->vocabSize()) {
            try {
                shown = opened.tokenizer->displayString(id);
            } catch (const std::exception&) {
                // ids the tokenizer lacks (padding rows of the embedding) keep their number
            }
        }
        p.tokens.push_back(shown);
        p.offsets.push_back({-1, -1});
    }
    return p;
}

std::vector<int64_t> parseIdList(const std::string& text) {
    std::vector<int64_t> ids;
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t comma = text.find(',', start);
        const std::string item =
            text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        std::size_t used = 0;
        long long value = 0;
        try {
            value = std::stoll(item, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used == 0 || used != item.size())
            throw capture::InputError("--ids: '" + item + "' is not an integer token id");
        ids.push_back(value);
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return ids;
}

}  // namespace attnscope::app
