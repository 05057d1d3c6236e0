/*
 * CORS for the pages the Origin rule lets through (veritee/http.h, "CORS").
 *
 * The Origin rule (origin.c) decides who may call a service; CORS only tells
 * the caller's browser what it may do with that: a browser sends a request
 * with a JSON body or an Authorization header only after an OPTIONS preflight
 * the service grants, and shows a page an answer only when the answer names
 * the page's origin.  So CORS never widens the rule: every request reaches
 * here after vt_origin_check_request allowed its Origin, and a refused origin
 * still gets 403 origin_not_allowed without any Access-Control-* header.
 *
 *   - a preflight (OPTIONS, Origin, Access-Control-Request-Method) is granted
 *     when the method is one of the service's and every header it names is
 *     one the service reads; the grant lists exactly those (nothing of the
 *     request is echoed but its origin, already checked), and a browser may
 *     keep it VT_CORS_MAX_AGE seconds.  Anything else is refused with 403, so
 *     the page's developer sees which method or header in the answer's body.
 *   - one exception, for a service that sets c->prefix (the gateway:
 *     "x-stainless-", the telemetry the OpenAI SDKs send with every request
 *     and a page cannot easily turn off): a header of that prefix is granted
 *     too, though the service does not read it (the gateway forwards none of
 *     a client's headers).  Its names cannot be listed ahead (each SDK
 *     version may add one), so the grant adds the ones asked for, after the
 *     fixed list: each checked first (the prefix, then 1 to
 *     VT_CORS_PREFIXED_NAME_MAX bytes in all of letters, digits and '-', at
 *     most VT_CORS_PREFIXED_MAX of them), written lowercase and once, so
 *     nothing unchecked is echoed and the answer stays bounded.
 *   - an answer to any other request with an allowed Origin, errors and event
 *     streams included, carries Access-Control-Allow-Origin with that origin
 *     (never "*": the allow-list is the point), Vary: Origin (the answer
 *     differs with Origin, so no cache may hand it to another page), and
 *     Access-Control-Expose-Headers with the service's own headers (a receipt,
 *     a request id, Retry-After), which a page cannot read otherwise.
 *   - no Access-Control-Allow-Credentials.  Neither service reads cookies,
 *     HTTP authentication or client certificates; a client sends its bearer
 *     token in Authorization itself, which CORS allows without credentials
 *     (the preflight lists authorization).  Without it, the browser will not
 *     attach the visitor's cookies to a request of another site's page, so a
 *     credential the services might accept one day cannot be used from a page
 *     by mistake.
 *
 * A request without Origin (curl, the SDKs, the CLI, same-origin GETs) costs
 * nothing here: the callers look at CORS only when vt_origin_check_request
 * returned a value.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <event2/http.h>

#include "veritee/http.h"

/* RFC 9110 5.6.2 tchar. */
#define TCHAR "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define NAME_SHOWN_MAX 64 /* bytes of a method or header name an error echoes */

/* Is name[0..len) an element of list ("a, b, c"), with or without case? */
static bool in_list(const char *list, const char *name, size_t len, bool with_case)
{
    const char *p = list;

    while (p != NULL && *p != '\0') {
        size_t n = strcspn(p, ",");
        if (n == len && (with_case ? strncmp(p, name, len) : strncasecmp(p, name, len)) == 0)
            return true;
        p += n;
        p += strspn(p, ", ");
    }
    return false;
}

/* Is name[0..len) a header c->prefix grants: the prefix (without case), then
 * letters, digits and '-', VT_CORS_PREFIXED_NAME_MAX bytes at most in all? */
static bool prefixed(const vt_cors *c, const char *name, size_t len)
{
    size_t plen = c->prefix != NULL ? strlen(c->prefix) : 0;

    if (plen == 0 || len <= plen || len > VT_CORS_PREFIXED_NAME_MAX || strncasecmp(name, c->prefix, plen) != 0)
        return false;
    for (size_t i = plen; i < len; i++) {
        unsigned char ch = (unsigned char)name[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-'))
            return false;
    }
    return true;
}

/* Appends ", " and name[0..len) in lowercase to the NUL-terminated out, unless
 * it is there already.  false when out_len is too small. */
static bool allow_add(char *out, size_t out_len, size_t fixed_len, const char *name, size_t len)
{
    size_t used = strlen(out);

    if (in_list(out + fixed_len, name, len, false))
        return true;
    if (len + 3 > out_len - used) /* ", " and the NUL */
        return false;
    if (used > 0) {
        out[used++] = ',';
        out[used++] = ' ';
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)name[i];
        out[used++] = (char)(ch >= 'A' && ch <= 'Z' ? ch + ('a' - 'A') : ch);
    }
    out[used] = '\0';
    return true;
}

