#include "attnscope/ui/startup.h"

#include <QFileInfo>
#include <QSettings>

#include "attnscope/ui/main_window.h"

namespace attnscope::ui {

bool startWindow(MainWindow& window, const StartupOptions& o, bool demoOnly, QString* error) {
    if (!o.session.isEmpty()) {
        if (!QFileInfo(o.session).isFile()) {
            if (error) *error = QObject::tr("no such session file: %1").arg(o.session);
            return false;
        }
        window.openSession(o.session);
        return true;
    }
    if (!o.prompt.isEmpty()) window.setPrompt(o.prompt);
    if (!o.model.isEmpty()) {
        window.openModel(o.model);
        return true;
    }
    // First start: the demo model; later starts: the most recent model that still exists.
    const QStringList recent = QSettings().value(QStringLiteral("recentModels")).toStringList();
    if (demoOnly || recent.isEmpty() || !QFileInfo::exists(recent.first()))
        window.openDemo();
    else
        window.openModel(recent.first());
    return true;
}

}  // namespace attnscope::ui
