#include "rotary_frequencies.h"

#include <cmath>

namespace attnscope::capture {

at::Tensor rotaryInverseFrequencies(const ModelConfig& c) {
    // Computed in float32 exactly as Hugging Face does, so angles at long positions agree.
    auto exponents =
        at::arange(0, c.headDim, 2, at::TensorOptions().dtype(at::kLong)).to(at::kFloat) /
        static_cast<float>(c.headDim);
    at::Tensor invFreq = 1.0 / at::pow(static_cast<float>(c.ropeTheta), exponents);
    const auto& s = c.ropeScaling;
    if (s.type == "linear") return invFreq / s.factor;
    if (s.type != "llama3") return invFreq;

    const double lowWavelen = s.originalMaxPositions / s.lowFreqFactor;
    const double highWavelen = s.originalMaxPositions / s.highFreqFactor;
    auto wavelen = 2 * M_PI / invFreq;
    auto scaled = at::where(wavelen > lowWavelen, invFreq / s.factor, invFreq);
    auto smooth =
        (s.originalMaxPositions / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
    auto smoothed = (1 - smooth) * scaled / s.factor + smooth * scaled;
    auto medium = (wavelen >= highWavelen).logical_and(wavelen <= lowWavelen);
    return at::where(medium, smoothed, scaled);
}

std::pair<at::Tensor, at::Tensor> rotaryTablesFor(const at::Tensor& invFreq, int64_t positions) {
    auto pos = at::arange(positions, invFreq.options().dtype(at::kFloat));
    auto freqs = at::outer(pos, invFreq);    // [positions, d/2]
    auto emb = at::cat({freqs, freqs}, -1);  // [positions, d]
    return {emb.cos(), emb.sin()};
}

}  // namespace attnscope::capture
