#include "attnscope/ui/set_interventions_command.h"

namespace attnscope::ui {

SetInterventionsCommand::SetInterventionsCommand(InterventionList before, InterventionList after,
                                                 Apply apply, const QString& text)
    : m_before(std::move(before)), m_after(std::move(after)), m_apply(std::move(apply)) {
    setText(text);
}

}  // namespace attnscope::ui
