#pragma once

#include "engine/enginelink.h"
#include "engine/linkfigures.h"
#include "httpd/balancermanager.h"

#include <QElapsedTimer>
#include <QHash>
#include <QNetworkAccessManager>
#include <QSslConfiguration>
#include <QTimer>
#include <QUrl>

#include <deque>
#include <functional>
#include <optional>

class QNetworkReply;

namespace fulcrum {

// Where an Apache httpd balancer-manager is and how to get in.
struct HttpdOptions
{
    QUrl managerUrl;              // http://127.0.0.1:8080/balancer-manager
    QString user;                 // Basic auth, when the manager is protected
    QByteArray password;          // from the keychain or a 0600 file, never the command line
    // https only: the CA that signed the manager's certificate (PEM; empty: the system's CAs),
    // and a client certificate with its unencrypted key (PEM; the key a 0600 file) for a
    // manager behind SSLVerifyClient. Written in the address: ?ca=PATH&cert=PATH&key=PATH.
    QString caFile;
    QString certFile;
    QString keyFile;
    int tickMs = 500;

    // "http://host:port/balancer-manager", "host:port" (the path is added), with the TLS files
    // as query items; nullopt with *error naming the input and the expected form.
    static std::optional<QUrl> parseManagerUrl(const QString &text, QString *error);
    // What a (parsed) address says: the manager URL with the user and the TLS files taken out.
    static HttpdOptions fromAddress(const QString &address, const QByteArray &password);
    // The TLS settings of an https manager, its files read now; nullopt with *error naming the
    // file, what is wrong and the fix (a missing file, not PEM, a key others can read).
    std::optional<QSslConfiguration> tlsConfiguration(QString *error) const;
};

// The console over an Apache httpd (mod_proxy_balancer), through its balancer-manager: reads
// `?xml=1` at the tick (pool = balancer, server = member by route, else host:port), sets the
// load factor (1–100) and the drain/disabled flags with a POST carrying the balancer's
// nonce. httpd answers 200 even when it ignored a change (stale nonce, no Referer), so every
// change is read back and reported as what really took effect. Every request carries a
// Referer naming the manager: without it httpd drops every parameter. The manager has
// no percentiles, response times or error counts: those figures stay 0.
class HttpdEngineLink : public EngineLink
{
    Q_OBJECT
public:
    static constexpr int kMinLoadFactor = 1;
    static constexpr int kMaxLoadFactor = 100;

    explicit HttpdEngineLink(HttpdOptions options, QObject *parent = nullptr);
    ~HttpdEngineLink() override;

    LinkState state() const override { return m_state; }
    QString description() const override;
    int tickMs() const override { return m_options.tickMs; }

    quint64 setWeight(const QString &pool, const QString &server, int weight) override;
    quint64 setState(const QString &pool, const QString &server, BackendState state) override;

    EngineCapabilities capabilities() const override { return kindCapabilities(); }
    static EngineCapabilities kindCapabilities();
    QString weightNote() const override;

    // Reads the manager once (Settings' "Test engine"): done(ok, message) names the balancers.
    static void probe(const HttpdOptions &options, QObject *context, std::function<void(bool, const QString &)> done);
    // Why the link is not connected; empty when all is well.
    QString lastError() const { return m_detail; }

private:
    struct Command
    {
        quint64 id = 0;
        QString pool;
        QString server;
        HttpdChange change;
        QString action;           // set-weight, set-state
        QString before;
        QString after;
    };

    void poll();
    void onRead(QNetworkReply *reply);
    void publish(const QList<HttpdBalancer> &balancers);
    void setLinkState(LinkState state, const QString &detail);
    quint64 enqueue(Command command);
    void runNextCommand();
    void finishCommand(bool ok, const QString &message);
    quint64 refuse(const QString &message);

    HttpdOptions m_options;
    std::optional<QSslConfiguration> m_tls;          // https: read once; nullopt when its files are wrong (m_tlsError says why)
    QString m_tlsError;
    QNetworkAccessManager m_network;
    QTimer m_tick;
    QElapsedTimer m_clock;
    LinkState m_state = LinkState::Connecting;
    QString m_detail;
    bool m_reading = false;
    quint64 m_sequence = 0;
    quint64 m_lastCommandId = 0;
    QList<HttpdBalancer> m_balancers;                 // as last read: the nonce and worker URL of a change
    LinkSnapshot m_last;
    CounterWindow m_rates;
    QHash<QString, QDateTime> m_stateSince;           // per "pool/server", since this link saw its state
    QList<LinkEvent> m_events;                        // operator events since the last snapshot
    std::deque<Command> m_commands;                   // one change at a time, each read back
    bool m_commandRunning = false;
};

} // namespace fulcrum
