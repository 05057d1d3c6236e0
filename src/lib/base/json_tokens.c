/*
 * A strict JSON reader into a flat token list (json_tokens.h), for the hot
 * paths where building a jansson tree per document costs more than the work
 * done on it (every event of an audited stream).  No allocation per token:
 * the list, its decoded text and its key scratch are reused from one document
 * to the next.  It is deliberately narrower than jansson (the caller falls
 * back to jansson for anything it refuses), so it can never accept a document
 * that jansson's strict load would refuse.
 */
#include <stdlib.h>
#include <string.h>

#include "base/json_tokens.h"

#define MAX_DEPTH_CAP 64 /* depth is kept in a uint8_t; this stays far below */
#define MAX_KEYS 32      /* per object: the duplicate check compares each key with the others */
#define MAX_INT_DIGITS 18
#define MAX_NUM_DIGITS 40
#define MAX_EXP_DIGITS 2

/* Length of the valid UTF-8 sequence at p (the rules jansson's utf.c checks), 0 if invalid. */
static size_t utf8_seq(const uint8_t *p, const uint8_t *end)
{
    uint8_t c = p[0], lo = 0x80, hi = 0xbf;
    size_t n;

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        if (c == 0xe0)
            lo = 0xa0; /* overlong */
        else if (c == 0xed)
            hi = 0x9f; /* UTF-16 surrogates */
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        if (c == 0xf0)
            lo = 0x90; /* overlong */
        else if (c == 0xf4)
            hi = 0x8f; /* past U+10FFFF */
    } else {
        return 0;
    }
    if ((size_t)(end - p) < n || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (p[i] < 0x80 || p[i] > 0xbf)
            return 0;
    return n;
}

