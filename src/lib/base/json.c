/*
 * JSON helpers that no JSON library offers: the exact bytes of a member's
 * value as they were served.  Signatures over JSON documents (Intel PCS
 * collateral, and the like) cover those bytes, which re-serializing a parsed
 * document does not reproduce.  A bounded scanner over vt_rd, no allocation.
 * And a compact serialiser of jansson trees straight into a vt_buf, the same
 * bytes as jansson's own and several times faster (vt__json_dump_buf), and a
 * loader that builds jansson's tree from the strict token reader
 * (vt__json_loadb).
 */
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/json_tokens.h"

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

/*
 * The compact serialisation, written here rather than through jansson's dump
 * (which spends ~13 us on a 2 KB receipt payload, escaping through a callback
 * per piece): byte for byte what json_dumps writes with the same flags
 * (tests/unit/base/test_json.c and fuzz/fuzz_json_dump.c compare them).
 * 1: written; 0: not this writer's case (a real number, a key holding NUL,
 * nesting past DUMP_MAX_DEPTH, a string jansson would refuse): the caller
 * lets jansson write the whole document; -1: out of memory.
 */
#define DUMP_MAX_DEPTH 128

static int key_order(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b); /* jansson's JSON_SORT_KEYS order */
}

static int dump_compact(vt_buf *out, const json_t *v, bool sorted, unsigned depth);

static int dump_member(vt_buf *out, const char *key, size_t klen, const json_t *val, bool first, bool sorted,
                       unsigned depth)
{
    vt_status rc = first ? VT_OK : vt__buf_put1(out, ',');

    if (klen != strlen(key))
        return 0;
    if (rc == VT_OK)
        rc = vt__json_put_string(out, (const uint8_t *)key, klen, NULL);
    if (rc == VT_E_FORMAT)
        return 0;
    if (rc != VT_OK || vt__buf_put1(out, ':') != VT_OK)
        return -1;
    return dump_compact(out, val, sorted, depth + 1);
}

static int dump_compact(vt_buf *out, const json_t *v, bool sorted, unsigned depth)
{
    int r = 1;

    if (depth > DUMP_MAX_DEPTH)
        return 0;
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *key;
        size_t klen, n = json_object_size(v), i = 0;
        json_t *val;
        if (vt__buf_put1(out, '{') != VT_OK)
            return -1;
        if (!sorted || n < 2) {
            json_object_keylen_foreach((json_t *)v, key, klen, val) {
                if ((r = dump_member(out, key, klen, val, i++ == 0, sorted, depth)) != 1)
                    return r;
            }
        } else {
            const char *few[16], **keys = n <= 16 ? few : malloc(n * sizeof(*keys));
            if (keys == NULL)
                return -1;
            json_object_keylen_foreach((json_t *)v, key, klen, val) {
                if (klen != strlen(key)) {
                    if (keys != few)
                        free(keys);
                    return 0; /* NUL in a key: strcmp cannot order it as jansson would */
                }
                keys[i++] = key;
            }
            qsort(keys, n, sizeof(*keys), key_order);
            for (i = 0; i < n && r == 1; i++)
                r = dump_member(out, keys[i], strlen(keys[i]), json_object_get(v, keys[i]), i == 0, sorted, depth);
            if (keys != few)
                free(keys);
            if (r != 1)
                return r;
        }
        return vt__buf_put1(out, '}') == VT_OK ? 1 : -1;
    }
    case JSON_ARRAY:
        if (vt__buf_put1(out, '[') != VT_OK)
            return -1;
        for (size_t i = 0; i < json_array_size(v) && r == 1; i++) {
            if (i > 0 && vt__buf_put1(out, ',') != VT_OK)
                return -1;
            r = dump_compact(out, json_array_get(v, i), sorted, depth + 1);
        }
        if (r != 1)
            return r;
        return vt__buf_put1(out, ']') == VT_OK ? 1 : -1;
    case JSON_STRING: {
        vt_status rc = vt__json_put_string(out, (const uint8_t *)json_string_value(v), json_string_length(v), NULL);
        return rc == VT_OK ? 1 : rc == VT_E_FORMAT ? 0 : -1;
    }
    case JSON_INTEGER: return vt__json_put_int(out, json_integer_value(v), NULL) == VT_OK ? 1 : -1;
    case JSON_TRUE: return vt_buf_append(out, "true", 4, NULL) == VT_OK ? 1 : -1;
    case JSON_FALSE: return vt_buf_append(out, "false", 5, NULL) == VT_OK ? 1 : -1;
    case JSON_NULL: return vt_buf_append(out, "null", 4, NULL) == VT_OK ? 1 : -1;
    default: return 0; /* JSON_REAL: jansson's own %.17g rules */
    }
}

