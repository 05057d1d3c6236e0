/* The auditor chain at run time: per-thread contexts, the four phases, the
 * streaming scanner and the report (its JSON: report.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "audit/audit_int.h"
#include "audit/tokens.h"

#define H VT_AUDIT_HOLDBACK

/* ---- contexts ---- */
vt_status vt_audit_ctx_new(vt_audit_ctx **out, const vt_audit_chain *c, vt_err *err)
{
    vt_audit_ctx *x = calloc(1, sizeof(*x));

    *out = NULL;
    if (x == NULL)
        return vt_err_set(err, VT_E_NOMEM, "audit: out of memory");
    x->c = c;
    /* One scratch sized for both databases; the databases stay shared. */
    if ((c->req.db != NULL && hs_alloc_scratch(c->req.db, &x->scratch) != HS_SUCCESS) ||
        (c->resp.db != NULL && hs_alloc_scratch(c->resp.db, &x->scratch) != HS_SUCCESS)) {
        vt_audit_ctx_free(x);
        return vt_err_set(err, VT_E_NOMEM, "audit: cannot allocate Hyperscan scratch");
    }
    *out = x;
    return VT_OK;
}

void vt_audit_ctx_free(vt_audit_ctx *x)
{
    if (x == NULL)
        return;
    hs_free_scratch(x->scratch);
    free(x->cands.v);
    free(x->marks.v);
    free(x->groups.v);
    vt_buf_free(&x->dec); /* wipes: it held request text */
    vt_buf_free(&x->red);
    vt__audit_norm_free(&x->norm);
    vt_wipe(x->clean, sizeof(x->clean)); /* it held short strings of requests */
    if (x->tw != NULL)
        vt__audit_tokens_free(x->tw); /* wipes the texts it held */
    free(x->tw);
    free(x);
}

/* ---- reports ---- */
void vt_audit_report_init(vt_audit_report *r)
{
    r->verdict = VT_AUDIT_ALLOW;
    r->entry_len = 0;
    r->audited = 0;
    r->failed = 0;
    r->unaudited_len = 0;
}

void vt_audit_report_covered(vt_audit_report *r, vt_audit_phase phase) { r->audited |= (unsigned)phase; }

void vt_audit_report_failed(vt_audit_report *r, vt_audit_phase phase)
{
    r->failed |= (unsigned)phase;
    r->audited &= ~(unsigned)phase;
}

void vt_audit_report_unaudited(vt_audit_report *r, const char *field)
{
    const char *name = field;

    for (size_t i = 0; i < r->unaudited_len; i++)
        if (strcmp(r->unaudited[i], field) == 0)
            return;
    if (r->unaudited_len == VT_AUDIT_MAX_UNAUDITED)
        return;
    if (r->unaudited_len == VT_AUDIT_MAX_UNAUDITED - 1)
        name = "...";
    audit_copy_name(r->unaudited[r->unaudited_len], VT_AUDIT_NAME_MAX, name);
    {
        /* A name cut to fit ends before a character it would cut (it goes into receipts as JSON). */
        char *u = r->unaudited[r->unaudited_len++];
        size_t n = strlen(u), k = n;
        while (k > 0 && ((unsigned char)u[k - 1] & 0xc0) == 0x80)
            k--;
        if (k > 0 && (unsigned char)u[k - 1] >= 0xc0 &&
            n - (k - 1) < ((unsigned char)u[k - 1] >= 0xf0 ? 4u : (unsigned char)u[k - 1] >= 0xe0 ? 3u : 2u))
            u[k - 1] = '\0';
    }
}

vt_audit_entry *vt__audit_entry_add(vt_audit_report *rep, const audit_auditor *a, vt_audit_phase phase)
{
    vt_audit_entry *e;

    if (rep->entry_len == sizeof(rep->entries) / sizeof(rep->entries[0]))
        return NULL;
    e = &rep->entries[rep->entry_len++];
    memset(e, 0, sizeof(*e));
    audit_copy_name(e->name, sizeof(e->name), a->name);
    audit_copy_name(e->version, sizeof(e->version), a->version);
    memcpy(e->config_digest, a->digest, 32);
    e->phase = phase;
    e->verdict = VT_AUDIT_ALLOW;
    return e;
}

void vt__audit_entry_verdict(vt_audit_report *rep, vt_audit_entry *e, vt_audit_verdict v)
{
    if (v > e->verdict)
        e->verdict = v;
    if (v > rep->verdict)
        rep->verdict = v;
}

