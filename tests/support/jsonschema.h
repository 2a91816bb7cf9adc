#pragma once

#include <QJsonObject>
#include <QJsonValue>
#include <QString>

namespace fulcrum::test {

// Just enough of JSON Schema (2020-12) for the schemas in docs/ (report-schema.json,
// admin-api-schema.json): type (one name, or a list such as ["string", "null"]), enum, required,
// properties, items, additionalProperties (false or a schema), $ref to #/$defs/NAME. Other
// keywords (description, const, ...) are not checked. `root` is the document $refs resolve in;
// `where` is the JSON path of `value` ("$"). False with *error naming the path and the problem;
// a $ref to a definition that does not exist, or a type name it does not know, fails too, so a
// typo in a schema cannot make everything pass.
bool validateJson(const QJsonValue &value, const QJsonObject &schema, const QJsonObject &root, const QString &where, QString *error);

} // namespace fulcrum::test
