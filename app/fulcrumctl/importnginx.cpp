// fulcrumctl import-nginx: nginx upstream blocks -> Fulcrum JSON config.
#include "command.h"
#include "ctlimport.h"

#include "config/nginximport.h"

using namespace fulcrum;

static int importNginxCommand(const QStringList &arguments)
{
    const CtlImportCommand command{QStringLiteral("import-nginx"), QStringLiteral("Turn nginx upstream blocks into a Fulcrum config"), QStringLiteral("nginx config"),
                                   QStringLiteral("nginx config file with upstream blocks"), importNginx};
    return runCtlImport(command, arguments);
}

FULCRUM_CTL_COMMAND(importnginx, "import-nginx", "turn nginx upstream blocks into a Fulcrum config", importNginxCommand);
