#pragma once

#include <QtGlobal>

namespace fulcrum::test {

// A loopback TCP port that nothing listened on a moment ago (bind to 0, read it, close).
quint16 freeLoopbackPort();
// Whether nothing listens on this loopback port now.
bool isLoopbackPortFree(quint16 port);

// Path of a project executable (fulcrumctl, fulcrumd) in the build tree.
QString binaryPath(const QString &name);

} // namespace fulcrum::test
