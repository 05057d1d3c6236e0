/*
 * Reading a receipt's payload without a JSON tree: the token road
 * (receipt_int.h).  A verifier checks every receipt a gateway sends before it
 * enters the log, and `perf` put jansson's tree of the payload — built, walked,
 * the auditors dumped again with sorted keys — at a quarter of the verifier's
 * time per receipt.  This road reads the payload with the strict token reader
 * (base/json_tokens.c) and takes only what it can decide exactly as the tree
 * road would: any doubt, and every error, goes to the tree road in receipt.c,
 * which stays the definition.  fuzz/fuzz_receipt.c runs every input through
 * both and traps on a difference.
 */
#include <stdlib.h>
#include <string.h>

#include "audit/receipt_int.h"
#include "audit/report_tree.h"
#include "base/json_tokens.h"

#define PAYLOAD_TOKENS 4096 /* a gateway's payload has ~100; more goes to the tree */
#define PAYLOAD_DEPTH 16
#define PUT_DEPTH (PAYLOAD_DEPTH + 1)

static bool str_is(const vt_jt_list *l, const vt_jt *t, const char *s)
{
    size_t n = strlen(s);
    return t->kind == VT_JT_STR && t->len == n && memcmp(vt__jt_str(l, t), s, n) == 0;
}

/* Keys compared as strcmp compares them (no key holds a NUL). */
static int key_cmp(const vt_jt_list *l, const vt_jt *a, const vt_jt *b)
{
    int c = memcmp(vt__jt_str(l, a), vt__jt_str(l, b), a->len < b->len ? a->len : b->len);
    return c != 0 ? c : (a->len > b->len) - (a->len < b->len);
}

/*
 * Writes the value at token *pi as jansson's compact, key-sorted dump writes it
 * and moves *pi past it.  false when only a tree could say: an object's keys
 * not already in order, or a number with a fraction or exponent (jansson
 * writes a real its own way).
 */
static bool put_sorted(vt_buf *out, const vt_jt_list *l, size_t *pi)
{
    uint8_t kind[PUT_DEPTH];
    bool first[PUT_DEPTH];
    const vt_jt *last[PUT_DEPTH];
    size_t i = *pi;
    unsigned base = l->t[i].depth;

    for (;;) {
        const vt_jt *t = &l->t[i++];
        unsigned lvl = t->depth - base;
        bool ok = true;

        if (t->kind == VT_JT_OBJ_END || t->kind == VT_JT_ARR_END) {
            ok = vt__buf_put1(out, t->kind == VT_JT_OBJ_END ? '}' : ']') == VT_OK;
        } else {
            if (lvl > 0 && (kind[lvl - 1] == VT_JT_ARR || t->kind == VT_JT_KEY)) {
                if (!first[lvl - 1] && vt__buf_put1(out, ',') != VT_OK)
                    return false;
                first[lvl - 1] = false;
            }
            switch (t->kind) {
            case VT_JT_KEY:
                if (last[lvl - 1] != NULL && key_cmp(l, last[lvl - 1], t) >= 0)
                    return false;
                last[lvl - 1] = t;
                ok = vt__json_put_string(out, vt__jt_str(l, t), t->len, NULL) == VT_OK &&
                     vt__buf_put1(out, ':') == VT_OK;
                break;
            case VT_JT_OBJ:
            case VT_JT_ARR:
                if (lvl >= PUT_DEPTH)
                    return false;
                kind[lvl] = t->kind;
                first[lvl] = true;
                last[lvl] = NULL;
                ok = vt__buf_put1(out, t->kind == VT_JT_OBJ ? '{' : '[') == VT_OK;
                break;
            case VT_JT_STR:
                ok = vt__json_put_string(out, vt__jt_str(l, t), t->len, NULL) == VT_OK;
                break;
            case VT_JT_NUM:
                ok = t->integer && vt__json_put_int(out, t->ival, NULL) == VT_OK;
                break;
            default:
                ok = vt_buf_append(out, t->kind == VT_JT_TRUE ? "true" : t->kind == VT_JT_FALSE ? "false" : "null",
                                   t->kind == VT_JT_FALSE ? 5 : 4, NULL) == VT_OK;
                break;
            }
        }
        if (!ok)
            return false;
        if (lvl == 0 && t->kind != VT_JT_OBJ && t->kind != VT_JT_ARR)
            break;
    }
    *pi = i;
    return true;
}

/* put_sorted into a fresh NUL-terminated string (of at most max bytes). */
static bool dump_sorted(char **out, const vt_jt_list *l, size_t i, size_t max)
{
    vt_buf b;

    vt_buf_init(&b);
    if (!put_sorted(&b, l, &i) || b.len > max || vt_buf_terminate(&b, NULL) != VT_OK) {
        vt_buf_free(&b);
        return false;
    }
    *out = (char *)b.data; /* the buffer's bytes become the string (vt_buf_free would wipe them) */
    return true;
}

