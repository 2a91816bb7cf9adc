#include "configimport.h"

#include <QFile>

#include <glob.h>

namespace fulcrum {

QStringList filesMatching(const QString &pattern)
{
    glob_t found{};
    QStringList files;
    if (::glob(QFile::encodeName(pattern).constData(), 0, nullptr, &found) == 0) {
        for (size_t i = 0; i < found.gl_pathc; ++i)
            files << QFile::decodeName(found.gl_pathv[i]);
    }
    globfree(&found);
    return files;
}

} // namespace fulcrum
