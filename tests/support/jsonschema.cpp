#include "jsonschema.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QStringList>

#include <cmath>
#include <optional>

namespace fulcrum::test {

namespace {

// Whether value is of the JSON Schema type `type`; nullopt when the name is not a type.
std::optional<bool> isOfType(const QJsonValue &value, const QString &type)
{
    if (type == u"object")
        return value.isObject();
    if (type == u"array")
        return value.isArray();
    if (type == u"string")
        return value.isString();
    if (type == u"number")
        return value.isDouble();
    if (type == u"integer")
        return value.isDouble() && value.toDouble() == std::floor(value.toDouble());
    if (type == u"boolean")
        return value.isBool();
    if (type == u"null")
        return value.isNull();
    return std::nullopt;
}

QString typeOf(const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::Null: return QStringLiteral("null");
    case QJsonValue::Bool: return QStringLiteral("boolean");
    case QJsonValue::Double: return QStringLiteral("number");
    case QJsonValue::String: return QStringLiteral("string");
    case QJsonValue::Array: return QStringLiteral("array");
    case QJsonValue::Object: return QStringLiteral("object");
    case QJsonValue::Undefined: break;
    }
    return QStringLiteral("nothing");
}

QString shown(const QJsonValue &value)
{
    if (value.isString())
        return u'"' + value.toString() + u'"';
    return QString::fromUtf8(QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact).chopped(1).mid(1));
}

} // namespace

bool validateJson(const QJsonValue &value, const QJsonObject &schema, const QJsonObject &root, const QString &where, QString *error)
{
    if (schema.contains(QStringLiteral("$ref"))) {
        const QString ref = schema.value(QStringLiteral("$ref")).toString();
        const QString name = ref.section(u'/', -1);
        const QJsonObject defs = root.value(QStringLiteral("$defs")).toObject();
        if (!ref.startsWith(u"#/$defs/") || !defs.value(name).isObject()) {
            *error = QStringLiteral("%1: the schema's $ref \"%2\" names no definition under $defs").arg(where, ref);
            return false;
        }
        return validateJson(value, defs.value(name).toObject(), root, where, error);
    }
    if (schema.contains(QStringLiteral("type"))) {
        const QJsonValue type = schema.value(QStringLiteral("type"));
        QStringList types;
        if (type.isArray()) {
            for (const QJsonValue &t : type.toArray())
                types.append(t.toString());
        } else {
            types.append(type.toString());
        }
        bool ok = false;
        for (const QString &t : std::as_const(types)) {
            const std::optional<bool> matches = isOfType(value, t);
            if (!matches) {
                *error = QStringLiteral("%1: the schema's type \"%2\" is not a JSON Schema type").arg(where, t);
                return false;
            }
            ok = ok || *matches;
        }
        if (!ok) {
            *error = QStringLiteral("%1: expected %2, got %3 %4").arg(where, types.join(QStringLiteral(" or ")), typeOf(value), shown(value));
            return false;
        }
    }
    if (schema.contains(QStringLiteral("enum"))) {
        const QJsonArray allowed = schema.value(QStringLiteral("enum")).toArray();
        if (!allowed.contains(value)) {
            QStringList names;
            for (const QJsonValue &a : allowed)
                names.append(shown(a));
            *error = QStringLiteral("%1: %2 is not one of %3").arg(where, shown(value), names.join(QStringLiteral(", ")));
            return false;
        }
    }
    if (value.isObject()) {
        const QJsonObject object = value.toObject();
        for (const QJsonValue &required : schema.value(QStringLiteral("required")).toArray()) {
            if (!object.contains(required.toString())) {
                *error = QStringLiteral("%1: missing required field %2").arg(where, required.toString());
                return false;
            }
        }
        const QJsonObject properties = schema.value(QStringLiteral("properties")).toObject();
        const QJsonValue additional = schema.value(QStringLiteral("additionalProperties"));
        for (auto it = object.begin(); it != object.end(); ++it) {
            const QString path = where + u'.' + it.key();
            if (properties.contains(it.key())) {
                if (!validateJson(it.value(), properties.value(it.key()).toObject(), root, path, error))
                    return false;
            } else if (additional.isObject()) {
                if (!validateJson(it.value(), additional.toObject(), root, path, error))
                    return false;
            } else if (additional == QJsonValue(false)) {
                *error = QStringLiteral("%1: field %2 is not in the schema").arg(where, it.key());
                return false;
            }
        }
    }
    if (value.isArray() && schema.contains(QStringLiteral("items"))) {
        const QJsonArray array = value.toArray();
        const QJsonObject items = schema.value(QStringLiteral("items")).toObject();
        for (qsizetype i = 0; i < array.size(); ++i) {
            if (!validateJson(array[i], items, root, where + u'[' + QString::number(i) + u']', error))
                return false;
        }
    }
    return true;
}

} // namespace fulcrum::test
