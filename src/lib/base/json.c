/*
 * JSON helpers that no JSON library offers: the exact bytes of a member's
 * value as they were served.  Signatures over JSON documents (Intel PCS
 * collateral, and the like) cover those bytes, which re-serializing a parsed
 * document does not reproduce.  A bounded scanner over vt_rd, no allocation.
 */
#include <string.h>

#include "base/json.h"

static int peek(const vt_rd *r)
{
    vt_rd c = *r;
    const uint8_t *p = vt_rd_take(&c, 1);

    return p == NULL ? -1 : p[0];
}

static void skip_ws(vt_rd *r)
{
    int ch = peek(r);

    while (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') {
        vt_rd_skip(r, 1);
        ch = peek(r);
    }
}

/* A string starting at the opening quote; the raw bytes between the quotes. */
static const uint8_t *scan_string(vt_rd *r, size_t *raw_len)
{
    const uint8_t *start;
    size_t n = 0;
    uint8_t ch;

    if (vt_rd_u8(r) != '"')
        goto bad;
    start = r->p;
    for (;;) {
        ch = vt_rd_u8(r);
        if (!vt_rd_ok(r))
            goto bad;
        if (ch == '"')
            break;
        n++;
        if (ch == '\\') {
            (void)vt_rd_u8(r);
            n++;
        }
    }
    if (!vt_rd_ok(r))
        goto bad;
    *raw_len = n;
    return start;
bad:
    r->failed = true;
    r->left = 0;
    return NULL;
}

#define JSON_DEPTH_MAX 64

/* Any value: strings, nested objects/arrays (brackets matched, depth
 * capped), scalars. */
static void scan_value(vt_rd *r)
{
    char stack[JSON_DEPTH_MAX];
    size_t depth = 0, n;
    int ch;

    do {
        skip_ws(r);
        ch = peek(r);
        if (ch == '"') {
            (void)scan_string(r, &n);
        } else if (ch == '{' || ch == '[') {
            if (depth == JSON_DEPTH_MAX) {
                r->failed = true;
                return;
            }
            stack[depth++] = ch == '{' ? '}' : ']';
            vt_rd_skip(r, 1);
        } else if (ch == '}' || ch == ']') {
            if (depth == 0 || stack[depth - 1] != ch) {
                r->failed = true;
                return;
            }
            vt_rd_skip(r, 1);
            depth--;
        } else if (ch == ',' || ch == ':') {
            if (depth == 0) {
                r->failed = true;
                return;
            }
            vt_rd_skip(r, 1);
        } else if (ch < 0) {
            r->failed = true;
            return;
        } else {
            /* a scalar token: letters, digits, sign, dot */
            while (ch >= 0 && ch != ',' && ch != '}' && ch != ']' && ch != ':' && ch != '"' && ch != '{' &&
                   ch != '[' && ch != ' ' && ch != '\t' && ch != '\r' && ch != '\n') {
                vt_rd_skip(r, 1);
                ch = peek(r);
            }
        }
    } while (vt_rd_ok(r) && depth > 0);
}

vt_status vt__json_member_raw(const uint8_t **val, size_t *val_len, const uint8_t *json, size_t len, const char *key,
                              vt_err *err)
{
    vt_rd r;
    size_t klen = strlen(key);
    bool found = false;

    *val = NULL;
    *val_len = 0;
    vt_rd_init(&r, json, len);
    skip_ws(&r);
    if (vt_rd_u8(&r) != '{')
        return vt_err_set(err, VT_E_FORMAT, "json: not a JSON object");
    skip_ws(&r);
    if (peek(&r) == '}')
        return vt_err_set(err, VT_E_NOTFOUND, "json: no member \"%s\"", key);
    for (;;) {
        size_t n = 0;
        const uint8_t *k, *vstart;

        skip_ws(&r);
        k = scan_string(&r, &n);
        skip_ws(&r);
        if (vt_rd_u8(&r) != ':' || !vt_rd_ok(&r))
            return vt_err_set(err, VT_E_FORMAT, "json: malformed object");
        skip_ws(&r);
        vstart = r.p;
        {
            size_t before = r.left;
            scan_value(&r);
            if (!vt_rd_ok(&r))
                return vt_err_set(err, VT_E_FORMAT, "json: malformed object");
            if (k != NULL && n == klen && memcmp(k, key, klen) == 0) {
                if (found)
                    return vt_err_set(err, VT_E_FORMAT, "json: member \"%s\" appears twice", key);
                found = true;
                *val = vstart;
                *val_len = before - r.left;
            }
        }
        skip_ws(&r);
        {
            uint8_t ch = vt_rd_u8(&r);
            if (!vt_rd_ok(&r))
                return vt_err_set(err, VT_E_FORMAT, "json: truncated object");
            if (ch == '}')
                break;
            if (ch != ',')
                return vt_err_set(err, VT_E_FORMAT, "json: malformed object");
        }
    }
    skip_ws(&r);
    if (!vt_rd_ok_and_empty(&r))
        return vt_err_set(err, VT_E_FORMAT, "json: bytes after the object");
    if (!found)
        return vt_err_set(err, VT_E_NOTFOUND, "json: no member \"%s\"", key);
    return VT_OK;
}

static int dump_append(const char *p, size_t n, void *arg)
{
    return vt_buf_append(arg, p, n, NULL) == VT_OK ? 0 : -1;
}

vt_status vt__json_dump_buf(vt_buf *out, const json_t *doc, size_t flags, vt_err *err)
{
    size_t mark = out->len;

    if (doc == NULL || json_dump_callback(doc, dump_append, out, flags) != 0) {
        out->len = mark;
        return vt_err_set(err, VT_E_NOMEM, "json: cannot serialise the document");
    }
    return VT_OK;
}
