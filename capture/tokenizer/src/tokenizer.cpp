#include "attnscope/capture/tokenizer.h"

#include "tokenizer_pipeline.h"
#include "utf8.h"

namespace attnscope::capture {

using detail::AlignedText;
using detail::ModelToken;
using detail::OriginSpan;
using detail::PieceRange;
using detail::PreTokenized;

namespace detail {

const std::string* TokenizerPipeline::tokenOf(int64_t id) const {
    if (const AddedToken* added = addedTokens.byId(id)) return &added->content;
    return model->vocabulary().tokenOf(id);
}

void inferBosEos(TokenizerPipeline& pipeline, std::optional<int64_t> configBos,
                 std::optional<int64_t> configEos) {
    if (!pipeline.bosId && !pipeline.postTemplate.prefix.empty())
        pipeline.bosId = pipeline.postTemplate.prefix.front().id;
    if (!pipeline.eosId && !pipeline.postTemplate.suffix.empty())
        pipeline.eosId = pipeline.postTemplate.suffix.back().id;
    if (!pipeline.bosId) pipeline.bosId = configBos;
    if (!pipeline.eosId) pipeline.eosId = configEos;
    const auto firstSpecial = [&](std::initializer_list<const char*> names) {
        std::optional<int64_t> id;
        for (const char* name : names) {
            const AddedToken* token = pipeline.addedTokens.byContent(name);
            if (token != nullptr && token->special) return std::optional<int64_t>(token->id);
        }
        return id;
    };
    if (!pipeline.bosId)
        pipeline.bosId = firstSpecial({"<s>", "<|begin_of_text|>", "<bos>", "<|endoftext|>"});
    if (!pipeline.eosId)
        pipeline.eosId = firstSpecial({"</s>", "<|end_of_text|>", "<eos>", "<|endoftext|>"});
}

}  // namespace detail

namespace {

// Tokenizes one stretch of text that contains no added token.
void encodeSegment(const detail::TokenizerPipeline& pipeline, std::string_view text, size_t begin,
                   size_t end, Encoding& encoding) {
    if (begin == end) return;
    PreTokenized words;
    words.buffer = AlignedText::identity(text.substr(begin, end - begin), begin);
    if (pipeline.normalizer) pipeline.normalizer->normalize(words.buffer);
    if (words.buffer.text.empty()) return;
    words.pieces.push_back({0, words.buffer.text.size()});
    if (pipeline.preTokenizer) pipeline.preTokenizer->preTokenize(words);

    std::vector<ModelToken> tokens;
    for (const PieceRange& piece : words.pieces) {
        tokens.clear();
        pipeline.model->tokenize(words.pieceText(piece), tokens);
        for (const ModelToken& token : tokens) {
            const OriginSpan span =
                words.buffer.originOf(piece.begin + token.begin, piece.begin + token.end);
            encoding.ids.push_back(token.id);
            encoding.tokens.push_back(*pipeline.tokenOf(token.id));
            encoding.byteSpans.emplace_back(span.begin, span.end);
        }
    }
}

void appendSpecial(const detail::SpecialTokenRef& special, size_t at, Encoding& encoding) {
    encoding.ids.push_back(special.id);
    encoding.tokens.push_back(special.token);
    encoding.byteSpans.emplace_back(at, at);
}

// Code point offsets from byte offsets: a span starting inside a character starts at that
// character; one ending inside a character ends after it.
void fillCharSpans(std::string_view text, Encoding& encoding) {
    std::vector<uint32_t> charsBefore(text.size() + 1, 0);
    uint32_t count = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        charsBefore[i] = count;
        if (!detail::isContinuationByte(static_cast<unsigned char>(text[i]))) ++count;
    }
    charsBefore[text.size()] = count;
    encoding.charSpans.reserve(encoding.byteSpans.size());
    for (const auto& [begin, end] : encoding.byteSpans) {
        size_t charBegin = charsBefore[begin];
        if (begin < text.size() &&
            detail::isContinuationByte(static_cast<unsigned char>(text[begin])))
            charBegin -= 1;
        // charsBefore counts the lead byte of a character cut at `end`, so it is included.
        const size_t charEnd = end > begin ? charsBefore[end] : charBegin;
        encoding.charSpans.emplace_back(charBegin, charEnd);
    }
}

}  // namespace

