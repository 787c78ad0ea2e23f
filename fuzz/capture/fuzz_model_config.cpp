// Fuzzes config.json parsing: any text must parse into a consistent config or throw.
#include <cstddef>
#include <cstdint>
#include <string>

#include "attnscope/capture/load_error.h"
#include "attnscope/capture/model_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        const auto c = attnscope::capture::parseModelConfig(
            std::string(reinterpret_cast<const char*>(data), size), "config.json");
        if (c.nHeads <= 0 || c.nKvHeads <= 0 || c.nHeads % c.nKvHeads != 0 || c.headDim <= 0)
            __builtin_trap();
        (void)c.parameterCount();
        (void)c.attentionScale(0);
    } catch (const attnscope::capture::ModelLoadError&) {
    }
    return 0;
}
