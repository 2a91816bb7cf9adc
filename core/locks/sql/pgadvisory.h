#pragma once

#include <QByteArray>
#include <QString>

#include <optional>

// PostgreSQL advisory locks as pg_locks shows them, and back: pure functions, no server.
namespace fulcrum::pgadvisory {

// What pg_locks has for an advisory lock: pg_advisory_lock(bigint) leaves the key's high
// 32 bits in classid, its low 32 bits in objid and objsubid 1; pg_advisory_lock(int, int)
// leaves the first key in classid, the second in objid (both as unsigned oids) and objsubid 2.
struct LockTag
{
    quint32 classid = 0;
    quint32 objid = 0;
    int objsubid = 1;
    friend bool operator==(const LockTag &, const LockTag &) = default;
};

// The key as the application wrote it: "-42" (one signed bigint) or "7,-3" (the signed pair);
// nullopt for an objsubid that is neither 1 nor 2.
std::optional<QString> keyText(const LockTag &tag);
std::optional<LockTag> tagFromKeyText(const QString &text);

// A lock row's name: "DATABASE/KEY" (advisory locks are per database). Chains of row and table
// locks are named "DATABASE/chain:ROOT_PID".
QString lockName(const QString &database, const QString &key);
struct LockName
{
    QString database;
    QString key;                    // "42", "1,2" or "chain:1234"
    bool chain = false;
    qint64 chainRootPid = 0;
};
std::optional<LockName> parseLockName(const QByteArray &name);

// A holder as a release names it: its pid and when its session started (microseconds since the
// epoch, as pg_stat_activity.backend_start), "1234@1733244600123456". The start tells a reused
// pid from the session the operator saw.
QByteArray holderId(qint64 pid, qint64 backendStartUs);
struct HolderId
{
    qint64 pid = 0;
    qint64 backendStartUs = 0;
};
std::optional<HolderId> parseHolderId(const QByteArray &id);

// `fulcrumctl lock run NAME --postgres`'s key: the first 8 bytes of SHA-256(UTF-8 NAME) read as
// a big-endian signed 64-bit integer. In SQL:
// ('x' || left(encode(sha256(convert_to(NAME, 'UTF8')), 'hex'), 16))::bit(64)::bigint
qint64 keyForName(const QString &name);

} // namespace fulcrum::pgadvisory
