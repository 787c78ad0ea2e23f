#include "attnscope/store/capture_format.h"

namespace attnscope::store {

namespace {

std::string attentionHook(int layer, const char* suffix) {
    return "blocks." + std::to_string(layer) + ".attn." + suffix;
}

}  // namespace

std::string patternHookName(int layer) {
    return attentionHook(layer, "hook_pattern");
}
std::string rotQHookName(int layer) {
    return attentionHook(layer, "hook_rot_q");
}
std::string rotKHookName(int layer) {
    return attentionHook(layer, "hook_rot_k");
}
std::string lseHookName(int layer) {
    return attentionHook(layer, "hook_pattern_lse");
}

}  // namespace attnscope::store
