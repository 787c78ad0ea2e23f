// tokenizer.json: the model, the added tokens and the post-processor.
#include "attnscope/capture/tokenizer_error.h"
#include "bpe_model.h"
#include "component_json.h"
#include "word_level_model.h"

namespace attnscope::capture::detail {

namespace {

Vocabulary parseVocabulary(const Json& model, std::string_view where) {
    const Json& vocab = requireField(model, "vocab", where);
    if (!vocab.is_object())
        throw TokenizerError(std::string(where) +
                             ": \"vocab\" must be an object of token: id, "
                             "found " +
                             vocab.type_name());
    std::vector<std::pair<std::string, int64_t>> entries;
    entries.reserve(vocab.size());
    for (auto it = vocab.begin(); it != vocab.end(); ++it) {
        if (!it.value().is_number_integer())
            throw TokenizerError(std::string(where) + ": vocab entry '" + it.key() +
                                 "' must have an integer id");
        entries.emplace_back(it.key(), it.value().get<int64_t>());
    }
    try {
        return Vocabulary(std::move(entries));
    } catch (const TokenizerError& error) {
        throw TokenizerError(std::string(where) + ": " + error.what());
    }
}

std::vector<std::pair<std::string, std::string>> parseMerges(const Json& model,
                                                             std::string_view where) {
    std::vector<std::pair<std::string, std::string>> merges;
    if (!model.contains("merges") || model["merges"].is_null()) return merges;
    const Json& list = model["merges"];
    if (!list.is_array()) throw TokenizerError(std::string(where) + ": \"merges\" must be a list");
    merges.reserve(list.size());
    for (size_t i = 0; i < list.size(); ++i) {
        const Json& merge = list[i];
        const std::string bad = std::string(where) + ": merge " + std::to_string(i) +
                                " must be a string \"left right\" or a pair [\"left\", \"right\"]";
        if (merge.is_string()) {
            const std::string& text = merge.get_ref<const std::string&>();
            const size_t space = text.find(' ');
            if (space == std::string::npos || space == 0 || space + 1 == text.size() ||
                text.find(' ', space + 1) != std::string::npos)
                throw TokenizerError(bad + ", found \"" + text + "\"");
            merges.emplace_back(text.substr(0, space), text.substr(space + 1));
        } else if (merge.is_array() && merge.size() == 2 && merge[0].is_string() &&
                   merge[1].is_string()) {
            merges.emplace_back(merge[0].get<std::string>(), merge[1].get<std::string>());
        } else {
            throw TokenizerError(bad);
        }
    }
    return merges;
}

std::unique_ptr<TokenModel> parseBpe(const Json& model) {
    const std::string where = "model (BPE)";
    BpeOptions options;
    options.unkToken = optionalString(model, "unk_token", where);
    options.continuingSubwordPrefix =
        optionalString(model, "continuing_subword_prefix", where).value_or("");
    options.endOfWordSuffix = optionalString(model, "end_of_word_suffix", where).value_or("");
    options.fuseUnk = optionalBool(model, "fuse_unk", false, where);
    options.byteFallback = optionalBool(model, "byte_fallback", false, where);
    options.ignoreMerges = optionalBool(model, "ignore_merges", false, where);
    // "dropout" only matters for training; encoding uses the deterministic merges.
    Vocabulary vocabulary = parseVocabulary(model, where);
    const auto merges = parseMerges(model, where);
    try {
        return std::make_unique<BpeModel>(std::move(vocabulary), merges, std::move(options));
    } catch (const TokenizerError& error) {
        throw TokenizerError(where + ": " + error.what());
    }
}

std::unique_ptr<TokenModel> parseWordLevel(const Json& model) {
    const std::string where = "model (WordLevel)";
    auto unk = optionalString(model, "unk_token", where);
    Vocabulary vocabulary = parseVocabulary(model, where);
    try {
        return std::make_unique<WordLevelModel>(std::move(vocabulary), std::move(unk));
    } catch (const TokenizerError& error) {
        throw TokenizerError(where + ": " + error.what());
    }
}

std::vector<SpecialTokenRef> specialTokenIds(
    const Json& entry, std::string_view where,
    const std::function<const std::string*(int64_t)>& tokenOf) {
    std::vector<SpecialTokenRef> refs;
    const Json& ids = requireField(entry, "ids", where);
    if (!ids.is_array()) throw TokenizerError(std::string(where) + ": \"ids\" must be a list");
    for (const Json& id : ids) {
        if (!id.is_number_integer())
            throw TokenizerError(std::string(where) + ": \"ids\" must hold integers");
        const std::string* token = tokenOf(id.get<int64_t>());
        if (token == nullptr)
            throw TokenizerError(std::string(where) + ": id " + std::to_string(id.get<int64_t>()) +
                                 " is not in the vocabulary");
        refs.push_back({id.get<int64_t>(), *token});
    }
    return refs;
}

PostTemplate parseTemplate(const Json& value,
                           const std::function<const std::string*(int64_t)>& tokenOf) {
    const std::string where = "post_processor (TemplateProcessing)";
    const Json& single = requireField(value, "single", where);
    if (!single.is_array()) throw TokenizerError(where + ": \"single\" must be a list");
    const Json& specials = requireField(value, "special_tokens", where);
    requireObject(specials, where + " special_tokens");
    PostTemplate result;
    bool seenSequence = false;
    for (const Json& item : single) {
        requireObject(item, where + " single");
        if (item.contains("Sequence")) {
            const std::string id = requireString(item["Sequence"], "id", where + " Sequence");
            if (id != "A" || seenSequence)
                throw TokenizerError(where + ": the single template must hold sequence A once");
            seenSequence = true;
        } else if (item.contains("SpecialToken")) {
            const std::string name =
                requireString(item["SpecialToken"], "id", where + " SpecialToken");
            if (!specials.contains(name))
                throw TokenizerError(where + ": special token '" + name +
                                     "' is not in \"special_tokens\"");
            auto refs =
                specialTokenIds(specials[name], where + " special token '" + name + "'", tokenOf);
            auto& target = seenSequence ? result.suffix : result.prefix;
            target.insert(target.end(), refs.begin(), refs.end());
        } else {
            throw TokenizerError(where + ": template items must be Sequence or SpecialToken");
        }
    }
    if (!seenSequence) throw TokenizerError(where + ": the single template has no sequence A");
    return result;
}

SpecialTokenRef pairField(const Json& value, std::string_view key, std::string_view where,
                          const std::function<const std::string*(int64_t)>& tokenOf) {
    const Json& pair = requireField(value, key, where);
    if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() ||
        !pair[1].is_number_integer())
        throw TokenizerError(std::string(where) + ": \"" + std::string(key) +
                             "\" must be [token, id]");
    const int64_t id = pair[1].get<int64_t>();
    if (tokenOf(id) == nullptr)
        throw TokenizerError(std::string(where) + ": id " + std::to_string(id) +
                             " is not in the vocabulary");
    return {id, pair[0].get<std::string>()};
}

}  // namespace

