/* One JSON call to a veritee service (client/client.h). */
#include <string.h>

#include "base/json.h"
#include "client/client.h"

vt_status vt__client_status(long http_status)
{
    if (http_status == 401 || http_status == 403 || http_status == 409 || http_status == 410 || http_status == 422)
        return VT_E_POLICY;
    if (http_status >= 500 || http_status == 429)
        return VT_E_IO;
    return VT_E_ARG;
}

vt_status vt__client_call(json_t **out, json_t **refusal, const char *method, const char *url, const char *body,
                          const vt_http_client_opts *o, vt_err *err)
{
    vt_http_client_opts defaults;
    vt_http_response r;
    json_error_t je;
    char emsg[400];
    vt_status rc = VT_E_INTERNAL;

    *out = NULL;
    if (refusal != NULL)
        *refusal = NULL;
    if (o == NULL) {
        memset(&defaults, 0, sizeof(defaults));
        o = &defaults;
    }
    memset(&r, 0, sizeof(r));
    rc = vt_http_request(&r, method, url, body, o, err);
    if (rc != VT_OK)
        return rc;
    if (r.status < 200 || r.status >= 300) {
        vt_http_response_error(emsg, sizeof(emsg), &r);
        rc = vt_err_set(err, vt__client_status(r.status), "%s %s: %s (HTTP %ld)", method, url, emsg, r.status);
        if (refusal != NULL && r.body.data != NULL) {
            *refusal = json_loadb((const char *)r.body.data, r.body.len, 0, NULL);
            if (!json_is_object(*refusal)) {
                json_decref(*refusal);
                *refusal = NULL;
            }
        }
        goto out;
    }
    *out = vt__json_loadb((const char *)r.body.data, r.body.len, 0, &je);
    rc = *out != NULL ? VT_OK
                      : vt_err_set(err, VT_E_FORMAT, "%s %s: the reply is not JSON: %s", method, url, je.text);
out:
    vt_http_response_clear(&r);
    return rc;
}