static bool get_str(char *out, size_t cap, const vt_jt_list *l, const vt_jt *t)
{
    if (t == NULL || t->kind != VT_JT_STR || t->len >= cap)
        return false;
    memcpy(out, vt__jt_str(l, t), t->len);
    out[t->len] = '\0';
    return true;
}

static bool get_hex32(uint8_t out[32], const vt_jt_list *l, const vt_jt *t)
{
    return t != NULL && t->kind == VT_JT_STR && t->len == 64 &&
           vt_hex_decode(out, 32, (const char *)vt__jt_str(l, t), 64, NULL) == VT_OK;
}

static bool get_int(int64_t *out, const vt_jt *t)
{
    if (t == NULL || t->kind != VT_JT_NUM || !t->integer)
        return false;
    *out = t->ival;
    return true;
}

/* Which of names[0..n) the key at token t is; n when none. */
static size_t key_index(const vt_jt_list *l, const vt_jt *t, const char *const *names, size_t n)
{
    size_t k = 0;

    while (k < n && !vt__jt_key_is(l, t, names[k]))
        k++;
    return k;
}

/* A coverage list at token i: known phase names, none twice. */
static bool phases(unsigned *out, const vt_jt_list *l, size_t i)
{
    size_t end = vt__jt_skip(l, i);

    *out = 0;
    if (l->t[i].kind != VT_JT_ARR)
        return false;
    for (i++; i + 1 < end; i++) {
        unsigned bit = 0;
        for (size_t k = 0; k < 4; k++)
            if (str_is(l, &l->t[i], vt_audit_phase_name(vt__audit_phase_order[k])))
                bit = (unsigned)vt__audit_phase_order[k];
        if (bit == 0 || (*out & bit))
            return false;
        *out |= bit;
    }
    return true;
}

/* "coverage" at token i: exactly {audited, failed, unaudited}. */
static bool coverage(vt_receipt *r, const vt_jt_list *l, size_t i)
{
    size_t end = vt__jt_skip(l, i), at[3] = { 0, 0, 0 }, nkeys = 0;
    static const char *const names[3] = { "audited", "failed", "unaudited" };

    if (l->t[i].kind != VT_JT_OBJ)
        return false;
    for (i++; i + 1 < end; i = vt__jt_skip(l, i + 1), nkeys++) {
        size_t k = key_index(l, &l->t[i], names, 3);
        if (k == 3)
            return false;
        at[k] = i + 1;
    }
    if (nkeys != 3 || !phases(&r->audited, l, at[0]) || !phases(&r->failed, l, at[1]) ||
        (r->audited & r->failed) || l->t[at[2]].kind != VT_JT_ARR)
        return false;
    for (size_t k = at[2] + 1; k + 1 < vt__jt_skip(l, at[2]); k++)
        if (l->t[k].kind != VT_JT_STR)
            return false;
    return dump_sorted(&r->unaudited, l, at[2], SIZE_MAX);
}

/* "usage" at token i: null, or exactly three integers. */
static bool usage(vt_receipt *r, const vt_jt_list *l, size_t i)
{
    size_t end = vt__jt_skip(l, i), nkeys = 0;
    bool got[3] = { false, false, false };
    static const char *const names[3] = { "prompt_tokens", "completion_tokens", "total_tokens" };
    int64_t *dst[3] = { &r->prompt_tokens, &r->completion_tokens, &r->total_tokens };

    if (l->t[i].kind == VT_JT_NULL)
        return true;
    if (l->t[i].kind != VT_JT_OBJ)
        return false;
    for (i++; i + 1 < end; i = vt__jt_skip(l, i + 1), nkeys++) {
        size_t k = key_index(l, &l->t[i], names, 3);
        if (k == 3 || !get_int(dst[k], &l->t[i + 1]))
            return false;
        got[k] = true;
    }
    return nkeys == 3 && got[0] && got[1] && got[2];
}

/* "deployments" at token i: 1..16 objects of exactly the five string members, each short. */
static bool deployments(vt_receipt *r, const vt_jt_list *l, size_t i)
{
    size_t end = vt__jt_skip(l, i), count = 0;

    if (l->t[i].kind != VT_JT_ARR)
        return false;
    for (size_t e = i + 1; e + 1 < end; e = vt__jt_skip(l, e), count++) {
        size_t eend = vt__jt_skip(l, e), nkeys = 0;
        if (l->t[e].kind != VT_JT_OBJ)
            return false;
        for (size_t k = e + 1; k + 1 < eend; k = vt__jt_skip(l, k + 1), nkeys++) {
            size_t m = key_index(l, &l->t[k], vt__receipt_deployment_members, RECEIPT_NDEPMEMBERS);
            if (m == RECEIPT_NDEPMEMBERS || l->t[k + 1].kind != VT_JT_STR ||
                l->t[k + 1].len > RECEIPT_DEPLOYMENT_VALUE_MAX)
                return false;
        }
        if (nkeys != RECEIPT_NDEPMEMBERS) /* no key twice (the reader refuses that), so all five */
            return false;
    }
    return count >= 1 && count <= RECEIPT_DEPLOYMENTS_MAX && dump_sorted(&r->deployments, l, i, SIZE_MAX);
}

