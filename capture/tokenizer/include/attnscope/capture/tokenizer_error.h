#pragma once
#include <stdexcept>

namespace attnscope::capture {

/// Thrown for every tokenizer failure: unreadable or malformed files (the message names the
/// file and the problem), text that is not valid UTF-8, ids outside the vocabulary.
class TokenizerError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace attnscope::capture
