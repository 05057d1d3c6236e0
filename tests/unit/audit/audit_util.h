/* Shared by the audit tests: a chain from a config string, and scanning one text. */
#ifndef AUDIT_UTIL_H
#define AUDIT_UTIL_H

#include "vt_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every type redacted, so that each detection is visible in the output. */
#define CFG_REDACT_ALL                                                                                                 \
    "[{\"name\":\"pii\",\"actions\":{\"email\":\"redact\",\"phone\":\"redact\",\"card\":\"redact\",\"ssn\":\"redact\"," \
    "\"iban\":\"redact\",\"ip\":\"redact\",\"secret\":\"redact\"},"                                                   \
    "\"patterns\":[{\"name\":\"employee_id\",\"regex\":\"EMP-[0-9]{6}\",\"action\":\"redact\"}]}]"

static inline vt_audit_chain *chain_of(const char *cfg)
{
    vt_audit_chain *c = NULL;
    vt_err err = { 0 };

    if (vt_audit_chain_new(&c, cfg, strlen(cfg), &err) != VT_OK)
        fail_msg("config rejected: %s", err.msg);
    return c;
}

/* One chain, one context and one report (on the heap: it is large), with a
 * buffer for what is forwarded; shared by the walker and chain tests. */
typedef struct audit_fx {
    vt_audit_chain *c;
    vt_audit_ctx *x;
    vt_audit_report *rep;
    vt_buf fwd;
    vt_err err;
} audit_fx;

static inline audit_fx *audit_fx_new(const char *cfg)
{
    audit_fx *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    f->c = chain_of(cfg);
    assert_int_equal(vt_audit_ctx_new(&f->x, f->c, NULL), VT_OK);
    f->rep = calloc(1, sizeof(*f->rep));
    assert_non_null(f->rep);
    vt_audit_report_init(f->rep);
    return f;
}

static inline void audit_fx_free(audit_fx *f)
{
    vt_buf_free(&f->fwd);
    free(f->rep);
    vt_audit_ctx_free(f->x);
    vt_audit_chain_free(f->c);
    free(f);
}

/* Scans text in the request phase; returns the redacted text (caller frees). */
static inline char *scan_text(vt_audit_ctx *x, const char *text, vt_audit_report *rep)
{
    vt_buf out = { 0 };
    vt_err err = { 0 };
    char *s;

    if (vt_audit_text(rep, &out, x, VT_AUDIT_REQUEST, text, strlen(text), &err) != VT_OK)
        fail_msg("scan failed: %s", err.msg);
    s = strndup(out.data != NULL ? (char *)out.data : "", out.len);
    vt_buf_free(&out);
    return s;
}

/* Streams text in deltas cut at the given positions; returns the released text. */
static inline char *stream_text(vt_audit_ctx *x, const char *text, const size_t *cuts, size_t ncuts,
                                vt_audit_report *rep)
{
    vt_audit_stream *s = NULL;
    vt_buf out = { 0 };
    vt_err err = { 0 };
    size_t prev = 0, n = strlen(text);
    char *r;

    assert_int_equal(vt_audit_stream_new(&s, x, &err), VT_OK);
    for (size_t i = 0; i <= ncuts; i++) {
        size_t at = i < ncuts ? cuts[i] : n;
        if (vt_audit_stream_feed(s, text + prev, at - prev, &out, &err) != VT_OK)
            fail_msg("feed failed: %s", err.msg);
        prev = at;
    }
    if (vt_audit_stream_finish(s, &out, rep, &err) != VT_OK)
        fail_msg("finish failed: %s", err.msg);
    vt_audit_stream_free(s);
    r = strndup(out.data != NULL ? (char *)out.data : "", out.len);
    vt_buf_free(&out);
    return r;
}

#endif
