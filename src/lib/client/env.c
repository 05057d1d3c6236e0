/* A verifier's environment, signed (client/client.h): fetched and verified in one place for
 * every relying party that takes reference values from a verifier. */
#include <stdio.h>
#include <string.h>

#include "client/client.h"

vt_status vt__client_env(vt_env *out, char **json_out, const char *verifier, const vt_env_token_opts *o,
                         long timeout_ms, vt_err *err)
{
    vt_http_client_opts ho;
    vt_http_response r;
    char url[1200], emsg[400];
    vt_status rc;

    memset(out, 0, sizeof(*out));
    if (json_out != NULL)
        *json_out = NULL;
    if (verifier == NULL || o == NULL || o->id == NULL)
        return vt_err_set(err, VT_E_ARG, "environment: no verifier to fetch it from");
    if (!vt_env_id_valid(o->id))
        return vt_err_set(err, VT_E_ARG, "environment: \"%.64s\" is not an environment id", o->id);
    if (snprintf(url, sizeof(url), "%s/v1/environments/%s/signed", verifier, o->id) >= (int)sizeof(url))
        return vt_err_set(err, VT_E_ARG, "environment: the verifier's URL is too long");
    memset(&ho, 0, sizeof(ho));
    ho.timeout_ms = timeout_ms;
    ho.max_response = VT_JWS_MAX;
    memset(&r, 0, sizeof(r));
    rc = vt_http_request(&r, "GET", url, NULL, &ho, err);
    if (rc != VT_OK)
        return rc;
    if (r.status != 200) {
        vt_http_response_error(emsg, sizeof(emsg), &r);
        rc = vt_err_set(err, vt__client_status(r.status), "GET %s: %s (HTTP %ld)", url, emsg, r.status);
    } else {
        rc = vt_env_token_verify(out, json_out, NULL, (const char *)r.body.data, r.body.len, o, err);
    }
    vt_http_response_clear(&r);
    return rc;
}
