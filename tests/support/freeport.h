#pragma once

#include <QtGlobal>

namespace fulcrum::test {

// A loopback TCP port that nothing listened on a moment ago (bind to 0, read it, close).
quint16 freeLoopbackPort();
// Whether nothing listens on this loopback port now.
bool isLoopbackPortFree(quint16 port);

// A loopback port where a connect is refused, as at a stopped server, for as long as this
// object lives: bound and never listening, so no other process (a server another suite starts
// in parallel) can take it meanwhile, which a stopped server's freed port does not promise.
class RefusingPort
{
public:
    RefusingPort();
    ~RefusingPort();
    RefusingPort(const RefusingPort &) = delete;
    RefusingPort &operator=(const RefusingPort &) = delete;
    quint16 port() const { return m_port; }

private:
    int m_fd = -1;
    quint16 m_port = 0;
};

// Path of a project executable (fulcrumctl, fulcrumd) in the build tree.
QString binaryPath(const QString &name);

} // namespace fulcrum::test
