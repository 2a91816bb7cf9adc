#pragma once

namespace fulcrum::test {

// Keychain suites run against the real Secret Service, but never the tester's own keyring:
// the first call re-executes the test binary inside a private D-Bus session with a fresh
// gnome-keyring unlocked with a throwaway password, and does not return on success. Inside
// that session it returns true at once. false = dbus-run-session could not be started.
bool enterPrivateKeyringSession(int argc, char *argv[], const char *testName);

} // namespace fulcrum::test
