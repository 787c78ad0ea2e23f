#include "component_json.h"

#include "attnscope/capture/tokenizer_error.h"
#include "utf8.h"

namespace attnscope::capture::detail {

namespace {

// tokenizer.json nests Sequences only a few levels deep; a hostile file must not exhaust the
// stack.
constexpr int kMaxDepth = 32;

void checkDepth(int depth, std::string_view where) {
    if (depth > kMaxDepth)
        throw TokenizerError(std::string(where) + ": Sequences nested too deeply");
}

const Json& requireArray(const Json& object, std::string_view key, std::string_view where) {
    const Json& field = requireField(object, key, where);
    if (!field.is_array())
        throw TokenizerError(std::string(where) + ": \"" + std::string(key) +
                             "\" must be a list, found " + field.type_name());
    return field;
}

std::unique_ptr<Regex> makeRegex(const std::string& pattern, std::string_view where) {
    try {
        return std::make_unique<Regex>(pattern);
    } catch (const TokenizerError& error) {
        throw TokenizerError(std::string(where) + ": " + error.what());
    }
}

std::string replacementChar(const Json& object, std::string_view where) {
    const std::string replacement =
        optionalString(object, "replacement", where).value_or("\xE2\x96\x81");
    size_t pos = 0;
    if (replacement.empty() || (decodeUtf8(replacement, pos), pos != replacement.size()))
        throw TokenizerError(std::string(where) + ": \"replacement\" must be one character");
    return replacement;
}

PrependScheme prependScheme(const Json& object, std::string_view where) {
    if (const auto scheme = optionalString(object, "prepend_scheme", where)) {
        if (*scheme == "always") return PrependScheme::Always;
        if (*scheme == "first") return PrependScheme::First;
        if (*scheme == "never") return PrependScheme::Never;
        throw TokenizerError(std::string(where) + ": unknown prepend_scheme '" + *scheme + "'");
    }
    // Older files say add_prefix_space instead; both default to prepending.
    return optionalBool(object, "add_prefix_space", true, where) ? PrependScheme::Always
                                                                 : PrependScheme::Never;
}

SplitBehavior splitBehavior(const Json& object, std::string_view where, SplitBehavior fallback) {
    const auto name = optionalString(object, "behavior", where);
    if (!name) return fallback;
    if (*name == "Removed") return SplitBehavior::Removed;
    if (*name == "Isolated") return SplitBehavior::Isolated;
    if (*name == "MergedWithPrevious") return SplitBehavior::MergedWithPrevious;
    if (*name == "MergedWithNext") return SplitBehavior::MergedWithNext;
    if (*name == "Contiguous") return SplitBehavior::Contiguous;
    throw TokenizerError(std::string(where) + ": unknown behavior '" + *name + "'");
}

std::unique_ptr<PreTokenizer> fixedSplit(const char* pattern, SplitBehavior behavior, bool invert) {
    return std::make_unique<SplitPreTokenizer>(std::make_unique<Regex>(pattern), behavior, invert);
}

// Unicode White_Space, as the reference's char::is_whitespace.
constexpr const char* kWhitespaceRun =
    R"([\t-\r \x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}]+)";
constexpr const char* kPunctuation = R"([\p{P}!-/:-@\[-`{-~])";

}  // namespace

std::unique_ptr<Regex> parsePattern(const Json& value, std::string_view where) {
    const std::string patternWhere = std::string(where) + " pattern";
    requireObject(value, patternWhere);
    if (value.contains("String"))
        return makeRegex(Regex::escape(requireString(value, "String", patternWhere)), where);
    if (value.contains("Regex"))
        return makeRegex(requireString(value, "Regex", patternWhere), where);
    throw TokenizerError(patternWhere + ": expected {\"String\": ...} or {\"Regex\": ...}");
}

std::unique_ptr<Normalizer> parseNormalizer(const Json& value, DisplayStyle& display, int depth) {
    checkDepth(depth, "normalizer");
    if (value.is_null()) return nullptr;
    const std::string type = typeOf(value, "normalizer");
    const std::string where = "normalizer (" + type + ")";
    if (type == "Sequence") {
        std::vector<std::unique_ptr<Normalizer>> steps;
        for (const Json& step : requireArray(value, "normalizers", where))
            if (auto normalizer = parseNormalizer(step, display, depth + 1))
                steps.push_back(std::move(normalizer));
        return std::make_unique<SequenceNormalizer>(std::move(steps));
    }
    if (type == "Prepend")
        return std::make_unique<PrependNormalizer>(requireString(value, "prepend", where));
    if (type == "Replace") {
        std::string content = requireString(value, "content", where);
        const Json& pattern = requireField(value, "pattern", where);
        // Llama-2 style files turn spaces into "▁" here instead of in a pre-tokenizer.
        if (pattern.is_object() && pattern.value("String", std::string()) == " " &&
            !content.empty())
            display.spaceMarker = content;
        return std::make_unique<ReplaceNormalizer>(parsePattern(pattern, where),
                                                   std::move(content));
    }
    if (type == "Strip")
        return std::make_unique<StripNormalizer>(optionalBool(value, "strip_left", true, where),
                                                 optionalBool(value, "strip_right", true, where));
    if (type == "Lowercase") return std::make_unique<LowercaseNormalizer>();
    if (type == "NFC" || type == "NFD" || type == "NFKC" || type == "NFKD")
        return std::make_unique<IdentityNormalizer>();
    throw TokenizerError("unsupported normalizer type '" + type +
                         "' (supported: Sequence, Prepend, Replace, Strip, Lowercase, NFC, NFD, "
                         "NFKC, NFKD)");
}

std::unique_ptr<PreTokenizer> parsePreTokenizer(const Json& value, DisplayStyle& display,
                                                int depth) {
    checkDepth(depth, "pre_tokenizer");
    if (value.is_null()) return nullptr;
    const std::string type = typeOf(value, "pre_tokenizer");
    const std::string where = "pre_tokenizer (" + type + ")";
    if (type == "Sequence") {
        std::vector<std::unique_ptr<PreTokenizer>> steps;
        for (const Json& step : requireArray(value, "pretokenizers", where))
            if (auto preTokenizer = parsePreTokenizer(step, display, depth + 1))
                steps.push_back(std::move(preTokenizer));
        return std::make_unique<SequencePreTokenizer>(std::move(steps));
    }
    if (type == "ByteLevel") {
        display.byteLevel = true;
        return std::make_unique<ByteLevelPreTokenizer>(
            optionalBool(value, "add_prefix_space", true, where),
            optionalBool(value, "use_regex", true, where));
    }
    if (type == "Split")
        return std::make_unique<SplitPreTokenizer>(
            parsePattern(requireField(value, "pattern", where), where),
            splitBehavior(value, where, SplitBehavior::Removed),
            optionalBool(value, "invert", false, where));
    if (type == "Metaspace") {
        std::string replacement = replacementChar(value, where);
        display.spaceMarker = replacement;
        return std::make_unique<MetaspacePreTokenizer>(std::move(replacement),
                                                       prependScheme(value, where),
                                                       optionalBool(value, "split", true, where));
    }
    if (type == "Whitespace") return fixedSplit(R"(\w+|[^\w\s]+)", SplitBehavior::Removed, true);
    if (type == "WhitespaceSplit") return fixedSplit(kWhitespaceRun, SplitBehavior::Removed, false);
    if (type == "Digits")
        return fixedSplit(
            optionalBool(value, "individual_digits", false, where) ? R"(\p{N})" : R"(\p{N}+)",
            SplitBehavior::Isolated, false);
    if (type == "Punctuation")
        return fixedSplit(kPunctuation, splitBehavior(value, where, SplitBehavior::Isolated),
                          false);
    if (type == "BertPreTokenizer") {
        std::vector<std::unique_ptr<PreTokenizer>> steps;
        steps.push_back(fixedSplit(kWhitespaceRun, SplitBehavior::Removed, false));
        steps.push_back(fixedSplit(kPunctuation, SplitBehavior::Isolated, false));
        return std::make_unique<SequencePreTokenizer>(std::move(steps));
    }
    throw TokenizerError("unsupported pre_tokenizer type '" + type +
                         "' (supported: Sequence, ByteLevel, Split, Metaspace, Whitespace, "
                         "WhitespaceSplit, Digits, Punctuation, BertPreTokenizer)");
}

std::unique_ptr<Decoder> parseDecoder(const Json& value, DisplayStyle& display, int depth) {
    checkDepth(depth, "decoder");
    if (value.is_null()) return nullptr;
    const std::string type = typeOf(value, "decoder");
    const std::string where = "decoder (" + type + ")";
    if (type == "Sequence") {
        std::vector<std::unique_ptr<Decoder>> steps;
        for (const Json& step : requireArray(value, "decoders", where))
            if (auto decoder = parseDecoder(step, display, depth + 1))
                steps.push_back(std::move(decoder));
        return std::make_unique<SequenceDecoder>(std::move(steps));
    }
    if (type == "ByteLevel") {
        display.byteLevel = true;
        return std::make_unique<ByteLevelDecoder>();
    }
    if (type == "Metaspace") {
        std::string replacement = replacementChar(value, where);
        display.spaceMarker = replacement;
        return std::make_unique<MetaspaceDecoder>(std::move(replacement),
                                                  prependScheme(value, where));
    }
    if (type == "Replace")
        return std::make_unique<ReplaceDecoder>(
            parsePattern(requireField(value, "pattern", where), where),
            requireString(value, "content", where));
    if (type == "ByteFallback") return std::make_unique<ByteFallbackDecoder>();
    if (type == "Fuse") return std::make_unique<FuseDecoder>();
    if (type == "Strip") {
        const int64_t start = optionalInteger(value, "start", 0, where);
        const int64_t stop = optionalInteger(value, "stop", 0, where);
        if (start < 0 || stop < 0)
            throw TokenizerError(where + ": \"start\" and \"stop\" must not be negative");
        return std::make_unique<StripDecoder>(requireString(value, "content", where),
                                              static_cast<size_t>(start),
                                              static_cast<size_t>(stop));
    }
    if (type == "BPEDecoder")
        return std::make_unique<BpeSuffixDecoder>(
            optionalString(value, "suffix", where).value_or("</w>"));
    throw TokenizerError("unsupported decoder type '" + type +
                         "' (supported: Sequence, ByteLevel, Metaspace, Replace, ByteFallback, "
                         "Fuse, Strip, BPEDecoder)");
}

}  // namespace attnscope::capture::detail
