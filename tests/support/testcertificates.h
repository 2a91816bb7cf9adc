#pragma once

#include <QString>

namespace fulcrum::test {

// A test CA and two certificates it signed, made by `openssl` in `dir`: ca.pem/ca.key,
// server.pem/server.key and client.pem/client.key (both for 127.0.0.1 and localhost, server and
// client use, RSA 2048, ten years). False with *error naming the openssl step that failed.
bool makeTestCertificates(const QString &dir, QString *error);

} // namespace fulcrum::test
