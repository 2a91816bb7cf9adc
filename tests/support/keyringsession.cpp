#include "keyringsession.h"

#include <QByteArray>

#include <cstdio>
#include <unistd.h>
#include <vector>

namespace fulcrum::test {

bool enterPrivateKeyringSession(int argc, char *argv[], const char *testName)
{
    if (!qEnvironmentVariableIsEmpty("FULCRUM_IN_KEYRING_SESSION"))
        return true;
    qputenv("FULCRUM_IN_KEYRING_SESSION", QByteArrayLiteral("1"));
    std::vector<char *> args{const_cast<char *>("dbus-run-session"), const_cast<char *>("--"), const_cast<char *>("sh"), const_cast<char *>("-c"),
                             const_cast<char *>("d=$(mktemp -d) || exit 1; trap 'rm -rf \"$d\"' EXIT; export XDG_DATA_HOME=\"$d\"; "
                                                "printf 'fulcrum-test' | gnome-keyring-daemon --unlock --components=secrets >/dev/null || exit 1; \"$0\" \"$@\"")};
    for (int i = 0; i < argc; ++i)
        args.push_back(argv[i]);
    args.push_back(nullptr);
    ::execvp("dbus-run-session", args.data());
    std::fprintf(stderr, "%s: cannot run dbus-run-session (package dbus): the keychain test needs it\n", testName);
    return false;
}

} // namespace fulcrum::test
