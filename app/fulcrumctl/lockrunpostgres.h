#pragma once

#include <QStringList>

// `fulcrumctl lock run NAME --postgres URL -- COMMAND`: COMMAND runs while this process's
// session holds pg_advisory_lock(key of NAME) (pgadvisory::keyForName, documented in
// docs/locks-database.md so other languages compute the same key). Returns the exit status.
int lockRunPostgres(const QStringList &options, const QStringList &command);
