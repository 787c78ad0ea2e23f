#pragma once
// Captured tensors as read-only numpy arrays. Call with the GIL held.
#include <ATen/ATen.h>
#include <pybind11/numpy.h>

namespace attnscope::plugins {

/// A read-only float32 array over `tensor`. Zero-copy when the tensor is a contiguous float32
/// CPU tensor: a capsule owning a reference to the tensor is the array's base, so the data
/// lives as long as the array. Anything else (another dtype, a device, strides) is copied once.
pybind11::array readOnlyArray(const at::Tensor& tensor);

}  // namespace attnscope::plugins
