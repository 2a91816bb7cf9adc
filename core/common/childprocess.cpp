#include "common/childprocess.h"

#include <QProcess>
#include <QProcessEnvironment>
#include <QStringList>

#include <sys/prctl.h>
#include <unistd.h>

namespace fulcrum {

void tieToParent(QProcess &process, int signal)
{
    const pid_t parent = ::getpid();
    // Runs in the child between fork and exec: async-signal-safe calls only.
    process.setChildProcessModifier([parent, signal] {
        ::prctl(PR_SET_PDEATHSIG, signal);
        // The parent may have died before prctl took effect; then nobody would signal us.
        if (::getppid() != parent)
            ::_exit(127);
    });
}

QProcessEnvironment environmentWithoutFaketime()
{
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    QStringList preload = environment.value(QStringLiteral("LD_PRELOAD")).split(u':', Qt::SkipEmptyParts);
    preload.removeIf([](const QString &library) { return library.contains(u"faketime"); });
    if (preload.isEmpty())
        environment.remove(QStringLiteral("LD_PRELOAD"));
    else
        environment.insert(QStringLiteral("LD_PRELOAD"), preload.join(u':'));
    return environment;
}

} // namespace fulcrum