enum { M_RECEIPT, M_PASSPORT, M_ENVIRONMENT, M_ENCLAVE_KEY, M_MODEL, M_REQUEST_RECEIVED, M_REQUEST_FORWARDED,
       M_RESPONSE, M_STREAMED, M_ENDPOINT, M_UPSTREAM_STATUS, M_STATUS, M_CONTENT_TYPE, M_COVERAGE, M_VERDICT,
       M_AUDITORS, M_USAGE, M_RECEIVED_MS, M_COMPLETED_MS, M_DEPLOYMENTS };

static bool fill(vt_receipt *r, const vt_jt_list *l)
{
    const vt_jt *m[RECEIPT_NMEMBERS] = { NULL };
    size_t at[RECEIPT_NMEMBERS] = { 0 };
    int64_t st = 0;

    if (memchr(l->text.data, 0, l->text.len) != NULL)
        return false; /* the tree road loads without JSON_ALLOW_NUL: it refuses a NUL in any string */
    for (size_t i = 1; i + 1 < l->n; i = vt__jt_skip(l, i + 1)) {
        size_t k = key_index(l, &l->t[i], vt__receipt_members, RECEIPT_NMEMBERS);
        if (k == RECEIPT_NMEMBERS)
            return false;
        m[k] = &l->t[i + 1];
        at[k] = i + 1;
    }
    for (size_t k = 0; k < RECEIPT_NMEMBERS; k++)
        if (m[k] == NULL && k != M_DEPLOYMENTS)
            return false;
    if (!get_str(r->id, sizeof(r->id), l, m[M_RECEIPT]) || !get_str(r->passport, sizeof(r->passport), l, m[M_PASSPORT]) ||
        !get_str(r->environment, sizeof(r->environment), l, m[M_ENVIRONMENT]) ||
        !get_str(r->enclave_key, sizeof(r->enclave_key), l, m[M_ENCLAVE_KEY]) || !get_hex32(r->model, l, m[M_MODEL]) ||
        !get_hex32(r->request_received, l, m[M_REQUEST_RECEIVED]) ||
        !get_hex32(r->request_forwarded, l, m[M_REQUEST_FORWARDED]) || !get_hex32(r->response, l, m[M_RESPONSE]))
        return false;
    if (m[M_STREAMED]->kind != VT_JT_TRUE && m[M_STREAMED]->kind != VT_JT_FALSE)
        return false;
    r->streamed = m[M_STREAMED]->kind == VT_JT_TRUE;
    if (!get_str(r->endpoint, sizeof(r->endpoint), l, m[M_ENDPOINT]) || !get_int(&st, m[M_UPSTREAM_STATUS]) ||
        st < 0 || st > 999)
        return false;
    r->upstream_status = (int)st;
    if (!get_int(&st, m[M_STATUS]) || st < 100 || st > 599)
        return false;
    r->status = (int)st;
    if (!get_str(r->content_type, sizeof(r->content_type), l, m[M_CONTENT_TYPE]) || !coverage(r, l, at[M_COVERAGE]) ||
        !get_str(r->verdict, sizeof(r->verdict), l, m[M_VERDICT]) || !usage(r, l, at[M_USAGE]) ||
        !get_int(&r->received_ms, m[M_RECEIVED_MS]) || !get_int(&r->completed_ms, m[M_COMPLETED_MS]))
        return false;
    if (m[M_DEPLOYMENTS] != NULL && !deployments(r, l, at[M_DEPLOYMENTS]))
        return false;
    return m[M_AUDITORS]->kind == VT_JT_ARR && dump_sorted(&r->auditors, l, at[M_AUDITORS], RECEIPT_AUDITORS_MAX);
}

bool vt__receipt_payload_tokens(vt_receipt *r, const uint8_t *p, size_t len)
{
    vt_jt_list l;
    bool ok;

    memset(&l, 0, sizeof(l));
    memset(r, 0, sizeof(*r));
    r->prompt_tokens = r->completion_tokens = r->total_tokens = -1;
    ok = vt__json_tokens(&l, p, len, PAYLOAD_TOKENS, PAYLOAD_DEPTH) && fill(r, &l);
    vt__json_tokens_free(&l);
    if (!ok)
        vt_receipt_clear(r);
    return ok;
}
