// fulcrumctl secret set|get|delete ENTRY: put a Redis password into the desktop keychain, so that
// config ("password": "keychain:ENTRY") and --keychain ENTRY can use it; or, with --engine URL
// instead of ENTRY, a fulcrumd admin token under the entry the console and `--engine` commands
// read. Read from stdin, never from the command line.
#include "command.h"

#include "engine/remoteenginelink.h"

#ifdef FULCRUM_HAVE_KEYCHAIN
#include "keychain/keychainsecretstore.h"
#endif

#include <QFile>

#include <cstdio>
#include <termios.h>
#include <unistd.h>

#ifdef FULCRUM_HAVE_KEYCHAIN
static QByteArray readSecretFromStdin()
{
    const bool terminal = ::isatty(STDIN_FILENO);
    termios saved{};
    if (terminal) {
        ctlErr(QStringLiteral("Password (not echoed): "));
        ::tcgetattr(STDIN_FILENO, &saved);
        termios quiet = saved;
        quiet.c_lflag &= ~tcflag_t(ECHO);
        ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
    QFile in;
    (void)in.open(stdin, QIODevice::ReadOnly);
    QByteArray line = in.readLine();
    if (terminal) {
        ::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
        ctlErr(QStringLiteral("\n"));
    }
    while (line.endsWith('\n') || line.endsWith('\r'))
        line.chop(1);
    return line;
}
#endif

static int secret(const QStringList &arguments)
{
    const QString usage = QStringLiteral("Usage: fulcrumctl secret set ENTRY      (reads the secret from stdin)\n"
                                         "       fulcrumctl secret get ENTRY      (prints it to stdout, for scripts)\n"
                                         "       fulcrumctl secret delete ENTRY\n"
                                         "ENTRY is a name, or --engine URL for a fulcrumd admin token (entry \"fulcrumd:URL\",\n"
                                         "read by the console and by fulcrumctl --engine URL).\n"
                                         "Entries live in the desktop keychain under the service \"fulcrum\".\n");
    if (arguments.contains(QStringLiteral("--help")) || arguments.contains(QStringLiteral("-h"))) {
        ctlOut(usage);
        return 0;
    }
    const bool engine = arguments.size() == 3 && arguments[1] == u"--engine";
    if ((arguments.size() != 2 && !engine) || (arguments[0] != u"set" && arguments[0] != u"get" && arguments[0] != u"delete")) {
        ctlErr(usage);
        return 2;
    }
    QString entry = arguments.last();
    if (engine) {
        QString error;
        const std::optional<QUrl> url = fulcrum::RemoteEngineLink::parseUrl(arguments[2], &error);
        if (!url) {
            ctlErr(QStringLiteral("fulcrumctl secret %1: --engine: %2\n").arg(arguments[0], error));
            return 2;
        }
        entry = fulcrum::RemoteEngineLink::keychainEntry(*url);
    }
#ifdef FULCRUM_HAVE_KEYCHAIN
    fulcrum::KeychainSecretStore store;
    QString error;
    if (arguments[0] == u"get") {
        const std::optional<QByteArray> value = store.read(entry, &error);
        if (!value) {
            ctlErr(QStringLiteral("fulcrumctl secret get: %1\n").arg(error));
            return 1;
        }
        QFile out;
        (void)out.open(stdout, QIODevice::WriteOnly);
        out.write(*value + '\n');
        return 0;
    }
    if (arguments[0] == u"set") {
        const QByteArray value = readSecretFromStdin();
        if (value.isEmpty()) {
            ctlErr(QStringLiteral("fulcrumctl secret set: no secret on stdin; nothing stored\n"));
            return 2;
        }
        if (!store.write(entry, value, &error)) {
            ctlErr(QStringLiteral("fulcrumctl secret set: %1\n").arg(error));
            return 1;
        }
        ctlErr(QStringLiteral("stored keychain entry \"%1\"\n").arg(entry));
        return 0;
    }
    if (!store.remove(entry, &error)) {
        ctlErr(QStringLiteral("fulcrumctl secret delete: %1\n").arg(error));
        return 1;
    }
    return 0;
#else
    ctlErr(QStringLiteral("fulcrumctl secret: this fulcrumctl was built without QtKeychain (package qtkeychain-qt6-dev); "
                          "use a 0600 file (--token-file, a password file) or FULCRUM_TOKEN / FULCRUM_REDIS_PASSWORD instead\n"));
    return 1;
#endif
}

FULCRUM_CTL_COMMAND(secret, "secret", "store, read or delete a Redis password or fulcrumd token in the desktop keychain", secret);