std::unique_ptr<TokenModel> parseModel(const Json& value) {
    requireObject(value, "model");
    std::string type;
    if (value.contains("type")) {
        type = typeOf(value, "model");
    } else if (value.contains("merges")) {
        type = "BPE";  // older files leave the type out
    } else {
        throw TokenizerError("model: missing \"type\"");
    }
    if (type == "BPE") return parseBpe(value);
    if (type == "WordLevel") return parseWordLevel(value);
    throw TokenizerError("unsupported model type '" + type + "' (supported: BPE, WordLevel)");
}

AddedTokens parseAddedTokens(const Json& value) {
    std::vector<AddedToken> tokens;
    if (value.is_null()) return AddedTokens(std::move(tokens));
    if (!value.is_array()) throw TokenizerError("added_tokens: must be a list");
    for (size_t i = 0; i < value.size(); ++i) {
        const std::string where = "added_tokens[" + std::to_string(i) + "]";
        AddedToken token;
        token.id = requireInteger(value[i], "id", where);
        token.content = requireString(value[i], "content", where);
        if (token.id < 0) throw TokenizerError(where + ": negative id");
        if (token.id >= (int64_t{1} << 24)) throw TokenizerError(where + ": id is too large");
        token.special = optionalBool(value[i], "special", false, where);
        token.lstrip = optionalBool(value[i], "lstrip", false, where);
        token.rstrip = optionalBool(value[i], "rstrip", false, where);
        token.singleWord = optionalBool(value[i], "single_word", false, where);
        tokens.push_back(std::move(token));
    }
    return AddedTokens(std::move(tokens));
}

PostTemplate parsePostProcessor(const Json& value,
                                const std::function<const std::string*(int64_t)>& tokenOf,
                                int depth) {
    if (depth > 32) throw TokenizerError("post_processor: Sequences nested too deeply");
    if (value.is_null()) return {};
    const std::string type = typeOf(value, "post_processor");
    const std::string where = "post_processor (" + type + ")";
    if (type == "ByteLevel") return {};  // adds no tokens; offset trimming is not needed here
    if (type == "TemplateProcessing") return parseTemplate(value, tokenOf);
    if (type == "RobertaProcessing" || type == "BertProcessing")
        return {{pairField(value, "cls", where, tokenOf)},
                {pairField(value, "sep", where, tokenOf)}};
    if (type == "Sequence") {
        const Json& steps = requireField(value, "processors", where);
        if (!steps.is_array()) throw TokenizerError(where + ": \"processors\" must be a list");
        // Each processor wraps the result of the previous one.
        PostTemplate combined;
        for (const Json& step : steps) {
            PostTemplate inner = parsePostProcessor(step, tokenOf, depth + 1);
            inner.prefix.insert(inner.prefix.end(), combined.prefix.begin(), combined.prefix.end());
            combined.prefix = std::move(inner.prefix);
            combined.suffix.insert(combined.suffix.end(), inner.suffix.begin(), inner.suffix.end());
        }
        return combined;
    }
    throw TokenizerError("unsupported post_processor type '" + type +
                         "' (supported: ByteLevel, TemplateProcessing, RobertaProcessing, "
                         "BertProcessing, Sequence)");
}

}  // namespace attnscope::capture::detail
