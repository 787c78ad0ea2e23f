#pragma once

#include "attnscope/ui/intervention_item.h"

#include <QUndoCommand>

#include <functional>

namespace attnscope::ui {

/// One edit of the intervention list as an undoable step: redo applies `after`, undo
/// `before`, both through `apply` (which updates the list model, the atlas and the
/// controller).
class SetInterventionsCommand : public QUndoCommand {
public:
    using Apply = std::function<void(const InterventionList&)>;
    SetInterventionsCommand(InterventionList before, InterventionList after, Apply apply,
                            const QString& text);

    void undo() override { m_apply(m_before); }
    void redo() override { m_apply(m_after); }

private:
    InterventionList m_before;
    InterventionList m_after;
    Apply m_apply;
};

}  // namespace attnscope::ui