static int hex4(const uint8_t *p, const uint8_t *end)
{
    int v = 0;

    if (end - p < 4)
        return -1;
    for (int i = 0; i < 4; i++) {
        uint8_t c = p[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* The text buffer holds at least the input's length (decoding never grows a string). */
static void put_utf8(vt_buf *b, uint32_t cp)
{
    uint8_t *o = b->data + b->len;

    if (cp < 0x80) {
        o[0] = (uint8_t)cp;
        b->len += 1;
    } else if (cp < 0x800) {
        o[0] = (uint8_t)(0xc0 | cp >> 6);
        o[1] = (uint8_t)(0x80 | (cp & 0x3f));
        b->len += 2;
    } else if (cp < 0x10000) {
        o[0] = (uint8_t)(0xe0 | cp >> 12);
        o[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
        o[2] = (uint8_t)(0x80 | (cp & 0x3f));
        b->len += 3;
    } else {
        o[0] = (uint8_t)(0xf0 | cp >> 18);
        o[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3f));
        o[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
        o[3] = (uint8_t)(0x80 | (cp & 0x3f));
        b->len += 4;
    }
}

/* A string's body after its opening quote, decoded onto l->text; *pp ends after the closing quote. */
static bool read_string(vt_jt_list *l, const uint8_t **pp, const uint8_t *end, bool key, vt_jt *t)
{
    const uint8_t *p = *pp;
    vt_buf *b = &l->text;

    t->off = (uint32_t)b->len;
    for (;;) {
        const uint8_t *run = p;
        while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
            p++;
        memcpy(b->data + b->len, run, (size_t)(p - run));
        b->len += (size_t)(p - run);
        if (p == end || *p < 0x20)
            return false;
        if (*p == '"')
            break;
        if (*p >= 0x80) {
            size_t n = utf8_seq(p, end);
            if (n == 0)
                return false;
            memcpy(b->data + b->len, p, n);
            b->len += n;
            p += n;
            continue;
        }
        /* an escape */
        if (++p == end)
            return false;
        switch (*p++) {
        case '"': b->data[b->len++] = '"'; break;
        case '\\': b->data[b->len++] = '\\'; break;
        case '/': b->data[b->len++] = '/'; break;
        case 'b': b->data[b->len++] = '\b'; break;
        case 'f': b->data[b->len++] = '\f'; break;
        case 'n': b->data[b->len++] = '\n'; break;
        case 'r': b->data[b->len++] = '\r'; break;
        case 't': b->data[b->len++] = '\t'; break;
        case 'u': {
            int cp = hex4(p, end), lo;
            if (cp < 0)
                return false;
            p += 4;
            if (cp >= 0xdc00 && cp <= 0xdfff)
                return false; /* a low surrogate alone */
            if (cp >= 0xd800 && cp <= 0xdbff) {
                if (end - p < 6 || p[0] != '\\' || p[1] != 'u')
                    return false;
                lo = hex4(p + 2, end);
                if (lo < 0xdc00 || lo > 0xdfff)
                    return false;
                p += 6;
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            }
            if (cp == 0 && key)
                return false; /* jansson refuses NUL in keys */
            put_utf8(b, (uint32_t)cp);
            break;
        }
        default: return false;
        }
    }
    t->len = (uint32_t)(b->len - t->off);
    *pp = p + 1;
    return true;
}

static bool is_digit(uint8_t c)
{
    return c >= '0' && c <= '9';
}

static bool read_number(const uint8_t **pp, const uint8_t *end, const uint8_t *base, vt_jt *t)
{
    const uint8_t *p = *pp, *start = p;
    bool neg = false;
    unsigned idig = 0, fdig = 0, edig = 0;
    int64_t v = 0;

    if (*p == '-') {
        neg = true;
        p++;
    }
    if (p == end || !is_digit(*p))
        return false;
    if (*p == '0') {
        p++;
        idig = 1;
    } else {
        for (; p < end && is_digit(*p); p++, idig++)
            if (idig < MAX_INT_DIGITS)
                v = v * 10 + (*p - '0');
    }
    if (p < end && *p == '.') {
        p++;
        for (; p < end && is_digit(*p); p++)
            fdig++;
        if (fdig == 0)
            return false;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        for (; p < end && is_digit(*p); p++)
            edig++;
        if (edig == 0 || edig > MAX_EXP_DIGITS)
            return false;
    }
    if (idig + fdig > MAX_NUM_DIGITS)
        return false;
    t->integer = fdig == 0 && edig == 0;
    if (t->integer) {
        if (idig > MAX_INT_DIGITS)
            return false;
        t->ival = neg ? -v : v;
    }
    t->off = (uint32_t)(start - base);
    t->len = (uint32_t)(p - start);
    *pp = p;
    return true;
}

static vt_jt *push(vt_jt_list *l, vt_jt_kind kind, unsigned depth)
{
    vt_jt *t;

    if (l->n == l->max)
        return NULL;
    t = &l->t[l->n++];
    memset(t, 0, sizeof(*t));
    t->kind = (uint8_t)kind;
    t->depth = (uint8_t)depth;
    return t;
}

static bool sized(vt_jt_list *l, size_t max_tokens, size_t n)
{
    if (l->cap < max_tokens) {
        vt_jt *t = realloc(l->t, max_tokens * sizeof(*t));
        uint32_t *k = realloc(l->keys, max_tokens * sizeof(*k));
        if (t != NULL)
            l->t = t;
        if (k != NULL)
            l->keys = k;
        if (t == NULL || k == NULL)
            return false;
        l->cap = max_tokens;
    }
    if (l->open == NULL && (l->open = malloc(MAX_DEPTH_CAP * sizeof(*l->open))) == NULL)
        return false;
    l->max = max_tokens;
    l->n = 0;
    l->nkeys = 0;
    l->text.len = 0;
    return vt_buf_reserve(&l->text, n + 1, NULL) == VT_OK;
}

enum want { W_VALUE, W_VALUE_OR_END, W_KEY, W_KEY_OR_END, W_COMMA_OR_END };

bool vt__json_tokens(vt_jt_list *l, const uint8_t *p, size_t n, size_t max_tokens, unsigned max_depth)
{
    const uint8_t *base = p, *end = p + n;
    uint8_t stack[MAX_DEPTH_CAP];
    unsigned depth = 0;
    enum want want = W_VALUE;

    if (max_depth > MAX_DEPTH_CAP)
        max_depth = MAX_DEPTH_CAP;
    if (n > UINT32_MAX || !sized(l, max_tokens, n))
        return false;
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    if (p == end || *p != '{')
        return false; /* one object, as the callers' documents are */
    for (;;) {
        vt_jt *t;
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
            p++;
        if (want == W_COMMA_OR_END && depth == 0)
            return p == end;
        if (p == end)
            return false;
        if (want == W_COMMA_OR_END && *p == ',') {
            p++;
            want = stack[depth - 1] == '{' ? W_KEY : W_VALUE;
            continue;
        }
        if ((want == W_COMMA_OR_END || want == W_KEY_OR_END || want == W_VALUE_OR_END) &&
            *p == (stack[depth - 1] == '{' ? '}' : ']')) {
            if (stack[depth - 1] == '{')
                l->nkeys = l->open[depth - 1];
            depth--;
            if (push(l, stack[depth] == '{' ? VT_JT_OBJ_END : VT_JT_ARR_END, depth) == NULL)
                return false;
            p++;
            want = W_COMMA_OR_END;
            continue;
        }
        if (want == W_COMMA_OR_END)
            return false;
        if (want == W_KEY || want == W_KEY_OR_END) {
            size_t first = l->open[depth - 1];
            if (*p != '"' || l->nkeys - first >= MAX_KEYS || (t = push(l, VT_JT_KEY, depth)) == NULL)
                return false;
            p++;
            if (!read_string(l, &p, end, true, t))
                return false;
            for (size_t k = first; k < l->nkeys; k++) {
                const vt_jt *o = &l->t[l->keys[k]];
                if (o->len == t->len && memcmp(vt__jt_str(l, o), vt__jt_str(l, t), t->len) == 0)
                    return false; /* a duplicate key */
            }
            l->keys[l->nkeys++] = (uint32_t)(l->n - 1);
            while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
                p++;
            if (p == end || *p != ':')
                return false;
            p++;
            want = W_VALUE;
            continue;
        }
        /* a value */
        switch (*p) {
        case '{':
        case '[':
            if (depth == max_depth || (t = push(l, *p == '{' ? VT_JT_OBJ : VT_JT_ARR, depth)) == NULL)
                return false;
            stack[depth] = *p;
            l->open[depth] = l->nkeys;
            depth++;
            want = *p == '{' ? W_KEY_OR_END : W_VALUE_OR_END;
            p++;
            continue;
        case '"':
            if ((t = push(l, VT_JT_STR, depth)) == NULL)
                return false;
            p++;
            if (!read_string(l, &p, end, false, t))
                return false;
            break;
        case 't':
        case 'f':
        case 'n': {
            static const char *const lit[] = { "true", "false", "null" };
            static const vt_jt_kind kind[] = { VT_JT_TRUE, VT_JT_FALSE, VT_JT_NULL };
            size_t i = *p == 't' ? 0 : *p == 'f' ? 1 : 2, len = strlen(lit[i]);
            if ((size_t)(end - p) < len || memcmp(p, lit[i], len) != 0 || push(l, kind[i], depth) == NULL)
                return false;
            p += len;
            break;
        }
        default:
            if ((t = push(l, VT_JT_NUM, depth)) == NULL || !read_number(&p, end, base, t))
                return false;
            break;
        }
        want = W_COMMA_OR_END;
    }
}

size_t vt__jt_skip(const vt_jt_list *l, size_t i)
{
    const vt_jt *t = &l->t[i];

    if (t->kind != VT_JT_OBJ && t->kind != VT_JT_ARR)
        return i + 1;
    for (size_t j = i + 1; j < l->n; j++) /* a container ends at the first end token of its depth */
        if ((l->t[j].kind == VT_JT_OBJ_END || l->t[j].kind == VT_JT_ARR_END) && l->t[j].depth == t->depth)
            return j + 1;
    return l->n; /* not reached: the reader only hands out balanced lists */
}

void vt__json_tokens_free(vt_jt_list *l)
{
    free(l->t);
    free(l->keys);
    free(l->open);
    vt_buf_free(&l->text);
    memset(l, 0, sizeof(*l));
}

vt_status vt__json_put_string(vt_buf *out, const uint8_t *s, size_t n, vt_err *err)
{
    static const char hex[] = "0123456789ABCDEF";
    const uint8_t *p = s, *end = s + n;
    uint8_t *o;

    /* Room for the worst case (every byte a \u00XX escape), so the loop writes without checks. */
    if (n > (SIZE_MAX - 3) / 6)
        return vt_err_set(err, VT_E_LIMIT, "json: a string is too long");
    if (out->cap - out->len < 6 * n + 3 && vt_buf_reserve(out, 6 * n + 2, err) != VT_OK)
        return VT_E_NOMEM;
    o = out->data + out->len;
    *o++ = '"';
    while (p < end) {
        uint8_t c = *p;
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            *o++ = c;
            p++;
        } else if (c >= 0x80) {
            size_t k = utf8_seq(p, end);
            if (k == 0)
                return vt_err_set(err, VT_E_FORMAT, "json: a string is not valid UTF-8");
            memcpy(o, p, k);
            o += k;
            p += k;
        } else {
            *o++ = '\\';
            p++;
            switch (c) {
            case '"': *o++ = '"'; break;
            case '\\': *o++ = '\\'; break;
            case '\b': *o++ = 'b'; break;
            case '\f': *o++ = 'f'; break;
            case '\n': *o++ = 'n'; break;
            case '\r': *o++ = 'r'; break;
            case '\t': *o++ = 't'; break;
            default:
                memcpy(o, "u00", 3);
                o[3] = (uint8_t)hex[c >> 4];
                o[4] = (uint8_t)hex[c & 15];
                o += 5;
                break;
            }
        }
    }
    *o++ = '"';
    out->len = (size_t)(o - out->data);
    return VT_OK;
}

vt_status vt__json_put_int(vt_buf *out, int64_t v, vt_err *err)
{
    char d[24], *p = d + sizeof(d);
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    if (v < 0)
        *--p = '-';
    return vt_buf_append(out, p, (size_t)(d + sizeof(d) - p), err);
}

vt_status vt__json_unescape_lenient(vt_buf *out, const uint8_t *s, size_t n, bool *decoded, vt_err *err)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const uint8_t *end = s + n;
    vt_status rc;

    *decoded = false;
    rc = vt_buf_reserve(out, n, err); /* put_utf8 writes in place: decoding never grows */
    if (rc != VT_OK)
        return rc;
    while (s < end) {
        const char *e = s[0] == '\\' && end - s > 1 && s[1] != '\0' ? strchr(from, s[1]) : NULL;
        int u = s[0] == '\\' && end - s > 1 && s[1] == 'u' ? hex4(s + 2, end) : -1;

        if (u >= 0) {
            s += 6;
            if (u >= 0xd800 && u < 0xdc00 && end - s > 1 && s[0] == '\\' && s[1] == 'u') {
                int lo = hex4(s + 2, end);
                if (lo >= 0xdc00 && lo < 0xe000) {
                    u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
                    s += 6;
                }
            }
            put_utf8(out, u >= 0xd800 && u < 0xe000 ? 0xfffd : (uint32_t)u);
            *decoded = true;
        } else if (e != NULL) {
            out->data[out->len++] = (uint8_t)to[e - from];
            s += 2;
            *decoded = true;
        } else {
            out->data[out->len++] = *s++;
        }
    }
    return VT_OK;
}
