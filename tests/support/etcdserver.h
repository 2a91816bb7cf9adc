#pragma once

#include <QProcess>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>

#include <memory>
#include <vector>

namespace fulcrum::test {

// A real etcd (Debian's etcd-server) for one test suite: one member, or a cluster of three,
// on free loopback ports with temporary data dirs. Optionally TLS on the client URLs with a CA
// and certificates made by `openssl` in its directory. The destructor stops every member and
// the kernel ends them if the test dies.
class EtcdServer
{
public:
    struct Options
    {
        int members = 1;
        bool tls = false;           // https client URLs and client certificates required (etcd's
                                    // --trusted-ca-file), all signed by a CA made for the suite
        QStringList extraArguments; // more etcd flags for every member
    };

    EtcdServer();
    explicit EtcdServer(Options options);
    ~EtcdServer();
    EtcdServer(const EtcdServer &) = delete;
    EtcdServer &operator=(const EtcdServer &) = delete;

    bool start(QString *error = nullptr);
    void kill(int member);                      // SIGKILL, as a crash
    bool isRunning(int member) const;

    QStringList clientUrls() const;             // http(s)://127.0.0.1:PORT per member
    QString clientUrl(int member = 0) const { return clientUrls().value(member); }
    QString caFile() const;                     // TLS: the CA that signed the members' certificates
    QString clientCertFile() const;             // TLS: a client certificate signed by the same CA
    QString clientKeyFile() const;
    QString directory() const { return m_dir.path(); }
    QString log(int member = 0) const;

    // `etcdctl` with ETCDCTL_API=3 and this cluster's endpoints (and CA), extra arguments after.
    QStringList etcdctlArguments(const QStringList &arguments) const;
    QProcessEnvironment etcdctlEnvironment() const;
    // Runs etcdctl to its end; false with its output in `error` when it failed.
    bool etcdctl(const QStringList &arguments, QString *output = nullptr, const QByteArray &input = {}) const;

private:
    struct Member
    {
        QString name;
        quint16 clientPort = 0;
        quint16 peerPort = 0;
        std::unique_ptr<QProcess> process;
    };
    bool launch(QString *error);

    Options m_options;
    QTemporaryDir m_dir;
    std::vector<Member> m_members;
};

} // namespace fulcrum::test
