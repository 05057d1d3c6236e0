/* libFuzzer: the strict token reader (base/json_tokens.c) against jansson.
 * Whatever the reader accepts, jansson's strict load accepts too (the reader
 * is a subset: callers fall back to jansson for the rest, never the other way
 * round), and the document written back from the tokens holds the same JSON
 * value; every decoded string re-encodes to a string jansson reads back as
 * the same bytes.  Limits vary with the first byte.  And the loader built on
 * the reader (vt__json_loadb) gives exactly what jansson's strict load gives:
 * both refuse with the same message, or both give trees that write out to the
 * same bytes (values, types and member order). */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/json.h"
#include "base/json_tokens.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The document as compact JSON from its tokens (numbers as read). */
static void write_back(const vt_jt_list *l, const uint8_t *doc, vt_buf *out)
{
    bool comma = false;

    for (size_t i = 0; i < l->n; i++) {
        const vt_jt *t = &l->t[i];
        vt_status rc = VT_OK;
        if (comma && t->kind != VT_JT_OBJ_END && t->kind != VT_JT_ARR_END)
            rc = vt_buf_append(out, ",", 1, NULL);
        switch (t->kind) {
        case VT_JT_OBJ: rc |= vt_buf_append(out, "{", 1, NULL); break;
        case VT_JT_ARR: rc |= vt_buf_append(out, "[", 1, NULL); break;
        case VT_JT_OBJ_END: rc |= vt_buf_append(out, "}", 1, NULL); break;
        case VT_JT_ARR_END: rc |= vt_buf_append(out, "]", 1, NULL); break;
        case VT_JT_NUM: rc |= vt_buf_append(out, doc + t->off, t->len, NULL); break;
        case VT_JT_TRUE: rc |= vt_buf_append(out, "true", 4, NULL); break;
        case VT_JT_FALSE: rc |= vt_buf_append(out, "false", 5, NULL); break;
        case VT_JT_NULL: rc |= vt_buf_append(out, "null", 4, NULL); break;
        default:
            rc |= vt__json_put_string(out, vt__jt_str(l, t), t->len, NULL);
            if (t->kind == VT_JT_KEY)
                rc |= vt_buf_append(out, ":", 1, NULL);
            break;
        }
        if (rc != VT_OK)
            __builtin_trap(); /* decoded strings are valid UTF-8: writing them cannot fail */
        comma = t->kind != VT_JT_OBJ && t->kind != VT_JT_ARR && t->kind != VT_JT_KEY;
    }
}

/* vt__json_loadb against json_loadb on the same bytes with the same flags. */
static void same_as_jansson(const uint8_t *data, size_t size, size_t flags)
{
    json_error_t e1, e2;
    json_t *a = vt__json_loadb((const char *)data, size, flags, &e1);
    json_t *b = json_loadb((const char *)data, size, flags, &e2);
    char *da, *db;

    if ((a == NULL) != (b == NULL))
        __builtin_trap();
    if (a == NULL) {
        if (strcmp(e1.text, e2.text) != 0 || e1.position != e2.position)
            __builtin_trap(); /* the error is jansson's own */
        return;
    }
    da = json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY);
    db = json_dumps(b, JSON_COMPACT | JSON_ENCODE_ANY);
    if (da == NULL || db == NULL || strcmp(da, db) != 0 || !json_equal(a, b))
        __builtin_trap();
    free(da);
    free(db);
    json_decref(a);
    json_decref(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static vt_jt_list l;
    size_t max_tokens;
    unsigned max_depth;
    json_t *want, *got;
    vt_buf out = { 0 };

    if (size < 1)
        return 0;
    max_tokens = 8 + (size_t)(data[0] & 0x0f) * 64; /* 8 .. 968 */
    max_depth = 1 + (data[0] >> 4);                 /* 1 .. 16 */
    data++;
    size--;
    { /* the flags callers use: the verifier's, the gateway's, none */
        static const size_t fl[] = { JSON_REJECT_DUPLICATES, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, 0 };
        same_as_jansson(data, size, fl[max_tokens % 3]);
    }
    if (!vt__json_tokens(&l, data, size, max_tokens, max_depth))
        return 0;
    if (l.n > max_tokens || l.n < 2 || l.t[0].kind != VT_JT_OBJ || l.t[l.n - 1].kind != VT_JT_OBJ_END)
        __builtin_trap();
    want = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
    if (!json_is_object(want))
        __builtin_trap(); /* accepted what jansson refuses */
    write_back(&l, data, &out);
    got = json_loadb((const char *)out.data, out.len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
    if (got == NULL || !json_equal(want, got))
        __builtin_trap();
    json_decref(want);
    json_decref(got);
    vt_buf_free(&out);
    return 0;
}
