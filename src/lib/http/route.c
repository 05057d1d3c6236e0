/* Routing by method and path pattern, JSON replies, query parameters. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "veritee/http.h"

void vt_http_router_init(vt_http_router *r)
{
    memset(r, 0, sizeof(*r));
}

vt_status vt_http_router_add(vt_http_router *r, const char *method, const char *pattern, vt_http_handler fn,
                             void *ctx, vt_err *err)
{
    size_t params = 0;

    if (method == NULL || pattern == NULL || fn == NULL || pattern[0] != '/')
        return vt_err_set(err, VT_E_ARG, "http: route needs a method, a pattern starting with '/' and a handler");
    for (const char *p = pattern; *p != '\0'; p++) {
        if (*p == '{') {
            const char *close = strchr(p, '}');
            if (close == NULL || p[-1] != '/' || (close[1] != '/' && close[1] != '\0'))
                return vt_err_set(err, VT_E_ARG, "http: pattern %s: a {param} must be a whole segment", pattern);
            if (++params > VT_HTTP_MAX_PARAMS)
                return vt_err_set(err, VT_E_LIMIT, "http: pattern %s has more than %d params", pattern,
                                  VT_HTTP_MAX_PARAMS);
            p = close;
        } else if (*p == '*' && (p[-1] != '/' || p[1] != '\0')) {
            return vt_err_set(err, VT_E_ARG, "http: pattern %s: '*' only as the last segment", pattern);
        }
    }
    if (r->count >= VT_HTTP_MAX_ROUTES)
        return vt_err_set(err, VT_E_LIMIT, "http: more than %d routes", VT_HTTP_MAX_ROUTES);
    r->routes[r->count].method = method;
    r->routes[r->count].pattern = pattern;
    r->routes[r->count].fn = fn;
    r->routes[r->count].ctx = ctx;
    r->count++;
    return VT_OK;
}

/* Matches path against pattern segment by segment, capturing {params} into req. */
static bool pattern_match(const char *pat, const char *path, vt_http_req *req)
{
    size_t np = 0;

    while (*pat != '\0') {
        if (pat[0] == '*' && pat[1] == '\0')
            break; /* any rest, including nothing */
        if (*pat == '{') {
            const char *close = strchr(pat, '}');
            size_t n = strcspn(path, "/");
            if (n == 0 || n >= VT_HTTP_PARAM_MAX || np >= VT_HTTP_MAX_PARAMS)
                return false;
            memcpy(req->params[np], path, n);
            req->params[np][n] = '\0';
            np++;
            path += n;
            pat = close + 1;
            continue;
        }
        if (*pat != *path)
            return false;
        pat++;
        path++;
    }
    if (*pat == '\0' && *path != '\0')
        return false;
    req->param_count = np;
    return true;
}

vt_status vt_http_router_match(const vt_http_route **route_out, const vt_http_router *r, const char *method,
                               const char *path, vt_http_req *req)
{
    bool path_known = false;

    *route_out = NULL;
    for (size_t i = 0; i < r->count; i++) {
        vt_http_req scratch;
        if (!pattern_match(r->routes[i].pattern, path, &scratch))
            continue;
        path_known = true;
        if (strcmp(r->routes[i].method, method) != 0)
            continue;
        memcpy(req->params, scratch.params, sizeof(req->params));
        req->param_count = scratch.param_count;
        req->route = r->routes[i].pattern;
        *route_out = &r->routes[i];
        return VT_OK;
    }
    return path_known ? VT_E_UNSUPPORTED : VT_E_NOTFOUND;
}

vt_status vt_http_reply_text(vt_http_resp *resp, int status, const char *content_type, const char *text, size_t len,
                             vt_err *err)
{
    vt_status rc;

    resp->body.len = 0;
    rc = vt_buf_append(&resp->body, text, len, err);
    if (rc == VT_OK)
        rc = vt_buf_terminate(&resp->body, err);
    if (rc != VT_OK)
        return rc;
    resp->status = status;
    resp->content_type = content_type;
    return VT_OK;
}

