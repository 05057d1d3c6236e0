/* The response JSON walker: finds the strings the model wrote in an
 * OpenAI-style response body, decodes their escapes, runs the scanner on the text,
 * and re-encodes only the strings that changed; every other byte of the
 * body is copied as it was.  The body has already been validated by
 * jansson; this walker still checks every bound itself. */
#include <string.h>

#include "audit/audit_int.h"

#define MAX_DEPTH 64

typedef enum {
    S_NONE,     /* nothing below is scanned */
    S_ROOT,     /* the top-level object */
    S_MSG,      /* choices[].message / .delta */
    S_CONTENT,  /* content: a string, or an array of parts */
    S_PART,     /* a content part: its "text" is scanned */
    S_TEXT,     /* a string that is scanned */
    S_CHOICES,  /* choices array */
    S_CHOICE,   /* one choice */
} wstate;

typedef struct walker {
    const uint8_t *b;
    size_t n, i, copied;
    vt_audit_ctx *x;
    audit_state *st;
    vt_buf *out;
} walker;

static wstate key_state(wstate s, const char *k)
{
    switch (s) {
    case S_ROOT:
        return strcmp(k, "choices") == 0 ? S_CHOICES : S_NONE;
    case S_MSG:
        return strcmp(k, "content") == 0 ? S_CONTENT : S_NONE;
    case S_PART:
        return strcmp(k, "text") == 0 ? S_TEXT : S_NONE;
    case S_CHOICE:
        if (strcmp(k, "text") == 0)
            return S_TEXT;
        return strcmp(k, "message") == 0 || strcmp(k, "delta") == 0 ? S_MSG : S_NONE;
    default:
        return S_NONE;
    }
}

static wstate elem_state(wstate s)
{
    switch (s) {
    case S_CONTENT:
        return S_PART;
    case S_CHOICES:
        return S_CHOICE;
    default:
        return S_NONE;
    }
}

