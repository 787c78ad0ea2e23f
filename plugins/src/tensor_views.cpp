#include "tensor_views.h"

#include <vector>

namespace py = pybind11;

namespace attnscope::plugins {

py::array readOnlyArray(const at::Tensor& tensor) {
    at::Tensor t = tensor;
    if (!t.device().is_cpu() || t.scalar_type() != at::kFloat || !t.is_contiguous())
        t = t.to(at::kCPU, at::kFloat).contiguous();
    std::vector<py::ssize_t> shape(t.sizes().begin(), t.sizes().end());
    std::vector<py::ssize_t> strides;
    for (int64_t s : t.strides())
        strides.push_back(static_cast<py::ssize_t>(s * static_cast<int64_t>(sizeof(float))));
    float* data = t.data_ptr<float>();
    py::capsule owner(new at::Tensor(std::move(t)),
                      [](void* p) { delete static_cast<at::Tensor*>(p); });
    py::array array(py::dtype::of<float>(), shape, strides, data, owner);
    // With a capsule as its base numpy cannot make the array writeable again.
    array.attr("setflags")(py::arg("write") = false);
    return array;
}

}  // namespace attnscope::plugins
