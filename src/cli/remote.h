/* CLI helpers for commands that talk to a verifier over HTTP. */
#ifndef VT_CLI_REMOTE_H
#define VT_CLI_REMOTE_H

#include <jansson.h>

#include "veritee/veritee.h"

/* --verifier, else $VERITEE_VERIFIER, else http://127.0.0.1:8600 (no trailing '/'). */
const char *vt_cli_verifier_url(const char *flag);
/* The admin token from --admin-token-file or $VERITEE_ADMIN_TOKEN, trimmed, NUL-terminated. */
vt_status vt_cli_admin_token(vt_buf *out, const char *file, vt_err *err);
/* method base+path with an optional JSON body (borrowed); *out gets the parsed 2xx reply
 * (json_decref it).  Error replies become messages with the server's code;
 * 401/403/409/410/422 are VT_E_POLICY (exit 1), other 4xx VT_E_ARG (exit 2), 5xx/429 VT_E_IO. */
vt_status vt_cli_call(json_t **out, const char *method, const char *base, const char *path, json_t *body,
                      const char *bearer, vt_err *err);
/* A file ("-" = stdin) or an http(s) URL, appended to out and NUL-terminated. */
vt_status vt_cli_fetch_text(vt_buf *out, const char *src, size_t max, vt_err *err);
void vt_cli_print_json(json_t *j);

#endif
