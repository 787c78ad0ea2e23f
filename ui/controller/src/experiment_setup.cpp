// The Analysis tab's setup as a batch experiment (app::experimentText does the writing).
#include "attnscope/app/experiment.h"
#include "attnscope/ui/app_controller.h"
#include "value_bridge.h"

namespace attnscope::ui {

QString AppController::experimentText(const AnalysisRequest& request) const {
    if (m_summary.path.isEmpty()) return {};
    app::ExperimentSetup setup;
    setup.model = m_summary.path.toStdString();
    setup.dataset = request.datasetPath.toStdString();
    if (setup.dataset.empty()) {
        for (const QString& p : request.prompts)
            setup.prompts.push_back(p.toStdString());
        if (setup.prompts.empty()) setup.prompts.push_back(m_request.prompt.toStdString());
    }
    setup.edits = bridge::toEdits(m_request.interventions);
    setup.metric = request.metric.toStdString();
    for (const auto& [k, v] : request.params)
        setup.params[k.toStdString()] = v.toStdString();
    setup.splitSpecialTokens = m_request.splitSpecialTokens;
    return QString::fromStdString(app::experimentText(setup));
}

}  // namespace attnscope::ui
