// GPT-2's original vocabulary files: vocab.json (token -> id) and merges.txt (one "left right"
// merge per line, in rank order, after a "#version" line).
#include "attnscope/capture/tokenizer_error.h"
#include "bpe_model.h"
#include "json_fields.h"
#include "loaders.h"

namespace attnscope::capture::detail {

namespace {

Vocabulary readVocabJson(const std::filesystem::path& file) {
    const std::string content = readWholeFile(file);
    Json document;
    try {
        document = Json::parse(content);
    } catch (const Json::exception& error) {
        throw TokenizerError(file.string() + ": not valid JSON: " + error.what());
    }
    if (!document.is_object())
        throw TokenizerError(file.string() + ": expected an object of token: id");
    std::vector<std::pair<std::string, int64_t>> entries;
    entries.reserve(document.size());
    for (auto it = document.begin(); it != document.end(); ++it) {
        if (!it.value().is_number_integer())
            throw TokenizerError(file.string() + ": entry '" + it.key() +
                                 "' must have an integer id");
        entries.emplace_back(it.key(), it.value().get<int64_t>());
    }
    try {
        return Vocabulary(std::move(entries));
    } catch (const TokenizerError& error) {
        throw TokenizerError(file.string() + ": " + error.what());
    }
}

std::vector<std::pair<std::string, std::string>> readMergesTxt(const std::filesystem::path& file) {
    const std::string content = readWholeFile(file);
    std::vector<std::pair<std::string, std::string>> merges;
    size_t lineNumber = 0;
    size_t pos = 0;
    while (pos < content.size()) {
        size_t end = content.find('\n', pos);
        if (end == std::string::npos) end = content.size();
        std::string_view line(content.data() + pos, end - pos);
        pos = end + 1;
        ++lineNumber;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty() || (lineNumber == 1 && line.substr(0, 8) == "#version")) continue;
        const size_t space = line.find(' ');
        if (space == std::string_view::npos || space == 0 || space + 1 == line.size() ||
            line.find(' ', space + 1) != std::string_view::npos)
            throw TokenizerError(file.string() + ": line " + std::to_string(lineNumber) +
                                 ": expected two tokens separated by one space");
        merges.emplace_back(std::string(line.substr(0, space)),
                            std::string(line.substr(space + 1)));
    }
    return merges;
}

}  // namespace

std::unique_ptr<TokenizerPipeline> loadVocabAndMerges(const std::filesystem::path& vocab,
                                                      const std::filesystem::path& merges) {
    Vocabulary vocabulary = readVocabJson(vocab);
    const auto mergeList = readMergesTxt(merges);
    auto pipeline = std::make_unique<TokenizerPipeline>();
    try {
        pipeline->model =
            std::make_unique<BpeModel>(std::move(vocabulary), mergeList, BpeOptions{});
    } catch (const TokenizerError& error) {
        throw TokenizerError(merges.string() + ": " + error.what());
    }
    pipeline->preTokenizer = std::make_unique<ByteLevelPreTokenizer>(false, true);
    pipeline->decoder = std::make_unique<ByteLevelDecoder>();
    pipeline->display.byteLevel = true;
    // GPT-2's one special token lives in vocab.json itself.
    std::vector<AddedToken> added;
    if (const auto id = pipeline->model->vocabulary().find("<|endoftext|>"))
        added.push_back({"<|endoftext|>", *id, true, false, false, false});
    pipeline->addedTokens = AddedTokens(std::move(added));
    return pipeline;
}

}  // namespace attnscope::capture::detail