void vt__audit_entry_note(vt_audit_entry *e, const char *key, int64_t v)
{
    if (v < 0 || e->note_len == VT_AUDIT_MAX_NOTES)
        return;
    audit_copy_name(e->notes[e->note_len].key, sizeof(e->notes[0].key), key);
    e->notes[e->note_len++].value = v;
}

/* Appends "type xN" for every blocked type of auditor ai to the reason. */
static void block_reason(vt_audit_entry *e, const vt_audit_chain *c, const audit_state *st, size_t ai)
{
    size_t off = strlen(e->reason);

    for (size_t t = 0; t < c->type_len; t++) {
        if (c->types[t].auditor != ai || c->types[t].action != ACT_BLOCK || st->counts[t] == 0)
            continue;
        if (off == 0)
            off = (size_t)snprintf(e->reason, sizeof(e->reason), "%s: blocked in %s:", e->name,
                                   vt_audit_phase_name(st->phase));
        if (off < sizeof(e->reason))
            off += (size_t)snprintf(e->reason + off, sizeof(e->reason) - off, " %s x%u", c->types[t].name,
                                    st->counts[t]);
    }
}

void vt__audit_entries(vt_audit_report *rep, const vt_audit_chain *c, const audit_state *st, const char *model,
                       size_t body_len, bool have_body)
{
    for (size_t ai = 0; ai < c->len; ai++) {
        const audit_auditor *a = &c->a[ai];
        vt_audit_entry *e;

        if (!(a->phases & st->phase) || (a->kind != A_PII && a->kind != A_POLICY))
            continue;
        e = vt__audit_entry_add(rep, a, st->phase);
        if (e == NULL)
            return;
        for (size_t t = 0; t < c->type_len; t++) {
            if (c->types[t].auditor != ai || st->counts[t] == 0)
                continue;
            if (e->count_len < VT_AUDIT_MAX_TYPES) {
                audit_copy_name(e->counts[e->count_len].type, sizeof(e->counts[0].type), c->types[t].name);
                e->counts[e->count_len++].count = st->counts[t];
            }
            vt__audit_entry_verdict(rep, e, (vt_audit_verdict)c->types[t].action);
        }
        if (a->kind == A_POLICY && have_body && st->phase == VT_AUDIT_REQUEST) {
            bool ok = a->model_len == 0;
            if (a->max_input != 0 && body_len > a->max_input) {
                snprintf(e->reason, sizeof(e->reason), "policy: input of %zu bytes exceeds max_input_bytes %zu",
                         body_len, a->max_input);
                vt__audit_entry_verdict(rep, e, VT_AUDIT_BLOCK);
            }
            for (size_t m = 0; !ok && model != NULL && m < a->model_len; m++)
                ok = strcmp(model, a->models[m]) == 0;
            if (!ok) {
                if (e->reason[0] == '\0')
                    snprintf(e->reason, sizeof(e->reason), "policy: model '%.64s' is not allowed",
                             model != NULL ? model : "(none)");
                vt__audit_entry_verdict(rep, e, VT_AUDIT_BLOCK);
            }
        }
        if (e->verdict == VT_AUDIT_BLOCK && e->reason[0] == '\0')
            block_reason(e, c, st, ai);
    }
}

const char *vt_audit_report_block_reason(const vt_audit_report *r)
{
    for (size_t i = 0; i < r->entry_len; i++)
        if (r->entries[i].verdict == VT_AUDIT_BLOCK)
            return r->entries[i].reason;
    return NULL;
}

/* ---- phases ---- */
vt_status vt_audit_artifact(vt_audit_report *rep, const vt_audit_chain *c, const uint8_t *digest, size_t digest_len,
                            vt_err *err)
{
    for (size_t ai = 0; ai < c->len; ai++) {
        const audit_auditor *a = &c->a[ai];
        vt_audit_entry *e;
        bool ok = false;

        if (a->kind != A_ARTIFACT || !(a->phases & VT_AUDIT_ARTIFACT))
            continue;
        if (digest_len == 0 || digest_len > 64)
            return vt_err_set(err, VT_E_ARG, "audit: model digest of %zu bytes", digest_len);
        e = vt__audit_entry_add(rep, a, VT_AUDIT_ARTIFACT);
        if (e == NULL)
            return vt_err_set(err, VT_E_LIMIT, "audit: report is full");
        for (size_t i = 0; i < a->ref_len; i++)
            ok |= a->ref_lens[i] == digest_len && vt_ct_equal(a->refs[i], digest, digest_len);
        if (!ok) {
            snprintf(e->reason, sizeof(e->reason),
                     "artifact: measured model digest matches none of the %zu reference digests", a->ref_len);
            vt__audit_entry_verdict(rep, e, VT_AUDIT_BLOCK);
        }
    }
    return VT_OK;
}

