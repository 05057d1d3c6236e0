/*
 * The stream auditor's fast path (docs/auditors.md, "Streams").
 *
 * A model streams one small chunk per token, and building a jansson tree of
 * each, walking it and serialising it again cost more than the audit itself.
 * Nearly every chunk has one shape: choices whose delta carries text fields
 * as strings (or a completion's "text") and no other string in the delta or
 * the choice but its logprobs (a role, a member no one has invented yet, which
 * response.c joins across events), a finish_reason that is null or absent, no tool calls
 * (function or custom: their text is held whole by response.c), no usage.
 * Such an event goes through the token walk (audit/tokens.c: a reader that
 * accepts a strict subset of what jansson's strict load accepts,
 * the same scans in the same order as response.c's tree walk) and is written
 * out again from the tokens: every string re-encoded
 * from its decoded form, numbers as they were read (their grammar checked),
 * the text fields replaced by what their holdback scanners release.  Anything
 * else (another shape, a member "arguments" holding a string anywhere, which
 * only the tree walk audits decoded, a key that a scan would rename, anything
 * near a limit) is left untouched for response.c, so both paths send the same
 * JSON values for every event; fuzz/fuzz_audit_response.c compares them.
 */
#include <stdlib.h>
#include <string.h>

#include "audit/sse_int.h"
#include "audit/tokens.h"

#define FAST_MAX_TOKENS 256
#define FAST_MAX_DEPTH 16

/* A streamed text field of this event. */
typedef struct fast_take {
    size_t pos;        /* position in choices[] */
    int idx, kind;     /* choices[].index, F_* */
    size_t val;        /* token number of its string */
    sse_field *f;
} fast_take;

static bool take(vt_audit_sse *s, fast_take *tk, size_t *ntk, size_t pos, int kind, size_t key)
{
    if (*ntk == SSE_MAX_FIELDS)
        return false;
    tk[*ntk] = (fast_take){ pos, -1, kind, key + 1, NULL };
    s->tw->repl[key] = AUDIT_TOK_TAKEN;
    s->tw->repl[key + 1] = AUDIT_TOK_TAKEN;
    (*ntk)++;
    return true;
}

/* The order response.c takes a choice's fields in: "text", then the delta's in F_ order. */
static int take_rank(int kind)
{
    return kind == F_TEXT ? -1 : kind;
}

/* Does the value at token v hold a string (an object's keys aside)? */
static bool holds_str(const vt_jt_list *l, size_t v)
{
    for (size_t e = vt__jt_skip(l, v); v < e; v++)
        if (l->t[v].kind == VT_JT_STR)
            return true;
    return false;
}

/* One choice object at token o: its index and its streamed fields, or false (not this shape).  seen:
 * the indexes of the event's choices so far (one twice is refused by response.c). */
