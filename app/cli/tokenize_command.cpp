#include "tokenize_command.h"

#include <iostream>
#include <iterator>
#include <optional>

#include "attnscope/capture/tokenizer.h"

namespace attnscope::app {

namespace {

constexpr const char* kUsage =
    "usage: attnscope-cli tokenize (--model DIR | --tokenizer FILE) --text TEXT [--json] "
    "[--no-special-tokens] [--split-special-tokens]\n"
    "  --model DIR          DIR/tokenizer.json, else DIR/vocab.json + DIR/merges.txt\n"
    "  --tokenizer FILE     a Hugging Face tokenizer.json\n"
    "  --text TEXT          the text to tokenize; '-' reads standard input\n"
    "  --json               print a JSON list of {id, text, start, end} (character offsets)\n"
    "  --no-special-tokens  do not add BOS/EOS\n"
    "  --split-special-tokens\n"
    "                       tokenize special-token strings in the text (\"<|endoftext|>\") as\n"
    "                       plain text, as Hugging Face's split_special_tokens=True does\n";

struct Options {
    std::optional<std::string> model;
    std::optional<std::string> tokenizer;
    std::optional<std::string> text;
    bool json = false;
    bool addSpecialTokens = true;
    bool splitSpecialTokens = false;
    bool help = false;
};

// Not cli_args.h's UsageError: this command prints its own usage with the message.
struct TokenizeUsageError {
    std::string message;
};

Options parse(const std::vector<std::string>& args) {
    Options options;
    for (size_t i = 0; i < args.size(); ++i) {
        std::string name = args[i];
        std::optional<std::string> inlineValue;
        if (const size_t equals = name.find('=');
            name.rfind("--", 0) == 0 && equals != std::string::npos) {
            inlineValue = name.substr(equals + 1);
            name = name.substr(0, equals);
        }
        const auto value = [&]() -> std::string {
            if (inlineValue) return *inlineValue;
            if (i + 1 >= args.size()) throw TokenizeUsageError{name + " needs a value"};
            return args[++i];
        };
        const auto flag = [&] {
            if (inlineValue) throw TokenizeUsageError{name + " takes no value"};
        };
        if (name == "--model") {
            options.model = value();
        } else if (name == "--tokenizer") {
            options.tokenizer = value();
        } else if (name == "--text") {
            options.text = value();
        } else if (name == "--json") {
            flag();
            options.json = true;
        } else if (name == "--no-special-tokens") {
            flag();
            options.addSpecialTokens = false;
        } else if (name == "--split-special-tokens") {
            flag();
            options.splitSpecialTokens = true;
        } else if (name == "--help" || name == "-h") {
            options.help = true;
        } else {
            throw TokenizeUsageError{"unknown argument '" + args[i] + "'"};
        }
    }
    if (options.help) return options;
    if (options.model.has_value() == options.tokenizer.has_value())
        throw TokenizeUsageError{"give exactly one of --model DIR and --tokenizer FILE"};
    if (!options.text)
        throw TokenizeUsageError{"--text TEXT is required ('-' reads standard input)"};
    return options;
}

}  // namespace

int runTokenizeCommand(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
                       std::ostream& err) {
    Options options;
    try {
        options = parse(args);
    } catch (const TokenizeUsageError& error) {
        err << "error: " << error.message << '\n' << kUsage;
        return 2;
    }
    if (options.help) {
        out << kUsage;
        return 0;
    }
    std::string text = *options.text;
    if (text == "-")
        text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    try {
        const auto tokenizer = options.model
                                   ? capture::Tokenizer::fromModelFolder(*options.model)
                                   : capture::Tokenizer::fromTokenizerJson(*options.tokenizer);
        capture::EncodeOptions encode;
        encode.addSpecialTokens = options.addSpecialTokens;
        encode.parseSpecialTokens = !options.splitSpecialTokens;
        const capture::Encoding encoding = tokenizer->encode(text, encode);
        out << capture::formatTokenization(*tokenizer, encoding, text, options.json);
    } catch (const capture::TokenizerError& error) {
        err << "error: " << error.what() << '\n';
        return 1;
    }
    return 0;
}

}  // namespace attnscope::app
