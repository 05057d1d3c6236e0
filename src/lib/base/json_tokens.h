/* Internal: a strict JSON reader into a flat token list, and the matching
 * string writer (json_tokens.c). */
#ifndef VT_BASE_JSON_TOKENS_H
#define VT_BASE_JSON_TOKENS_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "veritee/base.h"

typedef enum { VT_JT_OBJ, VT_JT_OBJ_END, VT_JT_ARR, VT_JT_ARR_END, VT_JT_KEY, VT_JT_STR, VT_JT_NUM,
               VT_JT_TRUE, VT_JT_FALSE, VT_JT_NULL } vt_jt_kind;

typedef struct vt_jt {
    uint8_t kind;      /* vt_jt_kind */
    uint8_t depth;     /* containers open around the token: the top object's members are at 1 */
    bool integer;      /* VT_JT_NUM without fraction or exponent: its value is ival */
    uint32_t off, len; /* KEY, STR: the decoded UTF-8 in the list's text; NUM: its bytes in the input */
    int64_t ival;
} vt_jt;

typedef struct vt_jt_list {
    vt_jt *t;
    size_t n, cap;   /* tokens read, room for */
    size_t max;      /* the most this document may have (<= cap) */
    vt_buf text;     /* every decoded key and string, one after another */
    size_t *open;    /* per open object: where its keys start in keys[] */
    uint32_t *keys;  /* token numbers of the keys of the objects still open */
    size_t nkeys;
} vt_jt_list;

/*
 * Reads one JSON object from p[0..n) into l (reused: earlier tokens are
 * dropped).  The reader accepts a strict subset of what jansson's strict load
 * (JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL) accepts, so that a caller may use
 * it in place of that load and fall back to jansson for everything else:
 * RFC 8259 grammar, one object and nothing after it but whitespace, UTF-8
 * without overlongs, surrogates or code points past U+10FFFF, escapes with
 * paired surrogates only, no raw control characters, no NUL in keys, no
 * duplicate keys (compared decoded).  On top of that it refuses, rather than
 * judge, what sits near a limit: more than max_tokens tokens, nesting deeper
 * than max_depth, more than 32 keys in one object, integers of more than 18
 * digits, numbers of more than 40 digits or with an exponent of more than two
 * digits (so no number can overflow a double).  false: not read (malformed,
 * outside the subset, or out of memory); the caller decides with jansson.
 */
bool vt__json_tokens(vt_jt_list *l, const uint8_t *p, size_t n, size_t max_tokens, unsigned max_depth);
void vt__json_tokens_free(vt_jt_list *l);

/* The token number just past the value that starts at token i (a container: past its end). */
size_t vt__jt_skip(const vt_jt_list *l, size_t i);

/* The decoded bytes of a KEY or STR token. */
static inline const uint8_t *vt__jt_str(const vt_jt_list *l, const vt_jt *t)
{
    return l->text.data + t->off;
}

/* Is t the key `name` (decoded, compared byte for byte)? */
static inline bool vt__jt_key_is(const vt_jt_list *l, const vt_jt *t, const char *name)
{
    size_t n = strlen(name);
    return t->kind == VT_JT_KEY && t->len == n && memcmp(vt__jt_str(l, t), name, n) == 0;
}

/* Appends v in decimal (as jansson writes a JSON integer). */
vt_status vt__json_put_int(vt_buf *out, int64_t v, vt_err *err);

/* Appends one byte, without a call when there is room (a vt_buf keeps one spare byte for a
 * NUL): the JSON writers' separators and brackets. */
static inline vt_status vt__buf_put1(vt_buf *out, char c)
{
    if (out->len + 1 < out->cap) {
        out->data[out->len++] = (uint8_t)c;
        return VT_OK;
    }
    return vt_buf_append(out, &c, 1, NULL);
}

/*
 * Appends s[0..n) to out as a JSON string, escaped as jansson's compact dump
 * escapes ('"', '\\' and control characters; UTF-8 left as it is).  VT_E_FORMAT
 * when s is not valid UTF-8 (out keeps its length).
 */
vt_status vt__json_put_string(vt_buf *out, const uint8_t *s, size_t n, vt_err *err);

/*
 * Appends s[0..n) to out with every JSON escape decoded as a lenient reader decodes it,
 * wherever it stands (a reader that keeps the last of two keys, or reads a prefix of a string
 * cut short, still decodes the escapes in what it keeps): \uXXXX (a pair of surrogates as one
 * character, a lone one as U+FFFD) and the one-character escapes; a backslash before anything
 * else stays.  *decoded says whether any escape was.  Never longer than s.
 */
vt_status vt__json_unescape_lenient(vt_buf *out, const uint8_t *s, size_t n, bool *decoded, vt_err *err);

#endif
