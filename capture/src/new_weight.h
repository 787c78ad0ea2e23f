#pragma once
// Weight allocation shared by the model's module constructors.
#include <ATen/ATen.h>

#include "attnscope/capture/weight_init.h"

namespace attnscope::capture {

/// A weight of `shape` filled with `value`, or left unwritten (untouched pages cost no memory)
/// when the loader is about to replace it.
inline at::Tensor newWeight(at::IntArrayRef shape, const at::TensorOptions& options,
                            WeightInit init, double value = 0.0) {
    if (init == WeightInit::Uninitialised) return at::empty(shape, options);
    return at::full(shape, value, options);
}

}  // namespace attnscope::capture
