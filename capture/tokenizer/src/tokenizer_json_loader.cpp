#include <fstream>
#include <sstream>

#include "attnscope/capture/tokenizer.h"
#include "component_json.h"
#include "loaders.h"

namespace attnscope::capture {

namespace detail {

std::string readWholeFile(const std::filesystem::path& file) {
    std::error_code error;
    if (std::filesystem::is_directory(file, error))
        throw TokenizerError(file.string() + ": is a folder, not a file");
    std::ifstream in(file, std::ios::binary);
    if (!in) throw TokenizerError(file.string() + ": cannot open the file");
    std::ostringstream content;
    content << in.rdbuf();
    if (in.bad()) throw TokenizerError(file.string() + ": cannot read the file");
    return content.str();
}

std::unique_ptr<TokenizerPipeline> loadTokenizerJson(std::string_view json,
                                                     const std::string& source) {
    Json document;
    try {
        document = Json::parse(json.begin(), json.end());
    } catch (const Json::exception& error) {
        throw TokenizerError(source + ": not valid JSON: " + error.what());
    }
    try {
        requireObject(document, "tokenizer.json");
        if (!document.contains("model")) throw TokenizerError("missing \"model\"");
        auto pipeline = std::make_unique<TokenizerPipeline>();
        pipeline->model = parseModel(document["model"]);
        pipeline->addedTokens = parseAddedTokens(document.value("added_tokens", Json()));
        pipeline->normalizer =
            parseNormalizer(document.value("normalizer", Json()), pipeline->display);
        pipeline->preTokenizer =
            parsePreTokenizer(document.value("pre_tokenizer", Json()), pipeline->display);
        pipeline->decoder = parseDecoder(document.value("decoder", Json()), pipeline->display);
        const TokenizerPipeline& built = *pipeline;
        pipeline->postTemplate =
            parsePostProcessor(document.value("post_processor", Json()),
                               [&built](int64_t id) { return built.tokenOf(id); });
        return pipeline;
    } catch (const TokenizerError& error) {
        throw TokenizerError(source + ": " + error.what());
    } catch (const Json::exception& error) {
        throw TokenizerError(source + ": unexpected content: " + error.what());
    }
}

}  // namespace detail

std::unique_ptr<Tokenizer> Tokenizer::fromTokenizerJson(const std::filesystem::path& file) {
    auto pipeline = detail::loadTokenizerJson(detail::readWholeFile(file), file.string());
    detail::inferBosEos(*pipeline);
    return std::make_unique<Tokenizer>(std::move(pipeline));
}

std::unique_ptr<Tokenizer> Tokenizer::fromTokenizerJsonString(std::string_view json,
                                                              std::string_view sourceName) {
    auto pipeline = detail::loadTokenizerJson(json, std::string(sourceName));
    detail::inferBosEos(*pipeline);
    return std::make_unique<Tokenizer>(std::move(pipeline));
}

std::unique_ptr<Tokenizer> Tokenizer::fromVocabAndMerges(const std::filesystem::path& vocab,
                                                         const std::filesystem::path& merges) {
    auto pipeline = detail::loadVocabAndMerges(vocab, merges);
    detail::inferBosEos(*pipeline);
    return std::make_unique<Tokenizer>(std::move(pipeline));
}

std::unique_ptr<Tokenizer> Tokenizer::fromModelFolder(const std::filesystem::path& dir) {
    std::error_code error;
    std::unique_ptr<detail::TokenizerPipeline> pipeline;
    if (std::filesystem::exists(dir / "tokenizer.json", error)) {
        const auto file = dir / "tokenizer.json";
        pipeline = detail::loadTokenizerJson(detail::readWholeFile(file), file.string());
    } else if (std::filesystem::exists(dir / "vocab.json", error) &&
               std::filesystem::exists(dir / "merges.txt", error)) {
        pipeline = detail::loadVocabAndMerges(dir / "vocab.json", dir / "merges.txt");
    } else {
        throw TokenizerError(dir.string() +
                             ": no tokenizer found (expected tokenizer.json, or vocab.json and "
                             "merges.txt)");
    }
    detail::applyModelFolderConfig(*pipeline, dir);
    return std::make_unique<Tokenizer>(std::move(pipeline));
}

}  // namespace attnscope::capture
