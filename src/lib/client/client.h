/* Internal: one JSON call to a veritee service over vt_http_request, shared
 * by the attester flow (client/attester.c) and the CLI's verifier commands
 * (src/cli/remote.c), so the HTTP status of a reply means the same thing to
 * both. */
#ifndef VT_CLIENT_CLIENT_H
#define VT_CLIENT_CLIENT_H

#include <jansson.h>

#include "veritee/base.h"
#include "veritee/http.h"
#include "veritee/passport.h"

/* The vt_status of a non-2xx reply: the service's refusals (401, 403, 409,
 * 410, 422: bad auth, replayed nonce, refused appraisal) VT_E_POLICY; 5xx and
 * 429 VT_E_IO; other 4xx (malformed request, unknown name) VT_E_ARG. */
vt_status vt__client_status(long http_status);

/*
 * method url with an optional body (JSON text, borrowed).  *out gets the
 * parsed 2xx reply (json_decref it); VT_E_FORMAT "<method> <url>: the reply is
 * not JSON" when it does not parse.  A non-2xx reply is an error
 * "<method> <url>: <code: message> (HTTP n)" with vt__client_status; when
 * refusal != NULL and that reply has a JSON object body (a refused appraisal's
 * result, or {"error":{"code","message"}}), *refusal gets that object.  o may
 * be NULL (defaults).
 */
vt_status vt__client_call(json_t **out, json_t **refusal, const char *method, const char *url, const char *body,
                          const vt_http_client_opts *o, vt_err *err);

/*
 * The environment o->id, signed: GET <verifier>/v1/environments/<id>/signed (verifier: base URL
 * without a trailing '/', borrowed) and vt_env_token_verify under o (o->verifier, the URL a URL
 * "iss" must be, is usually verifier itself).  *out and
 * json_out (NULL: not wanted; the document's signed bytes, free()) are filled only when the token
 * verifies (with o->revs, of a revision no lower than one taken before).  timeout_ms: the whole
 * request (0 = 30000).  A non-200 reply: vt__client_status and
 * "GET <url>: <code: message> (HTTP n)"; a token that does not verify: vt_env_token_verify's code.
 * One fetch for every relying party (gateway deployment checks, the artifact auditor at boot,
 * `veritee chat`, `veritee workflow validate`).
 */
vt_status vt__client_env(vt_env *out, char **json_out, const char *verifier, const vt_env_token_opts *o,
                         long timeout_ms, vt_err *err);

#endif
