#pragma once
// Builds normalizers, pre-tokenizers, decoders, models, added tokens and post-processors from
// their tokenizer.json objects. Errors are TokenizerErrors naming the component and field; the
// loader adds the file name.
#include <functional>
#include <memory>

#include "json_fields.h"
#include "tokenizer_pipeline.h"

namespace attnscope::capture::detail {

std::unique_ptr<Normalizer> parseNormalizer(const Json& value, DisplayStyle& display,
                                            int depth = 0);
std::unique_ptr<PreTokenizer> parsePreTokenizer(const Json& value, DisplayStyle& display,
                                                int depth = 0);
std::unique_ptr<Decoder> parseDecoder(const Json& value, DisplayStyle& display, int depth = 0);

std::unique_ptr<TokenModel> parseModel(const Json& value);
AddedTokens parseAddedTokens(const Json& value);
/// `tokenOf` says whether an id exists, so that templates naming unknown ids are rejected.
PostTemplate parsePostProcessor(const Json& value,
                                const std::function<const std::string*(int64_t)>& tokenOf,
                                int depth = 0);

/// A {"String": s} or {"Regex": r} pattern as a regex.
std::unique_ptr<Regex> parsePattern(const Json& value, std::string_view where);

}  // namespace attnscope::capture::detail
