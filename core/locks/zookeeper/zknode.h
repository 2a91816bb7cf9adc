#pragma once

#include <QByteArray>
#include <QList>

namespace fulcrum {

// A znode's Stat as the server reports it (zookeeper.jute.h's struct Stat), free of the C
// client's headers so that the recipe functions and their tests need no server.
struct ZkStat
{
    qint64 czxid = 0;
    qint64 mzxid = 0;
    qint64 ctime = 0;               // ms since the epoch, the server's clock
    qint64 mtime = 0;
    int version = 0;
    int cversion = 0;
    int aversion = 0;
    qint64 ephemeralOwner = 0;      // session id; 0 for persistent nodes
    int dataLength = 0;
    int numChildren = 0;
    qint64 pzxid = 0;
};

// One child of a folder as a pass reads it: its name (not the path), Stat and data.
struct ZkNode
{
    QByteArray name;
    ZkStat stat;
    QByteArray data;
};

} // namespace fulcrum
