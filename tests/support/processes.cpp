#include "processes.h"

#include <QDir>
#include <QFile>

namespace fulcrum::test {

namespace {

// /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces and parentheses.
struct ProcStat
{
    QString comm;
    char state = 0;
    qint64 ppid = 0;
};

bool readStat(qint64 pid, ProcStat *stat)
{
    QFile file(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!file.open(QIODevice::ReadOnly))
        return false;
    const QByteArray line = file.readAll();
    const qsizetype open = line.indexOf('(');
    const qsizetype close = line.lastIndexOf(')');
    if (open < 0 || close < open)
        return false;
    stat->comm = QString::fromUtf8(line.mid(open + 1, close - open - 1));
    const QList<QByteArray> rest = line.mid(close + 2).split(' ');
    if (rest.size() < 2 || rest.at(0).isEmpty())
        return false;
    stat->state = rest.at(0).at(0);
    stat->ppid = rest.at(1).toLongLong();
    return true;
}

} // namespace

bool processAlive(qint64 pid)
{
    ProcStat stat;
    return readStat(pid, &stat) && stat.state != 'Z' && stat.state != 'X';
}

QList<qint64> childProcesses(qint64 parentPid, const QString &command)
{
    QList<qint64> out;
    for (const QString &name : QDir(QStringLiteral("/proc")).entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        bool numeric = false;
        const qint64 pid = name.toLongLong(&numeric);
        ProcStat stat;
        if (numeric && readStat(pid, &stat) && stat.ppid == parentPid && stat.comm == command && stat.state != 'Z')
            out.append(pid);
    }
    return out;
}

} // namespace fulcrum::test
