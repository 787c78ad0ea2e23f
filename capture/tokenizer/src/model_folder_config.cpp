// BOS/EOS settings a model folder keeps beside its tokenizer files.
#include "attnscope/capture/tokenizer_error.h"
#include "json_fields.h"
#include "loaders.h"

namespace attnscope::capture::detail {

namespace {

std::optional<Json> readOptionalJson(const std::filesystem::path& file) {
    std::error_code error;
    if (!std::filesystem::exists(file, error)) return std::nullopt;
    const std::string content = readWholeFile(file);
    try {
        Json document = Json::parse(content);
        if (!document.is_object()) throw TokenizerError(file.string() + ": expected an object");
        return document;
    } catch (const Json::exception& parseError) {
        throw TokenizerError(file.string() + ": not valid JSON: " + parseError.what());
    }
}

// bos_token may be a plain string or an AddedToken-like {"content": ...}.
std::optional<std::string> tokenName(const Json& config, const char* key) {
    const auto it = config.find(key);
    if (it == config.end()) return std::nullopt;
    if (it->is_string()) return it->get<std::string>();
    if (it->is_object() && it->contains("content") && (*it)["content"].is_string())
        return (*it)["content"].get<std::string>();
    return std::nullopt;
}

// config.json ids may be one integer or a list (several EOS ids); the first one is taken.
std::optional<int64_t> configId(const Json& config, const char* key) {
    const auto it = config.find(key);
    if (it == config.end()) return std::nullopt;
    if (it->is_number_integer()) return it->get<int64_t>();
    if (it->is_array() && !it->empty() && (*it)[0].is_number_integer())
        return (*it)[0].get<int64_t>();
    return std::nullopt;
}

std::optional<int64_t> idOfName(const TokenizerPipeline& pipeline,
                                const std::optional<std::string>& name) {
    if (!name) return std::nullopt;
    if (const AddedToken* added = pipeline.addedTokens.byContent(*name)) return added->id;
    if (const auto id = pipeline.model->vocabulary().find(*name)) return *id;
    return std::nullopt;
}

}  // namespace

void applyModelFolderConfig(TokenizerPipeline& pipeline, const std::filesystem::path& dir) {
    std::optional<int64_t> bos;
    std::optional<int64_t> eos;
    bool addBos = false;
    bool addEos = false;
    if (const auto config = readOptionalJson(dir / "tokenizer_config.json")) {
        bos = idOfName(pipeline, tokenName(*config, "bos_token"));
        eos = idOfName(pipeline, tokenName(*config, "eos_token"));
        addBos = config->value("add_bos_token", Json(false)).is_boolean() &&
                 config->value("add_bos_token", false);
        addEos = config->value("add_eos_token", Json(false)).is_boolean() &&
                 config->value("add_eos_token", false);
    }
    if (const auto config = readOptionalJson(dir / "config.json")) {
        const auto valid = [&](std::optional<int64_t> id) {
            return id && pipeline.tokenOf(*id) != nullptr ? id : std::nullopt;
        };
        if (!bos) bos = valid(configId(*config, "bos_token_id"));
        if (!eos) eos = valid(configId(*config, "eos_token_id"));
    }
    // The slow (SentencePiece) tokenizers add BOS from this flag; tokenizer.json files usually
    // carry the same as a template, which then takes precedence.
    if (addBos && bos && pipeline.postTemplate.prefix.empty())
        pipeline.postTemplate.prefix.push_back({*bos, *pipeline.tokenOf(*bos)});
    if (addEos && eos && pipeline.postTemplate.suffix.empty())
        pipeline.postTemplate.suffix.push_back({*eos, *pipeline.tokenOf(*eos)});
    inferBosEos(pipeline, bos, eos);
}

}  // namespace attnscope::capture::detail
