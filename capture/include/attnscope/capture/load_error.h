#pragma once
#include <stdexcept>
#include <string>

namespace attnscope::capture {

/// Thrown for anything wrong with a model folder: missing or malformed files, tensors that
/// disagree with the config, unsupported architectures. The message names the file and field.
class ModelLoadError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Thrown for bad run-time input: token ids out of range, prompts longer than the context,
/// interventions that name heads or hooks the model does not have.
class InputError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace attnscope::capture
