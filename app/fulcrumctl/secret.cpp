// fulcrumctl secret set|delete ENTRY: put a Redis password into the desktop keychain, so that
// config ("password": "keychain:ENTRY") and --keychain ENTRY can use it. Read from stdin, never
// from the command line.
#include "command.h"

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
                                         "       fulcrumctl secret delete ENTRY\n"
                                         "Entries live in the desktop keychain under the service \"fulcrum\".\n");
    if (arguments.value(0) == u"--help" || arguments.value(0) == u"-h") {
        ctlOut(usage);
        return 0;
    }
    if (arguments.size() != 2 || (arguments[0] != u"set" && arguments[0] != u"delete")) {
        ctlErr(usage);
        return 2;
    }
#ifdef FULCRUM_HAVE_KEYCHAIN
    fulcrum::KeychainSecretStore store;
    QString error;
    if (arguments[0] == u"set") {
        const QByteArray value = readSecretFromStdin();
        if (value.isEmpty()) {
            ctlErr(QStringLiteral("fulcrumctl secret set: no secret on stdin; nothing stored\n"));
            return 2;
        }
        if (!store.write(arguments[1], value, &error)) {
            ctlErr(QStringLiteral("fulcrumctl secret set: %1\n").arg(error));
            return 1;
        }
        ctlErr(QStringLiteral("stored keychain entry \"%1\"\n").arg(arguments[1]));
        return 0;
    }
    if (!store.remove(arguments[1], &error)) {
        ctlErr(QStringLiteral("fulcrumctl secret delete: %1\n").arg(error));
        return 1;
    }
    return 0;
#else
    ctlErr(QStringLiteral("fulcrumctl secret: this fulcrumctl was built without QtKeychain (package qtkeychain-qt6-dev); "
                          "use a 0600 password file or FULCRUM_REDIS_PASSWORD instead\n"));
    return 1;
#endif
}

FULCRUM_CTL_COMMAND(secret, "secret", "store or delete a Redis password in the desktop keychain", secret);
