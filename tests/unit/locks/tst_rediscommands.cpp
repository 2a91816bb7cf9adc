// Fulcrum's own RESP formatter, byte for byte against hiredis's (the reference every command
// used to go through): what a server parses must not change with it.
#include "locks/redis/rediscommands.h"

#include <hiredis/hiredis.h>

#include <QTest>

#include <cstdlib>
#include <vector>

using namespace fulcrum;

class TstRedisCommands : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void matchesHiredis_data();
    void matchesHiredis();
    void batchKeepsCommandsApart();
};

static QByteArray hiredisFormat(const QList<QByteArray> &arguments)
{
    std::vector<const char *> argv;
    std::vector<size_t> lengths;
    for (const QByteArray &a : arguments) {
        argv.push_back(a.constData());
        lengths.push_back(size_t(a.size()));
    }
    char *command = nullptr;
    const int length = redisFormatCommandArgv(&command, int(argv.size()), argv.data(), lengths.data());
    const QByteArray out(command, length);
    std::free(command);
    return out;
}

void TstRedisCommands::matchesHiredis_data()
{
    QTest::addColumn<QList<QByteArray>>("arguments");
    QTest::newRow("PING") << QList<QByteArray>{"PING"};
    QTest::newRow("PTTL") << QList<QByteArray>{"PTTL", "lock:order:42"};
    QTest::newRow("empty argument") << QList<QByteArray>{"GET", ""};
    QTest::newRow("binary key") << QList<QByteArray>{"GET", QByteArray("a\0b\r\n$3\r\n", 10)};
    QTest::newRow("UTF-8 key") << QList<QByteArray>{"GET", "lock:订单:7"};
    QTest::newRow("long value") << QList<QByteArray>{"SET", "k", QByteArray(100'000, 'x'), "PX", "30000"};
    QList<QByteArray> many{"MGET"};
    for (int i = 0; i < 1200; ++i)
        many << "lock:" + QByteArray::number(i);
    QTest::newRow("MGET 1200 keys") << many;
}

void TstRedisCommands::matchesHiredis()
{
    QFETCH(QList<QByteArray>, arguments);
    QCOMPARE(RedisCommands::format(arguments), hiredisFormat(arguments));
    RedisCommands viaHead;
    viaHead.add(arguments.first(), arguments.mid(1));
    QCOMPARE(viaHead.bytes().toByteArray(), hiredisFormat(arguments));
}

void TstRedisCommands::batchKeepsCommandsApart()
{
    RedisCommands batch;
    batch.reserve(3, 64);
    batch.add({"PTTL", "lock:a"});
    batch.add({"GET", QByteArrayView("", 0)});
    batch.add(QList<QByteArray>{"HGETALL", "{lock:b}"});
    QCOMPARE(batch.size(), 3);
    QCOMPARE(batch.command(0).toByteArray(), hiredisFormat({"PTTL", "lock:a"}));
    QCOMPARE(batch.command(1).toByteArray(), hiredisFormat({"GET", ""}));
    QCOMPARE(batch.command(2).toByteArray(), hiredisFormat({"HGETALL", "{lock:b}"}));
    QCOMPARE(batch.bytes().toByteArray(), hiredisFormat({"PTTL", "lock:a"}) + hiredisFormat({"GET", ""}) + hiredisFormat({"HGETALL", "{lock:b}"}));
}

QTEST_GUILESS_MAIN(TstRedisCommands)
#include "tst_rediscommands.moc"
