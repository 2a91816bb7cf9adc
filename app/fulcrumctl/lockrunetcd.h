#pragma once

#include <QStringList>

// `fulcrumctl lock run NAME --etcd URL[,URL...] ... -- COMMAND`: COMMAND runs while this process
// holds an etcd lock (EtcdMutex, the Go client's concurrency.Mutex recipe, as `etcdctl lock`).
// Takes the options before "--" and COMMAND; returns the exit status (docs/locks-etcd.md).
int lockRunEtcd(const QStringList &options, const QStringList &command);
