#include "ctletcd.h"

#include <QUrl>

std::optional<QStringList> ctlEtcdMembers(const QString &text, QString *error)
{
    QStringList members;
    for (QString member : text.split(u',', Qt::SkipEmptyParts)) {
        member = member.trimmed();
        if (!member.contains(QStringLiteral("://")))
            member.prepend(QStringLiteral("http://"));
        const QUrl url(member, QUrl::StrictMode);
        if (!url.isValid() || (url.scheme() != u"http" && url.scheme() != u"https") || url.host().isEmpty() || url.port() < 1
            || !url.userInfo().isEmpty()) {
            *error = QStringLiteral("--etcd: \"%1\" is not a member URL such as http://127.0.0.1:2379 (port required; the password goes in "
                                    "--password-file or FULCRUM_ETCD_PASSWORD)").arg(member);
            return std::nullopt;
        }
        const QString host = url.host().contains(u':') ? u'[' + url.host() + u']' : url.host();
        members << QStringLiteral("%1://%2:%3").arg(url.scheme(), host).arg(url.port());
    }
    if (members.isEmpty()) {
        *error = QStringLiteral("--etcd names no member; give URL[,URL...] such as http://127.0.0.1:2379");
        return std::nullopt;
    }
    return members;
}
