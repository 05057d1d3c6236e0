/* A simulated gateway whose passport is refused because the verifier does not
 * trust its simulation root (the two have different state directories): says
 * which file the verifier needs.  The verifier's own reason (registry.c) names
 * the fix too; this adds the gateway's path, which only the gateway knows. */
#include <stdio.h>

#include "gateway/trust.h"
#include "veritee/sim.h"

void vt__gw_sim_root_hint(const char *state_dir)
{
    char path[4096], line[4400];
    vt_err e = { 0 };

    if (vt_sim_root_path(path, sizeof(path), state_dir, &e) != VT_OK)
        return;
    snprintf(line, sizeof(line),
             "the verifier does not trust this gateway's simulation root: start it with --trust-sim --sim-root %s "
             "(or give both the same VERITEE_STATE); simulated evidence is never hardware attested",
             path);
    vt__gw_log("error", "sim_root", line);
}
