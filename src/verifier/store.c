/* Backend selection and the shared passport row helpers. */
#include <stdlib.h>
#include <string.h>

#include "veritee/http.h"
#include "verifier/store.h"

void vs_passport_clear(vs_passport *p)
{
    if (p == NULL)
        return;
    free(p->token);
    free(p->components);
    free(p->platform_claims);
    memset(p, 0, sizeof(*p));
}

vt_status vs_open(vs_store **out, const char *url, vt_err *err)
{
    *out = NULL;
    if (strncmp(url, "sqlite:", 7) == 0)
        return vs_sqlite_open(out, url + 7, err);
    if (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0)
        return vs_pg_open(out, url, err);
    return vt_err_set(err, VT_E_ARG, "verifier: --db must be sqlite:PATH or postgres://...");
}

void vs_close(vs_store *s)
{
    if (s != NULL)
        s->ops->close(s);
}

vt_status vs_set_metrics(vs_store *s, vt_metrics *m, vt_err *err)
{
    vt_status rc = vt_metrics_declare(m, "verifier_store_reconnects_total", "counter",
                                      "Store connections found lost (a database restart, failover or terminated "
                                      "backend) and reopened, by result.",
                                      err);
    if (rc == VT_OK)
        atomic_store(&s->metrics, m);
    return rc;
}

bool vs_sweep_due(vt_time *next, vt_time now)
{
    if (now < *next)
        return false;
    *next = now + VS_SWEEP_EVERY;
    return true;
}
