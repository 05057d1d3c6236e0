/*
 * Auditing a JSON document as a flat token list (tokens.h).  A jansson tree
 * per document (parse, walk, serialise) costs more than the audit of a small
 * one; the token list is read without an allocation per token and reused.
 * The scan order is the tree walk's (response.c, audit_value: an object's
 * values in order, then its keys), so the finding counts and the numbering of
 * redactions ([EMAIL_1], [EMAIL_2], ...) come out
 * the same; fuzz/fuzz_audit_response.c compares the two roads on every input.
 */
#include <stdlib.h>
#include <string.h>

#include "audit/tokens.h"

bool vt__audit_tokens_read(audit_tokens *w, const uint8_t *p, size_t n, size_t max_tokens, unsigned max_depth)
{
    if (w->repl_cap < max_tokens) {
        uint32_t *r = realloc(w->repl, max_tokens * sizeof(*r));
        if (r == NULL)
            return false;
        w->repl = r;
        w->repl_cap = max_tokens;
    }
    if (!vt__json_tokens(&w->l, p, n, max_tokens, max_depth))
        return false;
    for (size_t i = 0; i < w->l.n; i++)
        w->repl[i] = AUDIT_TOK_OWN;
    w->rel.len = 0;
    return true;
}

bool vt__audit_tokens_has_arguments(const audit_tokens *w)
{
    const vt_jt_list *l = &w->l;

    for (size_t i = 0; i + 1 < l->n; i++)
        if (l->t[i + 1].kind == VT_JT_STR && vt__jt_key_is(l, &l->t[i], "arguments"))
            return true;
    return false;
}

void vt__audit_tokens_free(audit_tokens *w)
{
    vt__json_tokens_free(&w->l);
    free(w->repl);
    vt_buf_free(&w->rel); /* wipes: it held redacted and released text */
    memset(w, 0, sizeof(*w));
}

vt_status vt__audit_tokens_replace(audit_tokens *w, size_t i, const uint8_t *p, size_t n, vt_err *err)
{
    uint32_t len = (uint32_t)n;
    size_t at = w->rel.len;
    vt_status rc = n > UINT32_MAX ? vt_err_set(err, VT_E_LIMIT, "audit: a string is too long")
                                  : vt_buf_append(&w->rel, &len, sizeof(len), err);

    if (rc == VT_OK)
        rc = vt_buf_append(&w->rel, p, n, err);
    if (rc == VT_OK)
        w->repl[i] = (uint32_t)at;
    return rc;
}

vt_status vt__audit_tokens_scan(audit_tokens *w, vt_audit_ctx *x, audit_state *st, size_t i, size_t *next,
                                bool *renamed, vt_err *err)
{
    const vt_jt_list *l = &w->l;
    const vt_jt *t = &l->t[i];
    vt_status rc = VT_OK;

    if (t->kind == VT_JT_STR) {
        *next = i + 1;
        if (w->repl[i] == AUDIT_TOK_TAKEN)
            return VT_OK;
        rc = vt__audit_scan_text(x, st, vt__jt_str(l, t), t->len, err);
        if (rc == VT_OK && st->changed)
            rc = vt__audit_tokens_replace(w, i, x->red.data, x->red.len, err);
        return rc;
    }
    if (t->kind == VT_JT_ARR) {
        for (i++; rc == VT_OK && l->t[i].kind != VT_JT_ARR_END && !*renamed;)
            rc = vt__audit_tokens_scan(w, x, st, i, &i, renamed, err);
        *next = i + 1;
        return rc;
    }
    if (t->kind == VT_JT_OBJ) {
        size_t o = i;
        for (i++; rc == VT_OK && l->t[i].kind != VT_JT_OBJ_END && !*renamed;)
            rc = vt__audit_tokens_scan(w, x, st, i + 1, &i, renamed, err);
        for (i = o + 1; rc == VT_OK && l->t[i].kind != VT_JT_OBJ_END && !*renamed;
             i = vt__jt_skip(l, i + 1)) {
            if (w->repl[i] == AUDIT_TOK_TAKEN)
                continue;
            rc = vt__audit_scan_text(x, st, vt__jt_str(l, &l->t[i]), l->t[i].len, err);
            *renamed = rc == VT_OK && st->changed;
        }
        *next = vt__jt_skip(l, o);
        return rc;
    }
    *next = i + 1;
    return VT_OK;
}

vt_status vt__audit_tokens_write(const audit_tokens *w, vt_buf *out, const uint8_t *data, vt_err *err)
{
    const vt_jt_list *l = &w->l;
    size_t mark = out->len;
    bool comma = false;
    vt_status rc = vt_buf_reserve(out, l->text.len + 8 * l->n + 16, err);

    for (size_t i = 0; rc == VT_OK && i < l->n; i++) {
        const vt_jt *t = &l->t[i];
        const uint8_t *p;
        uint32_t n;
        if (comma && t->kind != VT_JT_OBJ_END && t->kind != VT_JT_ARR_END)
            rc = vt__buf_put1(out, ',');
        if (rc != VT_OK)
            break;
        switch (t->kind) {
        case VT_JT_OBJ: rc = vt__buf_put1(out, '{'); break;
        case VT_JT_ARR: rc = vt__buf_put1(out, '['); break;
        case VT_JT_OBJ_END: rc = vt__buf_put1(out, '}'); break;
        case VT_JT_ARR_END: rc = vt__buf_put1(out, ']'); break;
        case VT_JT_NUM: rc = vt_buf_append(out, data + t->off, t->len, err); break;
        case VT_JT_TRUE: rc = vt_buf_append(out, "true", 4, err); break;
        case VT_JT_FALSE: rc = vt_buf_append(out, "false", 5, err); break;
        case VT_JT_NULL: rc = vt_buf_append(out, "null", 4, err); break;
        default: /* KEY, STR */
            p = vt__jt_str(l, t);
            n = t->len;
            if (w->repl[i] != AUDIT_TOK_OWN && w->repl[i] != AUDIT_TOK_TAKEN) {
                memcpy(&n, w->rel.data + w->repl[i], sizeof(n));
                p = w->rel.data + w->repl[i] + sizeof(n);
            }
            rc = vt__json_put_string(out, p, n, NULL);
            if (rc == VT_E_FORMAT)
                rc = vt_err_set(err, VT_E_FORMAT, "audit: an audited string is not valid UTF-8");
            else if (rc != VT_OK)
                rc = vt_err_set(err, rc, "audit: out of memory");
            if (rc == VT_OK && t->kind == VT_JT_KEY)
                rc = vt__buf_put1(out, ':');
            break;
        }
        comma = t->kind != VT_JT_OBJ && t->kind != VT_JT_ARR && t->kind != VT_JT_KEY;
    }
    if (rc != VT_OK && rc != VT_E_FORMAT) /* a separator's append does not name its error */
        rc = vt_err_set(err, rc, "audit: out of memory writing the document");
    if (rc != VT_OK)
        out->len = mark;
    return rc;
}
