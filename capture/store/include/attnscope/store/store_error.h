#pragma once
#include <stdexcept>

namespace attnscope::store {

/// Thrown by every store operation that fails: bad input, an unreadable or malformed file,
/// an I/O error. The message names the file and the problem.
class StoreError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace attnscope::store
