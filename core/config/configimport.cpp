#include "configimport.h"

#include <QFile>

#include <algorithm>

#include <glob.h>

namespace fulcrum {

const ListenerConfig *redirectTarget(const Config &config)
{
    const ListenerConfig *target = nullptr;
    for (const ListenerConfig &l : config.listeners) {
        if (l.tls.enabled() && (!target || (l.port == 443 && target->port != 443)))
            target = &l;
    }
    return target;
}

QString freeListenerName(const Config &config, const QString &base)
{
    const auto taken = [&config](const QString &name) {
        return std::any_of(config.listeners.begin(), config.listeners.end(), [&](const ListenerConfig &l) { return l.name == name; });
    };
    QString name = base;
    for (int n = 2; taken(name); ++n)
        name = QStringLiteral("%1-%2").arg(base).arg(n);
    return name;
}

QStringList filesMatching(const QString &pattern)
{
    glob_t found{};
    QStringList files;
    if (::glob(QFile::encodeName(pattern).constData(), 0, nullptr, &found) == 0) {
        for (size_t i = 0; i < found.gl_pathc; ++i)
            files << QFile::decodeName(found.gl_pathv[i]);
    }
    globfree(&found);
    return files;
}

} // namespace fulcrum
