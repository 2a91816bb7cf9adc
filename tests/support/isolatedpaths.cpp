#include "isolatedpaths.h"

#include <QFile>
#include <QStandardPaths>
#include <QTemporaryDir>

namespace fulcrum::test {

void useIsolatedStandardPaths()
{
    static QTemporaryDir home;   // removed at exit, after the test's QApplication
    qputenv("HOME", QFile::encodeName(home.path()));
    // A child program (not in test mode) would otherwise follow the XDG folders the run set.
    for (const char *variable : {"XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"})
        qunsetenv(variable);
    QStandardPaths::setTestModeEnabled(true);
}

} // namespace fulcrum::test