static bool choice(vt_audit_sse *s, size_t o, size_t pos, fast_take *tk, size_t *ntk, uint8_t *seen)
{
    static const int held[] = { F_CONTENT, F_REFUSAL, F_REASONING_CONTENT, F_REASONING };
    const vt_jt_list *l = &s->tw->l;
    size_t first = *ntk, delta = 0, i = o + 1;
    int idx = (int)pos;
    bool holder = false;

    while (l->t[i].kind != VT_JT_OBJ_END) {
        const vt_jt *k = &l->t[i], *v = &l->t[i + 1];
        if (vt__jt_key_is(l, k, "index")) {
            if (v->kind != VT_JT_NUM || !v->integer || v->ival < 0 || v->ival > SSE_MAX_INDEX)
                return false; /* refused by response.c, with its message */
            idx = (int)v->ival;
        } else if (vt__jt_key_is(l, k, "finish_reason")) {
            if (v->kind != VT_JT_NULL)
                return false; /* it releases the held-back text into this event, or is refused */
        } else if (vt__jt_key_is(l, k, "message")) {
            return false;
        } else if (vt__jt_key_is(l, k, "text")) {
            if (v->kind != VT_JT_STR && v->kind != VT_JT_NULL)
                return false; /* text as parts: joined part after part by response.c */
            if (v->kind == VT_JT_STR && !take(s, tk, ntk, pos, F_TEXT, i))
                return false;
        } else if (vt__jt_key_is(l, k, "delta")) {
            if (v->kind != VT_JT_OBJ && holds_str(l, i + 1))
                return false; /* a delta written as a string: joined across events by response.c */
            holder = v->kind != VT_JT_NULL;
            delta = v->kind == VT_JT_OBJ ? i + 1 : 0;
        } else if (!vt__jt_key_is(l, k, "logprobs") && holds_str(l, i + 1)) {
            return false; /* a string of the choice's own (a member no one has invented yet): joined by response.c */
        }
        i = vt__jt_skip(l, i + 1);
    }
    i = delta != 0 ? delta + 1 : l->n;
    for (; i < l->n && l->t[i].kind != VT_JT_OBJ_END; i = vt__jt_skip(l, i + 1)) {
        const vt_jt *k = &l->t[i];
        vt_jt_kind vk = l->t[i + 1].kind;
        bool streamed = false;
        if (vt__jt_key_is(l, k, "tool_calls") || vt__jt_key_is(l, k, "function_call"))
            return false; /* a call's arguments or custom input: held whole, by response.c */
        for (size_t h = 0; h < sizeof(held) / sizeof(held[0]); h++) {
            if (!vt__jt_key_is(l, k, vt__sse_field_name[held[h]]))
                continue;
            streamed = true;
            if (vk != VT_JT_NULL && (vk != VT_JT_STR || !take(s, tk, ntk, pos, held[h], i)))
                return false; /* text as parts: joined part after part by response.c */
        }
        if (!streamed && (vk == VT_JT_STR || vk == VT_JT_OBJ || vk == VT_JT_ARR))
            return false; /* another string of the delta (the role): joined across events by response.c */
    }
    if (vt__sse_choice_finished(s, idx) || (seen[idx / 8] >> (idx % 8)) & 1 || vt__sse_choice_thinks(s, idx) ||
        (holder && s->layout[idx] != L_NONE && s->layout[idx] != L_DELTA))
        return false; /* after its finish_reason (refused by response.c, or an empty trailer); twice; reasoning; a
                       * message before (refused by response.c) */
    seen[idx / 8] |= (uint8_t)(1u << (idx % 8));
    /* Its layout, a delta: the one response.c would give this event should the event go there. */
    if (holder)
        s->layout[idx] = L_DELTA;
    for (size_t t = first; t < *ntk; t++)
        tk[t].idx = idx;
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
    const vt_jt_list *l = &s->tw->l;
    uint8_t seen[(SSE_MAX_INDEX + 8) / 8] = { 0 };
    size_t i = 1;

    *ntk = 0;
    while (l->t[i].kind != VT_JT_OBJ_END) {
        const vt_jt *k = &l->t[i], *v = &l->t[i + 1];
        if (vt__jt_key_is(l, k, "usage") && v->kind != VT_JT_NULL)
            return false; /* token counts: read from jansson's tree */
        if (vt__jt_key_is(l, k, "choices") && v->kind == VT_JT_ARR) {
            size_t c = i + 2, pos = 0;
            for (; l->t[c].kind != VT_JT_ARR_END; c = vt__jt_skip(l, c), pos++)
                if (l->t[c].kind != VT_JT_OBJ || pos > SSE_MAX_INDEX || !choice(s, c, pos, tk, ntk, seen))
                    return false;
        }
        i = vt__jt_skip(l, i + 1);
    }
    return s->nf + *ntk <= SSE_MAX_FIELDS;
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
    if (s->tw == NULL && (s->tw = calloc(1, sizeof(*s->tw))) == NULL)
        return VT_OK; /* jansson, which reports the shortage */
    if (!vt__audit_tokens_read(s->tw, data, len, FAST_MAX_TOKENS, FAST_MAX_DEPTH) ||
        vt__audit_tokens_has_arguments(s->tw) || !shape(s, tk, &ntk))
        return VT_OK;
    rc = vt__audit_tokens_scan(s->tw, s->x, &s->st, 0, &next, &renamed, err);
    if (rc == VT_OK && renamed) {
        s->st = before; /* no side effect yet but the counts, which response.c makes again */
        return VT_OK;
    }
    *done = true;
    s->fast_events++;
    /* The streamed fields, fed in response.c's order; a block stops the feeding there. */
    for (size_t i = 0; rc == VT_OK && i < ntk; i++) {
        const vt_jt *t = &s->tw->l.t[tk[i].val];
        rc = vt__sse_field_get(&tk[i].f, s, tk[i].idx, H_DELTA, tk[i].kind, -1, err);
        if (rc != VT_OK)
            break;
        s->txt.len = 0;
        tk[i].f->wrote |= t->len > 0;
        rc = vt_audit_stream_feed(tk[i].f->s, vt__jt_str(&s->tw->l, t), t->len, &s->txt, err);
        if (rc == VT_OK && vt_audit_stream_blocked(tk[i].f->s))
            break;
        if (rc == VT_OK)
            rc = vt__audit_tokens_replace(s->tw, tk[i].val, s->txt.data, s->txt.len, err);
    }
    if (rc == VT_OK && !vt_audit_sse_blocked(s))
        rc = vt__audit_tokens_write(s->tw, out, data, err);
    if (rc == VT_OK)
        rc = vt__sse_keep_last(s, out, mark, err);
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