static bool is_ws(uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static void skip_ws(walker *w)
{
    while (w->i < w->n && is_ws(w->b[w->i]))
        w->i++;
}

static int hexval(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static bool read_u4(const walker *w, size_t at, unsigned *out)
{
    unsigned v = 0;

    if (at + 4 > w->n)
        return false;
    for (size_t k = 0; k < 4; k++) {
        int h = hexval(w->b[at + k]);
        if (h < 0)
            return false;
        v = v << 4 | (unsigned)h;
    }
    *out = v;
    return true;
}

/* Decodes the string at w->i (its opening quote) into dec; leaves w->i past
 * the closing quote.  When dec is NULL only skips. */
static vt_status string_decode(walker *w, vt_buf *dec, vt_err *err)
{
    size_t i = w->i + 1, run = i;
    vt_status rc;

    for (;;) {
        uint8_t c;
        if (i >= w->n)
            return vt_err_set(err, VT_E_FORMAT, "audit: unterminated string in body");
        c = w->b[i];
        if (c != '"' && c != '\\') {
            i++;
            continue;
        }
        if (dec != NULL && i > run) {
            rc = vt_buf_append(dec, w->b + run, i - run, err);
            if (rc != VT_OK)
                return rc;
        }
        if (c == '"')
            break;
        if (i + 1 >= w->n)
            return vt_err_set(err, VT_E_FORMAT, "audit: truncated escape in body");
        c = w->b[i + 1];
        if (c == 'u') {
            unsigned cp, lo;
            uint8_t u[4];
            size_t k = 0;
            if (!read_u4(w, i + 2, &cp))
                return vt_err_set(err, VT_E_FORMAT, "audit: bad \\u escape in body");
            i += 6;
            if (cp >= 0xdc00 && cp <= 0xdfff)
                return vt_err_set(err, VT_E_FORMAT, "audit: lone low surrogate in body");
            if (cp >= 0xd800 && cp <= 0xdbff) {
                if (i + 1 >= w->n || w->b[i] != '\\' || w->b[i + 1] != 'u' || !read_u4(w, i + 2, &lo) ||
                    lo < 0xdc00 || lo > 0xdfff)
                    return vt_err_set(err, VT_E_FORMAT, "audit: lone high surrogate in body");
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                i += 6;
            }
            if (cp < 0x80) {
                u[k++] = (uint8_t)cp;
            } else if (cp < 0x800) {
                u[k++] = (uint8_t)(0xc0 | cp >> 6);
                u[k++] = (uint8_t)(0x80 | (cp & 0x3f));
            } else if (cp < 0x10000) {
                u[k++] = (uint8_t)(0xe0 | cp >> 12);
                u[k++] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
                u[k++] = (uint8_t)(0x80 | (cp & 0x3f));
            } else {
                u[k++] = (uint8_t)(0xf0 | cp >> 18);
                u[k++] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
                u[k++] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
                u[k++] = (uint8_t)(0x80 | (cp & 0x3f));
            }
            if (dec != NULL) {
                rc = vt_buf_append(dec, u, k, err);
                if (rc != VT_OK)
                    return rc;
            }
        } else {
            static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
            const char *p = memchr(from, c, sizeof(from) - 1);
            if (p == NULL)
                return vt_err_set(err, VT_E_FORMAT, "audit: bad escape in body");
            if (dec != NULL) {
                rc = vt_buf_append(dec, &to[p - from], 1, err);
                if (rc != VT_OK)
                    return rc;
            }
            i += 2;
        }
        run = i;
    }
    w->i = i + 1;
    return VT_OK;
}

/* JSON string encoding of text: quotes, backslashes and control characters
 * escaped; UTF-8 passed through as it was decoded. */
static vt_status string_encode(vt_buf *out, const uint8_t *p, size_t n, vt_err *err)
{
    size_t run = 0;
    vt_status rc = vt_buf_append(out, "\"", 1, err);

    for (size_t i = 0; i < n && rc == VT_OK; i++) {
        uint8_t c = p[i];
        char esc[8];
        size_t el = 0;
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            el = 2;
        } else if (c < 0x20) {
            static const char hx[] = "0123456789abcdef";
            const char *named = c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t" : NULL;
            if (named != NULL) {
                memcpy(esc, named, 2);
                el = 2;
            } else {
                memcpy(esc, "\\u00", 4);
                esc[4] = hx[c >> 4];
                esc[5] = hx[c & 15];
                el = 6;
            }
        } else {
            continue;
        }
        rc = vt_buf_append(out, p + run, i - run, err);
        if (rc == VT_OK)
            rc = vt_buf_append(out, esc, el, err);
        run = i + 1;
    }
    if (rc == VT_OK)
        rc = vt_buf_append(out, p + run, n - run, err);
    if (rc == VT_OK)
        rc = vt_buf_append(out, "\"", 1, err);
    return rc;
}

static vt_status scan_string(walker *w, vt_err *err)
{
    size_t start = w->i, rel = 0;
    vt_audit_ctx *x = w->x;
    vt_status rc;

    x->dec.len = 0;
    x->red.len = 0;
    rc = string_decode(w, &x->dec, err);
    if (rc != VT_OK)
        return rc;
    w->st->changed = false;
    w->st->sw = SW_NONE;
    rc = vt__audit_run(x, w->st, x->dec.data, x->dec.len, 0, 0, true, &x->red, &rel, err);
    w->st->sw = SW_NONE;
    if (rc != VT_OK || !w->st->changed)
        return rc;
    rc = vt_buf_append(w->out, w->b + w->copied, start - w->copied, err);
    if (rc == VT_OK)
        rc = string_encode(w->out, x->red.data, x->red.len, err);
    w->copied = w->i;
    return rc;
}

/* Decodes an object key into k (at most ksz-1 bytes; longer keys become ""
 * since none of the keys we look for is long). */
static vt_status read_key(walker *w, char *k, size_t ksz, vt_err *err)
{
    vt_buf tmp = { 0 };
    vt_status rc;

    if (w->i >= w->n || w->b[w->i] != '"')
        return vt_err_set(err, VT_E_FORMAT, "audit: expected an object key in body");
    rc = string_decode(w, &tmp, err);
    k[0] = '\0';
    if (rc == VT_OK && tmp.len < ksz && (tmp.len == 0 || memchr(tmp.data, 0, tmp.len) == NULL)) {
        if (tmp.len > 0)
            memcpy(k, tmp.data, tmp.len);
        k[tmp.len] = '\0';
    }
    vt_buf_free(&tmp);
    return rc;
}

static vt_status walk_value(walker *w, wstate s, int depth, vt_err *err)
{
    vt_status rc = VT_OK;
    uint8_t c;

    if (depth > MAX_DEPTH)
        return vt_err_set(err, VT_E_LIMIT, "audit: body nests deeper than %d", MAX_DEPTH);
    skip_ws(w);
    if (w->i >= w->n)
        return vt_err_set(err, VT_E_FORMAT, "audit: truncated body");
    c = w->b[w->i];
    if (c == '{') {
        w->i++;
        skip_ws(w);
        if (w->i < w->n && w->b[w->i] == '}') {
            w->i++;
            return VT_OK;
        }
        for (;;) {
            char k[32];
            skip_ws(w);
            rc = read_key(w, k, sizeof(k), err);
            if (rc != VT_OK)
                return rc;
            skip_ws(w);
            if (w->i >= w->n || w->b[w->i] != ':')
                return vt_err_set(err, VT_E_FORMAT, "audit: expected ':' in body");
            w->i++;
            rc = walk_value(w, key_state(s, k), depth + 1, err);
            if (rc != VT_OK)
                return rc;
            skip_ws(w);
            if (w->i < w->n && w->b[w->i] == ',') {
                w->i++;
                continue;
            }
            if (w->i < w->n && w->b[w->i] == '}') {
                w->i++;
                return VT_OK;
            }
            return vt_err_set(err, VT_E_FORMAT, "audit: expected ',' or '}' in body");
        }
    }
    if (c == '[') {
        w->i++;
        skip_ws(w);
        if (w->i < w->n && w->b[w->i] == ']') {
            w->i++;
            return VT_OK;
        }
        for (;;) {
            rc = walk_value(w, elem_state(s), depth + 1, err);
            if (rc != VT_OK)
                return rc;
            skip_ws(w);
            if (w->i < w->n && w->b[w->i] == ',') {
                w->i++;
                continue;
            }
            if (w->i < w->n && w->b[w->i] == ']') {
                w->i++;
                return VT_OK;
            }
            return vt_err_set(err, VT_E_FORMAT, "audit: expected ',' or ']' in body");
        }
    }
    if (c == '"')
        return s == S_TEXT || s == S_CONTENT ? scan_string(w, err) : string_decode(w, NULL, err);
    /* A scalar: its grammar was checked by jansson. */
    {
        size_t st = w->i;
        while (w->i < w->n && !is_ws(w->b[w->i]) && w->b[w->i] != ',' && w->b[w->i] != '}' && w->b[w->i] != ']')
            w->i++;
        if (w->i == st)
            return vt_err_set(err, VT_E_FORMAT, "audit: expected a value in body");
    }
    return VT_OK;
}

vt_status vt__audit_walk(vt_audit_ctx *x, audit_state *st, const uint8_t *body, size_t len, vt_buf *forward,
                         vt_err *err)
{
    walker w = { body, len, 0, 0, x, st, forward };
    vt_status rc;

    skip_ws(&w);
    if (w.i >= len || body[w.i] != '{')
        return vt_err_set(err, VT_E_FORMAT, "audit: body is not a JSON object");
    rc = walk_value(&w, S_ROOT, 0, err);
    if (rc != VT_OK)
        return rc;
    skip_ws(&w);
    if (w.i != len)
        return vt_err_set(err, VT_E_FORMAT, "audit: trailing bytes after the JSON body");
    return vt_buf_append(forward, body + w.copied, len - w.copied, err);
}
