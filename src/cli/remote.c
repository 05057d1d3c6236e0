/* Talking to a verifier from the CLI: base URL, admin token, JSON calls with
 * the server's error codes turned into messages and exit statuses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "client/client.h"
#include "remote.h"

const char *vt_cli_verifier_url(const char *flag)
{
    static char buf[1024];
    const char *v = flag;
    size_t n;

    if (v == NULL || *v == '\0')
        v = getenv("VERITEE_VERIFIER");
    if (v == NULL || *v == '\0')
        v = "http://127.0.0.1:8600";
    snprintf(buf, sizeof(buf), "%s", v);
    n = strlen(buf);
    while (n > 0 && buf[n - 1] == '/')
        buf[--n] = '\0';
    return buf;
}

vt_status vt_cli_admin_token(vt_buf *out, const char *file, vt_err *err)
{
    const char *env = getenv("VERITEE_ADMIN_TOKEN");
    vt_status rc;

    if (file != NULL) {
        rc = vt_file_read_private(out, file, 4096, err);
        if (rc == VT_E_POLICY) /* readable by others: a usage error naming chmod 600 */
            rc = VT_E_ARG;
    } else if (env != NULL && *env != '\0')
        rc = vt_buf_append_str(out, env, err);
    else
        return vt_err_set(err, VT_E_ARG, "an admin token is needed: --admin-token-file FILE or VERITEE_ADMIN_TOKEN");
    while (rc == VT_OK && out->len > 0 &&
           (out->data[out->len - 1] == '\n' || out->data[out->len - 1] == '\r' || out->data[out->len - 1] == ' '))
        out->len--;
    if (rc == VT_OK)
        rc = vt_buf_terminate(out, err);
    return rc;
}

vt_status vt_cli_call(json_t **out, const char *method, const char *base, const char *path, json_t *body,
                      const char *bearer, vt_err *err)
{
    char url[2048];
    char *text = NULL;
    vt_http_client_opts o;
    vt_status rc;

    *out = NULL;
    if (snprintf(url, sizeof(url), "%s%s", base, path) >= (int)sizeof(url))
        return vt_err_set(err, VT_E_ARG, "URL too long");
    if (body != NULL && (text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL)
        return vt_err_set(err, VT_E_NOMEM, "cannot encode the request");
    memset(&o, 0, sizeof(o));
    o.bearer = bearer;
    o.timeout_ms = 60000;
    rc = vt__client_call(out, NULL, method, url, text, &o, err);
    free(text);
    return rc;
}

vt_status vt_cli_fetch_text(vt_buf *out, const char *src, size_t max, vt_err *err)
{
    vt_http_response r;
    vt_http_client_opts o;
    vt_status rc;

    if (strncmp(src, "http://", 7) != 0 && strncmp(src, "https://", 8) != 0)
        return vt_cli_read(out, src, max, err);
    memset(&o, 0, sizeof(o));
    o.max_response = max;
    rc = vt_http_request(&r, "GET", src, NULL, &o, err);
    if (rc != VT_OK)
        return rc;
    if (r.status != 200) {
        char emsg[300];
        vt_http_response_error(emsg, sizeof(emsg), &r);
        rc = vt_err_set(err, VT_E_IO, "GET %s: %s", src, emsg);
    } else {
        rc = vt_buf_append(out, r.body.data, r.body.len, err);
        if (rc == VT_OK)
            rc = vt_buf_terminate(out, err);
    }
    vt_http_response_clear(&r);
    return rc;
}

void vt_cli_print_json(json_t *j)
{
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (s != NULL)
        printf("%s\n", s);
    free(s);
}
