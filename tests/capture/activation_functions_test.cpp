// The vectorised tanh-GELU against LibTorch's at::gelu(x, "tanh") over the whole float range that
// matters, and applyActivation's choice between it and the differentiable operator.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>

#include "attnscope/capture/activation_functions.h"

namespace attnscope::capture {
namespace {

TEST(GeluTanh, MatchesTheDefinitionAndLibTorchAcrossTheRange) {
    // Dense over [-30, 30] (both exp branches, the tails where GELU is x or 0) and a wide normal
    // sample, with lengths that leave remainders for every vector width.
    for (const at::Tensor& x : {at::linspace(-30, 30, 600'001), at::randn({100'003}) * 4}) {
        at::Tensor y = x.clone();
        geluTanhInPlace(y);
        // The definition in double precision, in its cancellation-free form
        // 0.5·x·(1 + tanh(u)) = x / (1 + exp(-2u)). Two float ulp of error in u move exp(-2u)
        // by 2|u| times that, so below zero, where the result is x·exp(2u)/(1 + exp(2u)), the
        // bound grows with |u|; the exp, the product and the quotient add four ulp.
        const at::Tensor xd = x.to(at::kDouble);
        const at::Tensor u = 0.7978845608028654 * (xd + 0.044715 * xd.pow(3));
        const at::Tensor exact = xd / (1 + (-2 * u).exp());
        const at::Tensor error = (y.to(at::kDouble) - exact).abs();
        const at::Tensor allowed =
            exact.abs() * 1.2e-7 * (4 + 2 * 2 * at::where(u < 0, -u, at::zeros_like(u))) + 1e-30;
        EXPECT_TRUE((error <= allowed).all().item<bool>())
            << "worst excess at x = " << x[(error - allowed).argmax()].item<float>();
        // LibTorch evaluates 1 + tanh(u) in float, which cancels for x below about -3: there it
        // is itself off by up to ~1e-7 absolutely (a tiny GELU), elsewhere it agrees to ulp.
        const at::Tensor torch = at::gelu(x, "tanh");
        EXPECT_TRUE(((y - torch).abs() <= torch.abs() * 4e-7 + 3e-7).all().item<bool>());
    }
}

TEST(GeluTanh, KeepsSpecialValues) {
    const float inf = std::numeric_limits<float>::infinity();
    at::Tensor x = at::tensor({0.0f, inf, std::nanf(""), -0.0f, 1e30f, -1e30f});
    geluTanhInPlace(x);
    EXPECT_EQ(x[0].item<float>(), 0.0f);
    EXPECT_EQ(x[1].item<float>(), inf);
    EXPECT_TRUE(std::isnan(x[2].item<float>()));
    EXPECT_EQ(x[3].item<float>(), 0.0f);
    EXPECT_EQ(x[4].item<float>(), 1e30f);
    EXPECT_EQ(x[5].item<float>(), 0.0f);
}

TEST(GeluTanh, RefusesTensorsItCannotWorkOnInPlace) {
    at::Tensor strided = at::randn({8, 8}).t();
    EXPECT_THROW(geluTanhInPlace(strided), c10::Error);
    at::Tensor doubles = at::randn({8}, at::kDouble);
    EXPECT_THROW(geluTanhInPlace(doubles), c10::Error);
}

TEST(ApplyActivation, TanhGeluIsInPlaceWithoutGradAndDifferentiableWithIt) {
    at::Tensor x = at::randn({3, 257});
    const at::Tensor expected = at::gelu(x, "tanh");
    {
        at::NoGradGuard noGrad;
        at::Tensor input = x.clone();
        const at::Tensor out = applyActivation("gelu_new", input);
        EXPECT_EQ(out.data_ptr(), input.data_ptr());
        EXPECT_TRUE(at::allclose(out, expected, 1e-6, 1e-7));
    }
    at::Tensor leaf = x.clone().requires_grad_(true);
    const at::Tensor out = applyActivation("gelu_pytorch_tanh", leaf);
    EXPECT_NE(out.data_ptr(), leaf.data_ptr());
    out.sum().backward();
    ASSERT_TRUE(leaf.grad().defined());
    EXPECT_TRUE(at::allclose(out, expected, 1e-6, 1e-7));
    // A strided input takes LibTorch's operator and stays untouched.
    at::NoGradGuard noGrad;
    const at::Tensor strided = x.t();
    const at::Tensor before = strided.clone();
    EXPECT_TRUE(at::allclose(applyActivation("gelu_fast", strided), at::gelu(before, "tanh")));
    EXPECT_TRUE(at::equal(strided, before));
}

TEST(ApplyActivation, NamesTheUnknownFunction) {
    try {
        applyActivation("swiglu_v9", at::zeros({2}));
        FAIL() << "no error";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("swiglu_v9"), std::string::npos);
    }
}

}  // namespace
}  // namespace attnscope::capture
