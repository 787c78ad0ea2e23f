// Session::captureToFile: one prompt run under its edits with chosen hooks streamed into a
// capture file (what a batch item's `capture` spec records), and the hook selection it checks.
#include "attnscope/app/capture_export.h"
#include "attnscope/app/edit_interventions.h"
#include "attnscope/capture/capture_spec.h"
#include "attnscope/capture/load_error.h"
#include "attnscope/capture/transformer_model.h"
#include "session_state.h"

namespace attnscope::app {
namespace {

capture::CaptureSpec captureSpec(const std::vector<std::string>& patterns,
                                 const std::vector<int64_t>& layers, int modelLayers) {
    for (int64_t layer : layers)
        if (layer < 0 || layer >= modelLayers)
            throw capture::InputError("layer " + std::to_string(layer) + " is out of range: the " +
                                      "model has layers 0.." + std::to_string(modelLayers - 1));
    capture::CaptureSpec spec;
    spec.hooks = patterns;
    spec.layers = layers;
    return spec;
}

}  // namespace

std::vector<std::string> Session::selectedHooks(const std::vector<std::string>& patterns,
                                                const std::vector<int64_t>& layers) const {
    const capture::CaptureSpec spec = captureSpec(patterns, layers, m_impl->summary.layers);
    return capture::selectedHooks(m_impl->opened.model->hooks(), spec);
}

void Session::captureToFile(const CaptureToFileRequest& request, const std::filesystem::path& path,
                            const capture::Progress& progress) {
    Impl& d = *m_impl;
    progress.check();
    const PromptTokens tokens = d.tokensOf(request.prompt);
    if (tokens.ids.empty()) throw capture::InputError("the prompt is empty");
    const bool corrupted =
        request.corruptedPrompt.find_first_not_of(" \t\r\n") != std::string::npos;
    const PromptTokens corruptedTokens =
        corrupted ? d.tokensOf(request.corruptedPrompt) : PromptTokens{};
    const auto interventions =
        interventionsFor(d.opened, request.edits, tokens, corrupted ? &corruptedTokens : nullptr);
    CaptureFileOptions options;
    options.writer.storage =
        request.float16 ? store::StorageType::Float16 : store::StorageType::Float32;
    runPromptToFile(d.opened, tokens, captureSpec(request.hooks, request.layers, d.summary.layers),
                    interventions, 1, path, options);
    progress.check();
}

}  // namespace attnscope::app