Tokenizer::Tokenizer(std::unique_ptr<detail::TokenizerPipeline> pipeline)
    : m_pipeline(std::move(pipeline)) {}

Tokenizer::~Tokenizer() = default;

void Tokenizer::setSplitSpecialTokens(bool split) {
    m_pipeline->splitSpecialTokens = split;
}

bool Tokenizer::splitSpecialTokens() const {
    return m_pipeline->splitSpecialTokens;
}

Encoding Tokenizer::encode(std::string_view text, bool addSpecialTokens) const {
    EncodeOptions options;
    options.addSpecialTokens = addSpecialTokens;
    return encode(text, options);
}

Encoding Tokenizer::encode(std::string_view text, const EncodeOptions& options) const {
    if (const auto bad = detail::findInvalidUtf8(text))
        throw TokenizerError("text is not valid UTF-8 (byte " + std::to_string(*bad) + ")");
    if (text.size() >= UINT32_MAX) throw TokenizerError("text is too long to tokenize (>= 4 GiB)");

    Encoding encoding;
    encoding.ids.reserve(text.size() / 3 + 4);
    encoding.tokens.reserve(text.size() / 3 + 4);
    encoding.byteSpans.reserve(text.size() / 3 + 4);
    if (options.addSpecialTokens)
        for (const auto& special : m_pipeline->postTemplate.prefix)
            appendSpecial(special, 0, encoding);

    std::vector<detail::AddedTokens::Match> matches;
    m_pipeline->addedTokens.findAll(
        text, options.parseSpecialTokens && !m_pipeline->splitSpecialTokens, matches);
    size_t pos = 0;
    for (const auto& match : matches) {
        encodeSegment(*m_pipeline, text, pos, match.begin, encoding);
        encoding.ids.push_back(match.token->id);
        encoding.tokens.push_back(match.token->content);
        encoding.byteSpans.emplace_back(match.contentBegin, match.contentEnd);
        pos = match.end;
    }
    encodeSegment(*m_pipeline, text, pos, text.size(), encoding);

    if (options.addSpecialTokens)
        for (const auto& special : m_pipeline->postTemplate.suffix)
            appendSpecial(special, text.size(), encoding);
    fillCharSpans(text, encoding);
    return encoding;
}

std::string Tokenizer::decode(const std::vector<int64_t>& ids, bool skipSpecialTokens) const {
    std::vector<std::string> tokens;
    tokens.reserve(ids.size());
    for (const int64_t id : ids) {
        if (skipSpecialTokens && isSpecialToken(id)) continue;
        tokens.push_back(idToToken(id));
    }
    std::string text;
    if (m_pipeline->decoder) {
        m_pipeline->decoder->decode(tokens);
        for (const std::string& piece : tokens)
            text += piece;
    } else {
        for (size_t i = 0; i < tokens.size(); ++i) {
            if (i > 0) text += ' ';
            text += tokens[i];
        }
    }
    return detail::toValidUtf8(text);
}

std::string Tokenizer::idToToken(int64_t id) const {
    const std::string* token = m_pipeline->tokenOf(id);
    if (token == nullptr)
        throw TokenizerError("token id " + std::to_string(id) + " is not in the vocabulary (size " +
                             std::to_string(vocabSize()) + ")");
    return *token;
}

std::optional<int64_t> Tokenizer::tokenToId(std::string_view token) const {
    if (const auto* added = m_pipeline->addedTokens.byContent(token)) return added->id;
    if (const auto id = m_pipeline->model->vocabulary().find(token)) return *id;
    return std::nullopt;
}

int64_t Tokenizer::vocabSize() const {
    int64_t size = m_pipeline->model->vocabulary().size();
    for (const auto& added : m_pipeline->addedTokens.all())
        size = std::max(size, added.id + 1);
    return size;
}

std::optional<int64_t> Tokenizer::bosId() const {
    return m_pipeline->bosId;
}

std::optional<int64_t> Tokenizer::eosId() const {
    return m_pipeline->eosId;
}

bool Tokenizer::isSpecialToken(int64_t id) const {
    const auto* added = m_pipeline->addedTokens.byId(id);
    return added != nullptr && added->special;
}

}  // namespace attnscope::capture
