// formatTokenization: the output of `attnscope-cli tokenize`.
#include <nlohmann/json.hpp>
#include <sstream>

#include "attnscope/capture/tokenizer.h"

namespace attnscope::capture {

std::string formatTokenization(const Tokenizer& tokenizer, const Encoding& encoding,
                               std::string_view /*text*/, bool json) {
    const size_t count = encoding.ids.size();
    if (json) {
        nlohmann::ordered_json list = nlohmann::ordered_json::array();
        for (size_t i = 0; i < count; ++i) {
            list.push_back({{"id", encoding.ids[i]},
                            {"text", tokenizer.displayString(encoding.ids[i])},
                            {"start", encoding.charSpans[i].first},
                            {"end", encoding.charSpans[i].second}});
        }
        // displayString is valid UTF-8 by construction; replacing is only a safety net.
        return list.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
    }
    std::ostringstream out;
    out << count << (count == 1 ? " token\n" : " tokens\n");
    out << "index\tid\tstart\tend\ttoken\n";
    for (size_t i = 0; i < count; ++i) {
        out << i << '\t' << encoding.ids[i] << '\t' << encoding.charSpans[i].first << '\t'
            << encoding.charSpans[i].second << '\t' << '"'
            << tokenizer.displayString(encoding.ids[i]) << '"' << '\n';
    }
    return out.str();
}

}  // namespace attnscope::capture
