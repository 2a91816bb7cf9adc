#pragma once

#include <QStringList>

// `fulcrumctl lock run NAME --zookeeper HOSTS[/CHROOT] ... -- COMMAND`: COMMAND runs while
// this process holds a ZooKeeper lock (ZkMutex, Curator's InterProcessMutex recipe). Takes
// the options before "--" and COMMAND; returns the exit status (docs/locks-zookeeper.md).
int lockRunZooKeeper(const QStringList &options, const QStringList &command);