vt_status vt__json_dump_buf(vt_buf *out, const json_t *doc, size_t flags, vt_err *err)
{
    size_t mark = out->len;
    int r = 0;

    if (doc != NULL && (flags & JSON_COMPACT) && !(flags & ~(size_t)(JSON_COMPACT | JSON_SORT_KEYS | JSON_PRESERVE_ORDER)) &&
        (json_is_object(doc) || json_is_array(doc)))
        r = dump_compact(out, doc, (flags & JSON_SORT_KEYS) != 0, 0);
    if (r == 1)
        return VT_OK;
    out->len = mark;
    if (r == 0 && doc != NULL && json_dump_callback(doc, dump_append, out, flags) == 0)
        return VT_OK;
    out->len = mark;
    return vt_err_set(err, VT_E_NOMEM, "json: cannot serialise the document");
}

/* ---- loading ---- */

#define LOAD_DEPTH 64 /* deeper documents go to jansson (whose own limit is 2048) */

/* A real number's value, as jansson's load converts it: strtod in the "C" locale this program
 * never leaves (jansson swaps the decimal point for the locale's; the reader's bounds keep the
 * value finite).  false when the locale's decimal point is not '.'. */
static bool real_of(double *out, const uint8_t *num, size_t len)
{
    char s[64]; /* the reader takes at most 40 digits, a sign, '.', 'e', a sign and 2 digits */
    const struct lconv *lc = localeconv();

    if (len >= sizeof(s) || lc == NULL || strcmp(lc->decimal_point, ".") != 0)
        return false;
    memcpy(s, num, len);
    s[len] = '\0';
    *out = strtod(s, NULL);
    return true;
}

/* The tree of the tokens in l (numbers' bytes in doc), or NULL when they hold what only
 * jansson may judge (a NUL in a string without allow_nul, a real under another locale) or
 * memory ran out. */
static json_t *tree_of(const vt_jt_list *l, const uint8_t *doc, bool allow_nul)
{
    json_t *stack[LOAD_DEPTH + 1], *root = NULL;
    const vt_jt *key = NULL;
    size_t sp = 0;

    for (size_t i = 0; i < l->n; i++) {
        const vt_jt *t = &l->t[i];
        json_t *v = NULL;
        switch (t->kind) {
        case VT_JT_OBJ_END:
        case VT_JT_ARR_END:
            sp--;
            continue;
        case VT_JT_KEY:
            key = t;
            continue;
        case VT_JT_OBJ: v = json_object(); break;
        case VT_JT_ARR: v = json_array(); break;
        case VT_JT_STR:
            if (allow_nul || memchr(vt__jt_str(l, t), '\0', t->len) == NULL) /* refused without JSON_ALLOW_NUL */
                v = json_stringn_nocheck((const char *)vt__jt_str(l, t), t->len); /* the reader checked the UTF-8 */
            break;
        case VT_JT_NUM: {
            double d;
            if (t->integer)
                v = json_integer((json_int_t)t->ival);
            else if (real_of(&d, doc + t->off, t->len))
                v = json_real(d);
            break;
        }
        case VT_JT_TRUE: v = json_true(); break;
        case VT_JT_FALSE: v = json_false(); break;
        case VT_JT_NULL: v = json_null(); break;
        }
        if (v == NULL)
            goto fail;
        if (sp == 0) {
            root = v;
        } else if (json_is_object(stack[sp - 1])) {
            /* keys are unique and NUL-free: the reader refused the rest */
            if (key == NULL) { /* a value without its key: the reader never makes one */
                json_decref(v);
                goto fail;
            }
            if (json_object_setn_new_nocheck(stack[sp - 1], (const char *)vt__jt_str(l, key), key->len, v) != 0)
                goto fail; /* the set took v, also when it failed */
        } else if (json_array_append_new(stack[sp - 1], v) != 0) {
            goto fail;
        }
        if (t->kind == VT_JT_OBJ || t->kind == VT_JT_ARR) {
            if (sp == LOAD_DEPTH) /* the reader's own limit keeps this from happening */
                goto fail;
            stack[sp++] = v;
        }
    }
    return root;
fail:
    json_decref(root);
    return NULL;
}

json_t *vt__json_loadb(const char *p, size_t n, size_t flags, json_error_t *je)
{
    vt_jt_list l;
    json_t *j = NULL;

    memset(&l, 0, sizeof(l));
    /* Room for a token per 16 bytes (and 256): the reader allocates it up front.  Denser
     * documents (long arrays of small numbers) are jansson's. */
    if ((flags & ~(size_t)(JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL)) == 0 && n > 0 && n < ((size_t)64 << 20) &&
        vt__json_tokens(&l, (const uint8_t *)p, n, n / 16 + 256, LOAD_DEPTH))
        j = tree_of(&l, (const uint8_t *)p, (flags & JSON_ALLOW_NUL) != 0);
    vt__json_tokens_free(&l);
    return j != NULL ? j : json_loadb(p, n, flags, je);
}
