/*
 * The stream auditor's fast path (docs/auditors.md, "Streams").
 *
 * A model streams one small chunk per token, and building a jansson tree of
 * each, walking it and serialising it again cost more than the audit itself.
 * Nearly every chunk has one shape: choices whose delta carries text fields
 * as strings (or a completion's "text"), no finish_reason yet, no tool calls,
 * no usage.  Such an event is read into a flat token list by a reader that
 * accepts a strict subset of what jansson's strict load accepts
 * (base/json_tokens.h), audited with the same scans in the same order as
 * response.c, and written out again from the tokens: every string re-encoded
 * from its decoded form, numbers as they were read (their grammar checked),
 * the text fields replaced by what their holdback scanners release.  Anything
 * else (another shape, a key that a scan would rename, anything near a limit)
 * is left untouched for response.c, so both paths send the same JSON values
 * for every event; fuzz/fuzz_audit_response.c compares them.
 */
#include <stdlib.h>
#include <string.h>

#include "audit/sse_int.h"

#define FAST_MAX_TOKENS 256
#define FAST_MAX_DEPTH 16
#define OWN UINT32_MAX         /* the token is sent as it was read */
#define TAKEN (UINT32_MAX - 1) /* a streamed field's key or text: not scanned as the rest */

/* A streamed text field of this event. */
typedef struct fast_take {
    size_t pos;        /* position in choices[] */
    int idx, kind;     /* choices[].index, F_* */
    size_t val;        /* token number of its string */
    sse_field *f;
} fast_take;

static bool key_is(const vt_jt_list *l, const vt_jt *t, const char *name)
{
    size_t n = strlen(name);
    return t->kind == VT_JT_KEY && t->len == n && memcmp(vt__jt_str(l, t), name, n) == 0;
}

/* The token number just past the value that starts at token i. */
static size_t skip_value(const vt_jt_list *l, size_t i)
{
    const vt_jt *t = &l->t[i];

    if (t->kind != VT_JT_OBJ && t->kind != VT_JT_ARR)
        return i + 1;
    for (size_t j = i + 1; j < l->n; j++)
        if ((l->t[j].kind == VT_JT_OBJ_END || l->t[j].kind == VT_JT_ARR_END) && l->t[j].depth == t->depth)
            return j + 1;
    return l->n;
}

static bool take(vt_audit_sse *s, fast_take *tk, size_t *ntk, size_t pos, int kind, size_t key)
{
    if (*ntk == SSE_MAX_FIELDS)
        return false;
    tk[*ntk] = (fast_take){ pos, -1, kind, key + 1, NULL };
    s->repl[key] = TAKEN;
    s->repl[key + 1] = TAKEN;
    (*ntk)++;
    return true;
}

/* The order response.c takes a choice's fields in: "text", then the delta's in F_ order. */
static int take_rank(int kind)
{
    return kind == F_TEXT ? -1 : kind;
}

/* One choice object at token o: its index and its streamed fields, or false (not this shape). */
static bool choice(vt_audit_sse *s, size_t o, size_t pos, fast_take *tk, size_t *ntk)
{
    static const int held[] = { F_CONTENT, F_REFUSAL, F_REASONING_CONTENT, F_REASONING };
    const vt_jt_list *l = &s->toks;
    size_t first = *ntk, delta = 0, i = o + 1;
    int idx = (int)pos;

    while (l->t[i].kind != VT_JT_OBJ_END) {
        const vt_jt *k = &l->t[i], *v = &l->t[i + 1];
        if (key_is(l, k, "index")) {
            if (v->kind != VT_JT_NUM || !v->integer || v->ival < 0 || v->ival > SSE_MAX_INDEX)
                return false; /* refused by response.c, with its message */
            idx = (int)v->ival;
        } else if (key_is(l, k, "finish_reason")) {
            if (v->kind == VT_JT_STR)
                return false; /* it releases the held-back text into this event */
        } else if (key_is(l, k, "message")) {
            return false;
        } else if (key_is(l, k, "text")) {
            if (v->kind == VT_JT_STR && !take(s, tk, ntk, pos, F_TEXT, i))
                return false;
        } else if (key_is(l, k, "delta") && v->kind == VT_JT_OBJ) {
            delta = i + 1;
        }
        i = skip_value(l, i + 1);
    }
    for (i = delta != 0 ? delta + 1 : l->n; i < l->n && l->t[i].kind != VT_JT_OBJ_END; i = skip_value(l, i + 1)) {
        const vt_jt *k = &l->t[i];
        if (key_is(l, k, "tool_calls") || key_is(l, k, "function_call"))
            return false;
        for (size_t h = 0; h < sizeof(held) / sizeof(held[0]); h++)
            if (key_is(l, k, vt__sse_field_name[held[h]]) && l->t[i + 1].kind == VT_JT_STR &&
                !take(s, tk, ntk, pos, held[h], i))
                return false;
    }
    for (size_t t = first; t < *ntk; t++) {
        sse_field *f = vt__sse_field_find(s, idx, tk[t].kind, -1);
        if (f != NULL && f->done)
            return false; /* text after its finish_reason: refused by response.c */
        tk[t].idx = idx;
    }
    /* Sort this choice's fields into response.c's order (at most five). */
    for (size_t a = first + 1; a < *ntk; a++)
        for (size_t b = a; b > first && take_rank(tk[b].kind) < take_rank(tk[b - 1].kind); b--) {
            fast_take x = tk[b];
            tk[b] = tk[b - 1];
            tk[b - 1] = x;
        }
    return true;
}