vt_status vt_audit_text(vt_audit_report *rep, vt_buf *out, vt_audit_ctx *x, vt_audit_phase phase, const void *text,
                        size_t len, vt_err *err)
{
    audit_state st;
    size_t rel;
    vt_status rc;

    if (phase != VT_AUDIT_REQUEST && phase != VT_AUDIT_RESPONSE)
        return vt_err_set(err, VT_E_ARG, "audit: text is scanned in the request or response phase");
    if (len > VT_AUDIT_MAX_BODY)
        return vt_err_set(err, VT_E_LIMIT, "audit: text of %zu bytes exceeds %zu", len, VT_AUDIT_MAX_BODY);
    memset(&st, 0, sizeof(st));
    st.db = phase == VT_AUDIT_REQUEST ? &x->c->req : &x->c->resp;
    st.phase = phase;
    rc = vt__audit_run(x, &st, text, len, 0, 0, true, out, &rel, err);
    if (rc == VT_OK && rep != NULL)
        vt__audit_entries(rep, x->c, &st, NULL, len, false);
    return rc;
}

void vt_audit_exec_init(vt_audit_exec *e)
{
    e->latency_us = e->upstream_status = e->prompt_tokens = e->completion_tokens = e->total_tokens = -1;
}

void vt__audit_usage_from(vt_audit_exec *e, const json_t *doc)
{
    json_t *u = json_object_get(doc, "usage");

    if (json_is_object(u)) {
        json_t *p = json_object_get(u, "prompt_tokens"), *c = json_object_get(u, "completion_tokens");
        json_t *t = json_object_get(u, "total_tokens");
        if (json_is_integer(p))
            e->prompt_tokens = json_integer_value(p);
        if (json_is_integer(c))
            e->completion_tokens = json_integer_value(c);
        if (json_is_integer(t))
            e->total_tokens = json_integer_value(t);
    }
}

/* The counts of a top-level "usage" object from a token list (integers only, as from a tree). */
static void usage_from_tokens(vt_audit_exec *e, const vt_jt_list *l)
{
    static const char *const names[] = { "prompt_tokens", "completion_tokens", "total_tokens" };
    int64_t *const fields[] = { &e->prompt_tokens, &e->completion_tokens, &e->total_tokens };

    for (size_t i = 1; l->t[i].kind != VT_JT_OBJ_END; i = vt__jt_skip(l, i + 1)) {
        const vt_jt *k = &l->t[i];
        if (l->t[i + 1].kind != VT_JT_OBJ || !vt__jt_key_is(l, k, "usage"))
            continue;
        for (size_t j = i + 2; l->t[j].kind != VT_JT_OBJ_END; j = vt__jt_skip(l, j + 1)) {
            const vt_jt *uk = &l->t[j], *v = &l->t[j + 1];
            for (size_t f = 0; f < 3; f++)
                if (v->kind == VT_JT_NUM && v->integer && vt__jt_key_is(l, uk, names[f]))
                    *fields[f] = v->ival;
        }
    }
}

/* Reads the body's tokens (base/json_tokens.c) instead of building a tree: the body is parsed
 * again here only for its token counts.  What the reader does not take (duplicate keys, whose
 * last value jansson keeps here; long numbers; ...) goes through jansson as before. */
#define USAGE_MAX_TOKENS 512
void vt_audit_exec_usage(vt_audit_exec *e, const uint8_t *body, size_t len)
{
    vt_jt_list l = { 0 };
    json_t *doc;

    if (len > VT_AUDIT_MAX_BODY)
        return;
    if (vt__json_tokens(&l, body, len, USAGE_MAX_TOKENS, 64)) {
        usage_from_tokens(e, &l);
        vt__json_tokens_free(&l);
        return;
    }
    vt__json_tokens_free(&l);
    doc = json_loadb((const char *)body, len, 0, NULL);
    vt__audit_usage_from(e, doc);
    json_decref(doc);
}

