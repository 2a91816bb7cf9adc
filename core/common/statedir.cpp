#include "statedir.h"

#include <QDir>

namespace fulcrum {

QString defaultStateDir()
{
    if (qEnvironmentVariableIsSet("STATE_DIRECTORY"))
        return qEnvironmentVariable("STATE_DIRECTORY").split(u':').first();
    const QString state = qEnvironmentVariable("XDG_STATE_HOME", QDir::homePath() + QStringLiteral("/.local/state"));
    return state + QStringLiteral("/fulcrum");
}

} // namespace fulcrum
