#pragma once

#include <QString>

namespace attnscope::ui {

class MainWindow;

/// What `attnscope` was asked to open on start (app/gui/main.cpp parses it).
struct StartupOptions {
    QString model;    // a model folder; empty: the session's, or the most recent model
    QString prompt;   // typed before the first run; empty: keep the saved one
    QString session;  // a session file to restore (its model, prompts, edits, results)
};

/// Opens what `options` asks for in `window`: a session restores its model, prompts, edits
/// and results (the prompts saved in the settings are not used); else the model folder; else
/// the most recent model that still exists; else (and when `demoOnly`) the demo model.
/// Returns false with `error` set when the session file does not exist.
bool startWindow(MainWindow& window, const StartupOptions& options, bool demoOnly = false,
                 QString* error = nullptr);

}  // namespace attnscope::ui
