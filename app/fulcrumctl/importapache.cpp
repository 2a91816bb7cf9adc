// fulcrumctl import-apache: Apache httpd mod_proxy_balancer balancers -> Fulcrum JSON config.
#include "command.h"
#include "ctlimport.h"

#include "config/apacheimport.h"

using namespace fulcrum;

static int importApacheCommand(const QStringList &arguments)
{
    const CtlImportCommand command{QStringLiteral("import-apache"), QStringLiteral("Turn Apache httpd <Proxy balancer://...> blocks and their ProxyPass into a Fulcrum config"),
                                   QStringLiteral("Apache httpd config"),
                                   QStringLiteral("Apache httpd config file with balancers"), importApache};
    return runCtlImport(command, arguments);
}

FULCRUM_CTL_COMMAND(importapache, "import-apache", "turn Apache httpd balancers (mod_proxy_balancer) into a Fulcrum config", importApacheCommand);