vt_status vt_audit_execution(vt_audit_report *rep, const vt_audit_chain *c, const vt_audit_exec *in, vt_err *err)
{
    for (size_t ai = 0; ai < c->len; ai++) {
        vt_audit_entry *e;
        if (c->a[ai].kind != A_EXECUTION || !(c->a[ai].phases & VT_AUDIT_EXECUTION))
            continue;
        e = vt__audit_entry_add(rep, &c->a[ai], VT_AUDIT_EXECUTION);
        if (e == NULL)
            return vt_err_set(err, VT_E_LIMIT, "audit: report is full");
        vt__audit_entry_note(e, "latency_us", in->latency_us);
        vt__audit_entry_note(e, "upstream_status", in->upstream_status);
        vt__audit_entry_note(e, "prompt_tokens", in->prompt_tokens);
        vt__audit_entry_note(e, "completion_tokens", in->completion_tokens);
        vt__audit_entry_note(e, "total_tokens", in->total_tokens);
        vt__audit_entry_verdict(rep, e, e->note_len > 0 ? VT_AUDIT_ANNOTATE : VT_AUDIT_ALLOW);
    }
    return VT_OK;
}

/* ---- streams ---- */
struct vt_audit_stream {
    vt_audit_ctx *x;
    audit_state st;
    vt_buf win;     /* up to H released bytes of context, then the held-back text */
    size_t rel;     /* offset in win of the first byte not yet released */
    size_t cnt;     /* offset in win from which policy hits are still to be counted */
    bool finished;
};

vt_status vt_audit_stream_new(vt_audit_stream **out, vt_audit_ctx *x, vt_err *err)
{
    vt_audit_stream *s = calloc(1, sizeof(*s));

    *out = NULL;
    if (s == NULL)
        return vt_err_set(err, VT_E_NOMEM, "audit: out of memory");
    s->x = x;
    s->st.db = &x->c->resp;
    s->st.phase = VT_AUDIT_RESPONSE;
    *out = s;
    return VT_OK;
}

void vt_audit_stream_free(vt_audit_stream *s)
{
    if (s == NULL)
        return;
    vt_buf_free(&s->win);
    free(s);
}

bool vt_audit_stream_blocked(const vt_audit_stream *s)
{
    const vt_audit_chain *c = s->x->c;

    for (size_t t = 0; t < c->type_len; t++)
        if (c->types[t].action == ACT_BLOCK && s->st.counts[t] > 0)
            return true;
    return false;
}

vt_status vt_audit_stream_feed(vt_audit_stream *s, const void *text, size_t len, vt_buf *out, vt_err *err)
{
    size_t rel, keep;
    vt_status rc;

    if (s->finished)
        return vt_err_set(err, VT_E_ARG, "audit: stream already finished");
    if (len > VT_AUDIT_MAX_BODY)
        return vt_err_set(err, VT_E_LIMIT, "audit: delta of %zu bytes exceeds %zu", len, VT_AUDIT_MAX_BODY);
    rc = vt_buf_append(&s->win, text, len, err);
    if (rc != VT_OK || s->win.len - s->rel <= H + 1)
        return rc;
    rc = vt__audit_run(s->x, &s->st, s->win.data, s->win.len, s->rel, s->cnt, false, out, &rel, err);
    if (rc != VT_OK)
        return rc;
    s->cnt = s->win.len - H - 1;
    s->rel = rel;
    /* Keep H bytes of released text as context for the next scan, and the
     * bytes from cnt on (a release may reach the end of the window). */
    keep = s->rel > H ? s->rel - H : 0;
    if (keep > s->cnt)
        keep = s->cnt;
    if (keep > 0) {
        memmove(s->win.data, s->win.data + keep, s->win.len - keep);
        s->win.len -= keep;
        s->rel -= keep;
        s->cnt -= keep;
    }
    return VT_OK;
}

vt_status vt_audit_stream_finish(vt_audit_stream *s, vt_buf *out, vt_audit_report *rep, vt_err *err)
{
    size_t rel;
    vt_status rc;

    if (s->finished)
        return vt_err_set(err, VT_E_ARG, "audit: stream already finished");
    rc = vt__audit_run(s->x, &s->st, s->win.data, s->win.len, s->rel, s->cnt, true, out, &rel, err);
    if (rc != VT_OK)
        return rc;
    s->finished = true;
    if (rep != NULL)
        vt__audit_entries(rep, s->x->c, &s->st, NULL, 0, false);
    return VT_OK;
}

const audit_state *vt__audit_stream_state(const vt_audit_stream *s) { return &s->st; }