/* The event's shape: its streamed fields in tk, or false when response.c must audit it. */
static bool shape(vt_audit_sse *s, fast_take *tk, size_t *ntk)
{
    const vt_jt_list *l = &s->toks;
    size_t i = 1;

    *ntk = 0;
    for (size_t j = 0; j < l->n; j++)
        s->repl[j] = OWN;
    while (l->t[i].kind != VT_JT_OBJ_END) {
        const vt_jt *k = &l->t[i], *v = &l->t[i + 1];
        if (key_is(l, k, "usage") && v->kind != VT_JT_NULL)
            return false; /* token counts: read from jansson's tree */
        if (key_is(l, k, "choices") && v->kind == VT_JT_ARR) {
            size_t c = i + 2, pos = 0;
            for (; l->t[c].kind != VT_JT_ARR_END; c = skip_value(l, c), pos++)
                if (l->t[c].kind != VT_JT_OBJ || pos > SSE_MAX_INDEX || !choice(s, c, pos, tk, ntk))
                    return false;
        }
        i = skip_value(l, i + 1);
    }
    return s->nf + *ntk <= SSE_MAX_FIELDS;
}

/* Keeps text in s->rel as the text sent for token i. */
static vt_status replace(vt_audit_sse *s, size_t i, const uint8_t *p, size_t n, vt_err *err)
{
    uint32_t len = (uint32_t)n;
    size_t at = s->rel.len;
    vt_status rc = vt_buf_append(&s->rel, &len, sizeof(len), err);

    if (rc == VT_OK)
        rc = vt_buf_append(&s->rel, p, n, err);
    if (rc == VT_OK)
        s->repl[i] = (uint32_t)at;
    return rc;
}

/*
 * Scans the value at token i and everything in it in response.c's order (an
 * object's values, then its keys), streamed fields left out.  *renamed: a
 * key would change, which only response.c can do.
 */
static vt_status scan_value(vt_audit_sse *s, size_t i, size_t *next, bool *renamed, vt_err *err)
{
    const vt_jt_list *l = &s->toks;
    const vt_jt *t = &l->t[i];
    vt_status rc = VT_OK;

    if (t->kind == VT_JT_STR) {
        *next = i + 1;
        if (s->repl[i] == TAKEN)
            return VT_OK;
        rc = vt__audit_scan_text(s->x, &s->st, vt__jt_str(l, t), t->len, err);
        if (rc == VT_OK && s->st.changed)
            rc = replace(s, i, s->x->red.data, s->x->red.len, err);
        return rc;
    }
    if (t->kind == VT_JT_ARR) {
        for (i++; rc == VT_OK && l->t[i].kind != VT_JT_ARR_END && !*renamed;)
            rc = scan_value(s, i, &i, renamed, err);
        *next = i + 1;
        return rc;
    }
    if (t->kind == VT_JT_OBJ) {
        size_t o = i;
        for (i++; rc == VT_OK && l->t[i].kind != VT_JT_OBJ_END && !*renamed;)
            rc = scan_value(s, i + 1, &i, renamed, err);
        for (i = o + 1; rc == VT_OK && l->t[i].kind != VT_JT_OBJ_END && !*renamed; i = skip_value(l, i + 1)) {
            if (s->repl[i] == TAKEN)
                continue;
            rc = vt__audit_scan_text(s->x, &s->st, vt__jt_str(l, &l->t[i]), l->t[i].len, err);
            *renamed = rc == VT_OK && s->st.changed;
        }
        *next = skip_value(l, o);
        return rc;
    }
    *next = i + 1;
    return VT_OK;
}