vt_status vt_http_reply_json(vt_http_resp *resp, int status, const char *json, vt_err *err)
{
    vt_status rc = vt_http_reply_text(resp, status, NULL, json, strlen(json), err);

    if (rc == VT_OK && resp->body.len > 0 && resp->body.data[resp->body.len - 1] != '\n')
        rc = vt_buf_append(&resp->body, "\n", 1, err);
    if (rc == VT_OK)
        rc = vt_buf_terminate(&resp->body, err);
    return rc;
}

void vt_http_reply_error(vt_http_resp *resp, int status, const char *code, const char *fmt, ...)
{
    char msg[512];
    json_t *j;
    char *s;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(resp->code, sizeof(resp->code), "%s", code);
    j = json_pack("{s:{s:s, s:s}}", "error", "code", code, "message", msg);
    s = j != NULL ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    if (s == NULL || vt_http_reply_json(resp, status, s, NULL) != VT_OK) {
        /* Out of memory: still a status the client can act on. */
        resp->status = status;
        resp->body.len = 0;
    }
    free(s);
    json_decref(j);
}

vt_status vt_http_query_get(char *out, size_t out_len, const char *query, const char *name, vt_err *err)
{
    size_t nl = strlen(name);
    const char *p = query;

    if (out_len == 0)
        return vt_err_set(err, VT_E_ARG, "http: no room for the query value");
    out[0] = '\0';
    while (p != NULL && *p != '\0') {
        size_t seg = strcspn(p, "&");
        if (seg > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
            size_t o = 0;
            for (size_t i = nl + 1; i < seg; i++) {
                int c = (unsigned char)p[i];
                if (c == '+') {
                    c = ' ';
                } else if (c == '%') {
                    int h = i + 2 < seg ? vt_hex_digit(p[i + 1]) : -1, l = i + 2 < seg ? vt_hex_digit(p[i + 2]) : -1;
                    if (h < 0 || l < 0)
                        return vt_err_set(err, VT_E_FORMAT, "http: query parameter %s: bad %%-escape", name);
                    c = h * 16 + l;
                    i += 2;
                }
                if (c == 0)
                    return vt_err_set(err, VT_E_FORMAT, "http: query parameter %s contains NUL", name);
                if (o + 1 >= out_len)
                    return vt_err_set(err, VT_E_LIMIT, "http: query parameter %s longer than %zu bytes", name,
                                      out_len - 1);
                out[o++] = (char)c;
            }
            out[o] = '\0';
            /* A repeated parameter is ambiguous (which one did the caller mean?): refused. */
            for (p += seg; *p != '\0'; p += strcspn(p, "&")) {
                if (*p == '&')
                    p++;
                if (strncmp(p, name, nl) == 0 && p[nl] == '=') {
                    out[0] = '\0';
                    return vt_err_set(err, VT_E_FORMAT, "http: query parameter %s repeated", name);
                }
            }
            return VT_OK;
        }
        p += seg;
        if (*p == '&')
            p++;
    }
    return vt_err_set(err, VT_E_NOTFOUND, "http: query parameter %s absent", name);
}

void vt_http_dispatch(vt_http_resp *resp, const vt_http_router *r, vt_http_req *req)
{
    const vt_http_route *route = NULL;
    vt_status rc = vt_http_router_match(&route, r, req->method, req->path, req);

    if (rc == VT_E_NOTFOUND) {
        req->route = "unmatched";
        vt_http_reply_error(resp, 404, "not_found", "no such endpoint: %s", req->path);
        return;
    }
    if (rc != VT_OK) {
        req->route = "unmatched";
        vt_http_reply_error(resp, 405, "method_not_allowed", "%s is not allowed on %s", req->method, req->path);
        return;
    }
    route->fn(resp, req, route->ctx);
    if (resp->status == 0 && !resp->later)
        vt_http_reply_error(resp, 500, "internal", "the handler produced no reply");
}
