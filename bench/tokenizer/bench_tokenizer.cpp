// Encoding throughput of the tokenizer on 1 MB of mixed text (English prose, code, numbers,
// accented Latin, Greek, CJK, emoji, runs of whitespace), with the GPT-2 vocabulary by default.
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "attnscope/capture/tokenizer.h"

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string mixedText(size_t bytes) {
    const std::vector<std::string> words = {"the",
                                            "attention",
                                            "head",
                                            "copies",
                                            "previous",
                                            "token",
                                            "induction",
                                            "circuit",
                                            "residual",
                                            "stream",
                                            "layer",
                                            "norm",
                                            "of",
                                            "and",
                                            "to",
                                            "in",
                                            "is",
                                            "that",
                                            "for",
                                            "Transformer",
                                            "QK",
                                            "OV",
                                            "softmax",
                                            "1234",
                                            "3.14159",
                                            "0x1F",
                                            "2024-05-17",
                                            "int main() { return 0; }",
                                            "x += y * 2;",
                                            "self.weight",
                                            "caf\xC3\xA9",
                                            "na\xC3\xAFve",
                                            "Z\xC3\xBCrich",
                                            "\xCE\xB1\xCF\x80\xCF\x8C",
                                            "\xE4\xB8\xAD\xE6\x96\x87",
                                            "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E",
                                            "\xF0\x9F\x99\x82",
                                            "\xF0\x9F\x8E\x89",
                                            "don't",
                                            "it's",
                                            "(see",
                                            "below)",
                                            "--",
                                            "...",
                                            "\"quoted\"",
                                            "#include"};
    const std::vector<std::string> separators = {" ",  " ",  " ",    " ",  ", ",
                                                 ". ", "\n", "\n\n", "  ", "\t"};
    std::mt19937 random(42);
    std::string text;
    text.reserve(bytes + 64);
    while (text.size() < bytes) {
        text += words[random() % words.size()];
        text += separators[random() % separators.size()];
    }
    // Cut at a character boundary.
    size_t end = bytes;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80)
        --end;
    text.resize(end);
    return text;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string path = argc > 1 ? argv[1] : ATTNSCOPE_BENCH_TOKENIZER;
    try {
        auto start = Clock::now();
        const auto tokenizer = attnscope::capture::Tokenizer::fromTokenizerJson(path);
        std::printf("tokenizer: %s\nload: %.3f s\n", path.c_str(), secondsSince(start));

        const std::string text = mixedText(1 << 20);
        for (const char* pass : {"cold (empty word cache)", "warm"}) {
            start = Clock::now();
            const auto encoding = tokenizer->encode(text, false);
            const double seconds = secondsSince(start);
            std::printf("1 MB %s: %zu tokens in %.3f s = %.2f M tokens/s, %.1f MB/s\n", pass,
                        encoding.ids.size(), seconds, encoding.ids.size() / seconds / 1e6,
                        text.size() / seconds / 1e6);
        }
        const std::string small = text.substr(0, 100 * 1000);
        start = Clock::now();
        const auto encoding = tokenizer->encode(small.substr(0, small.find_last_of(' ')), false);
        std::printf("100 kB: %zu tokens in %.1f ms\n", encoding.ids.size(),
                    secondsSince(start) * 1e3);
        start = Clock::now();
        const std::string decoded = tokenizer->decode(tokenizer->encode(text, false).ids);
        std::printf("encode + decode round trip of 1 MB: %s in %.3f s\n",
                    decoded == text ? "identical" : "DIFFERENT", secondsSince(start));
        return decoded == text ? 0 : 1;
    } catch (const std::exception& error) {
        std::fprintf(stderr, "error: %s\n", error.what());
        return 1;
    }
}
