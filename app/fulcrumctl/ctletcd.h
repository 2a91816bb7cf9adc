#pragma once

#include <QString>
#include <QStringList>

#include <optional>

// --etcd's members for every fulcrumctl form: "http://h1:2379,https://h2:2379" or bare
// "h1:2379" (http), normalised to scheme://host:port; nullopt with *error naming the bad part.
std::optional<QStringList> ctlEtcdMembers(const QString &text, QString *error);
