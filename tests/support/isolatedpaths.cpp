#include "isolatedpaths.h"

#include <QFile>
#include <QStandardPaths>
#include <QTemporaryDir>

namespace fulcrum::test {

void useIsolatedStandardPaths()
{
    static QTemporaryDir home;   // removed at exit, after the test's QApplication
    qputenv("HOME", QFile::encodeName(home.path()));
    QStandardPaths::setTestModeEnabled(true);
}

} // namespace fulcrum::test
