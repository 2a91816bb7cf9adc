#pragma once

#include <QList>
#include <QString>

namespace fulcrum::test {

// What /proc says of processes, for tests that check who is left running.
bool processAlive(qint64 pid);   // exists and is not a zombie
QList<qint64> childProcesses(qint64 parentPid, const QString &command);   // by /proc/PID/comm

} // namespace fulcrum::test