/* The event as sent: compact JSON from the tokens, with the texts kept in s->rel. */
static vt_status write_event(vt_audit_sse *s, vt_buf *out, const uint8_t *data, vt_err *err)
{
    const vt_jt_list *l = &s->toks;
    bool comma = false;
    vt_status rc = vt_buf_reserve(out, l->text.len + 8 * l->n + 16, err);

    for (size_t i = 0; rc == VT_OK && i < l->n; i++) {
        const vt_jt *t = &l->t[i];
        const uint8_t *p;
        uint32_t n;
        if (comma && t->kind != VT_JT_OBJ_END && t->kind != VT_JT_ARR_END)
            rc = vt_buf_append(out, ",", 1, err);
        if (rc != VT_OK)
            break;
        switch (t->kind) {
        case VT_JT_OBJ: rc = vt_buf_append(out, "{", 1, err); break;
        case VT_JT_ARR: rc = vt_buf_append(out, "[", 1, err); break;
        case VT_JT_OBJ_END: rc = vt_buf_append(out, "}", 1, err); break;
        case VT_JT_ARR_END: rc = vt_buf_append(out, "]", 1, err); break;
        case VT_JT_NUM: rc = vt_buf_append(out, data + t->off, t->len, err); break;
        case VT_JT_TRUE: rc = vt_buf_append(out, "true", 4, err); break;
        case VT_JT_FALSE: rc = vt_buf_append(out, "false", 5, err); break;
        case VT_JT_NULL: rc = vt_buf_append(out, "null", 4, err); break;
        default: /* KEY, STR */
            p = vt__jt_str(l, t);
            n = t->len;
            if (s->repl[i] != OWN && s->repl[i] != TAKEN) {
                memcpy(&n, s->rel.data + s->repl[i], sizeof(n));
                p = s->rel.data + s->repl[i] + sizeof(n);
            }
            rc = vt__json_put_string(out, p, n, NULL);
            if (rc == VT_E_FORMAT)
                rc = vt_err_set(err, VT_E_FORMAT, "audit: released stream text is not valid UTF-8");
            else if (rc != VT_OK)
                rc = vt_err_set(err, rc, "audit: out of memory");
            if (rc == VT_OK && t->kind == VT_JT_KEY)
                rc = vt_buf_append(out, ":", 1, err);
            break;
        }
        comma = t->kind != VT_JT_OBJ && t->kind != VT_JT_ARR && t->kind != VT_JT_KEY;
    }
    return rc;
}

vt_status vt__audit_sse_fast(vt_audit_sse *s, vt_buf *out, const uint8_t *data, size_t len, bool *done, vt_err *err)
{
    fast_take tk[SSE_MAX_FIELDS];
    size_t ntk = 0, mark = out->len, next;
    audit_state before = s->st;
    bool renamed = false;
    vt_status rc = VT_OK;

    *done = false;
    if (len > VT_AUDIT_MAX_BODY)
        return VT_OK;
    if (s->repl == NULL) {
        s->repl = malloc(FAST_MAX_TOKENS * sizeof(*s->repl));
        if (s->repl == NULL)
            return VT_OK; /* jansson, which reports the shortage */
    }
    if (!vt__json_tokens(&s->toks, data, len, FAST_MAX_TOKENS, FAST_MAX_DEPTH) || !shape(s, tk, &ntk))
        return VT_OK;
    s->rel.len = 0;
    rc = scan_value(s, 0, &next, &renamed, err);
    if (rc == VT_OK && renamed) {
        s->st = before; /* no side effect yet but the counts, which response.c makes again */
        return VT_OK;
    }
    *done = true;
    s->fast_events++;
    /* The streamed fields, fed in response.c's order; a block stops the feeding there. */
    for (size_t i = 0; rc == VT_OK && i < ntk; i++) {
        const vt_jt *t = &s->toks.t[tk[i].val];
        rc = vt__sse_field_get(&tk[i].f, s, tk[i].idx, tk[i].kind, -1, err);
        if (rc != VT_OK)
            break;
        s->txt.len = 0;
        rc = vt_audit_stream_feed(tk[i].f->s, vt__jt_str(&s->toks, t), t->len, &s->txt, err);
        if (rc == VT_OK && vt_audit_stream_blocked(tk[i].f->s))
            break;
        if (rc == VT_OK)
            rc = replace(s, tk[i].val, s->txt.data, s->txt.len, err);
    }
    if (rc == VT_OK && !vt_audit_sse_blocked(s))
        rc = write_event(s, out, data, err);
    if (rc == VT_OK && out->len > mark) { /* the final chunk copies this one's id, object, created, model */
        json_decref(s->last);
        s->last = NULL;
        s->last_raw.len = 0;
        rc = vt_buf_append(&s->last_raw, out->data + mark, out->len - mark, err);
    }
    if (rc != VT_OK)
        out->len = mark;
    return rc;
}

void vt__audit_sse_set_fast(vt_audit_sse *s, bool on)
{
    s->no_fast = !on;
}

size_t vt__audit_sse_fast_events(const vt_audit_sse *s)
{
    return s->fast_events;
}