static vt_status grant(char *allow_out, size_t allow_len, const vt_cors *c, const char *method, const char *headers,
                       vt_err *err)
{
    vt_rd r;
    size_t mlen, len, fixed_len;
    unsigned extra = 0;

    if (allow_len > 0)
        allow_out[0] = '\0';
    if (method == NULL)
        return vt_err_set(err, VT_E_POLICY, "cors: a preflight without Access-Control-Request-Method");
    mlen = strlen(method);
    if (mlen == 0 || mlen > NAME_SHOWN_MAX || strspn(method, TCHAR) != mlen)
        return vt_err_set(err, VT_E_POLICY, "cors: Access-Control-Request-Method is not a method");
    if (!in_list(c->methods, method, mlen, true))
        return vt_err_set(err, VT_E_POLICY, "cors: method %s is not allowed (only %s)", method, c->methods);
    fixed_len = strlen(c->headers);
    if (fixed_len >= allow_len)
        return vt_err_set(err, VT_E_LIMIT, "cors: no room for Access-Control-Allow-Headers");
    memcpy(allow_out, c->headers, fixed_len + 1);
    if (headers == NULL)
        return VT_OK;
    len = strlen(headers);
    if (len > VT_CORS_REQUEST_HEADERS_LEN_MAX)
        return vt_err_set(err, VT_E_LIMIT, "cors: Access-Control-Request-Headers longer than %d bytes",
                          VT_CORS_REQUEST_HEADERS_LEN_MAX);
    vt_rd_init(&r, (const uint8_t *)headers, len);
    while (vt_rd_ok(&r) && r.left > 0) {
        const uint8_t *name;
        size_t n;
        vt_rd_skip(&r, vt_rd_span(&r, " \t"));
        n = vt_rd_span(&r, TCHAR);
        name = vt_rd_take(&r, n);
        vt_rd_skip(&r, vt_rd_span(&r, " \t"));
        if (r.left > 0 && vt_rd_u8(&r) != ',') /* each element ends at a comma or the end */
            return vt_err_set(err, VT_E_FORMAT, "cors: Access-Control-Request-Headers is not a list of header "
                              "names");
        if (n == 0) /* an empty element (RFC 9110 5.6.1) */
            continue;
        if (in_list(c->headers, (const char *)name, n, false))
            continue;
        if (prefixed(c, (const char *)name, n)) {
            if (++extra > VT_CORS_PREFIXED_MAX)
                return vt_err_set(err, VT_E_LIMIT, "cors: more than %d %s* request headers", VT_CORS_PREFIXED_MAX,
                                  c->prefix);
            if (!allow_add(allow_out, allow_len, fixed_len, (const char *)name, n))
                return vt_err_set(err, VT_E_LIMIT, "cors: no room for Access-Control-Allow-Headers");
            continue;
        }
        if (n > NAME_SHOWN_MAX)
            return vt_err_set(err, VT_E_POLICY, "cors: a %zu-byte request header is not allowed (only %s%s%s%s)", n,
                              c->headers, c->prefix != NULL ? ", " : "", c->prefix != NULL ? c->prefix : "",
                              c->prefix != NULL ? "*" : "");
        return vt_err_set(err, VT_E_POLICY, "cors: request header %.*s is not allowed (only %s%s%s%s)", (int)n,
                          (const char *)name, c->headers, c->prefix != NULL ? ", " : "",
                          c->prefix != NULL ? c->prefix : "", c->prefix != NULL ? "*" : "");
    }
    if (!vt_rd_ok_and_empty(&r))
        return vt_err_set(err, VT_E_FORMAT, "cors: Access-Control-Request-Headers is not a list of header names");
    return VT_OK;
}

vt_status vt_cors_preflight_grant(char *allow_out, size_t allow_len, const vt_cors *c, const char *method,
                                  const char *headers, vt_err *err)
{
    vt_status rc = grant(allow_out, allow_len, c, method, headers, err);

    if (rc != VT_OK && allow_len > 0)
        allow_out[0] = '\0';
    return rc;
}

vt_status vt_cors_preflight_check(const vt_cors *c, const char *method, const char *headers, vt_err *err)
{
    char allow[VT_CORS_ALLOW_HEADERS_LEN_MAX];

    return vt_cors_preflight_grant(allow, sizeof(allow), c, method, headers, err);
}

bool vt_cors_is_preflight(struct evhttp_request *req)
{
    return evhttp_request_get_command(req) == EVHTTP_REQ_OPTIONS &&
           evhttp_find_header(evhttp_request_get_input_headers(req), "Access-Control-Request-Method") != NULL;
}

vt_status vt_cors_preflight(const vt_cors *c, struct evhttp_request *req, const char *origin, vt_err *err)
{
    struct evkeyvalq *in = evhttp_request_get_input_headers(req);
    struct evkeyvalq *out = evhttp_request_get_output_headers(req);
    const char *pna = evhttp_find_header(in, "Access-Control-Request-Private-Network");
    char allow[VT_CORS_ALLOW_HEADERS_LEN_MAX];
    vt_status rc;

    evhttp_add_header(out, "Vary", "Origin");
    rc = vt_cors_preflight_grant(allow, sizeof(allow), c, evhttp_find_header(in, "Access-Control-Request-Method"),
                                 evhttp_find_header(in, "Access-Control-Request-Headers"), err);
    if (rc != VT_OK)
        return rc;
    evhttp_add_header(out, "Access-Control-Allow-Origin", origin);
    evhttp_add_header(out, "Access-Control-Allow-Methods", c->methods);
    evhttp_add_header(out, "Access-Control-Allow-Headers", allow);
    evhttp_add_header(out, "Access-Control-Max-Age", VT_CORS_MAX_AGE);
    /* A page of a public site calling a service on a private address (Private Network Access):
     * the operator allowed this origin, which is the consent the browser asks for. */
    if (pna != NULL && strcasecmp(pna, "true") == 0)
        evhttp_add_header(out, "Access-Control-Allow-Private-Network", "true");
    return VT_OK;
}

void vt_cors_add(const vt_cors *c, struct evkeyvalq *headers, const char *origin)
{
    evhttp_add_header(headers, "Access-Control-Allow-Origin", origin);
    evhttp_add_header(headers, "Vary", "Origin");
    if (c->expose != NULL)
        evhttp_add_header(headers, "Access-Control-Expose-Headers", c->expose);
}
