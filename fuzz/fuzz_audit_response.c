/* libFuzzer: the response walker and the stream auditor (response.c) over
 * arbitrary bytes.  An accepted body yields valid JSON with the same shape
 * (as many strings, keys and values as jansson read); the input split on
 * newlines as stream events yields valid JSON for every event sent and for
 * the last chunk, and a refused event fails the stream for good.  The token
 * walks (tokens.c, sse_fast.c) and the jansson tree walk agree on every body
 * and every event: the same status, the same JSON value, the same report. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "audit/sse_int.h"
#include "veritee/audit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char cfg[] =
    "[{\"name\":\"pii\",\"actions\":{\"email\":\"redact\",\"phone\":\"redact\",\"card\":\"redact\",\"ssn\":\"redact\","
    "\"iban\":\"redact\",\"ip\":\"annotate\",\"secret\":\"block\"},"
    "\"patterns\":[{\"name\":\"employee_id\",\"regex\":\"EMP-[0-9]{6}\",\"action\":\"redact\"}]}]";

/* Number of JSON values in the tree, keys counted as values. */
static size_t count(const json_t *v)
{
    size_t n = 1, i;
    const char *k;
    json_t *c;

    if (json_is_array(v))
        json_array_foreach(v, i, c) n += count(c);
    else if (json_is_object(v))
        json_object_foreach((json_t *)v, k, c) n += 1 + count(c);
    return n;
}

static void must_be_json(const vt_buf *b)
{
    json_t *j;

    if (b->len == 0)
        return;
    j = json_loadb((const char *)b->data, b->len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
    if (!json_is_object(j))
        __builtin_trap();
    json_decref(j);
}

/* Both empty, or the same JSON value. */
static void same_json(const vt_buf *a, const vt_buf *b)
{
    json_t *ja, *jb;

    if (a->len == 0 || b->len == 0) {
        if (a->len != b->len)
            __builtin_trap();
        return;
    }
    ja = json_loadb((const char *)a->data, a->len, JSON_ALLOW_NUL, NULL);
    jb = json_loadb((const char *)b->data, b->len, JSON_ALLOW_NUL, NULL);
    if (ja == NULL || jb == NULL || !json_equal(ja, jb))
        __builtin_trap();
    json_decref(ja);
    json_decref(jb);
}

static void reports_equal(const vt_audit_report *a, const vt_audit_report *b)
{
    vt_buf ja = { 0 }, jb = { 0 };

    if (vt_audit_report_json(&ja, a, NULL) != VT_OK || vt_audit_report_json(&jb, b, NULL) != VT_OK ||
        ja.len != jb.len || memcmp(ja.data, jb.data, ja.len) != 0)
        __builtin_trap();
    vt_buf_free(&ja);
    vt_buf_free(&jb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static vt_audit_chain *c;
    static vt_audit_ctx *x, *xt;
    static vt_audit_report rep, rep2;
    vt_buf out = { 0 }, out2 = { 0 };
    vt_audit_sse *s = NULL, *s2 = NULL;
    bool failed = false;

    if (c == NULL && (vt_audit_chain_new(&c, cfg, strlen(cfg), NULL) != VT_OK || vt_audit_ctx_new(&x, c, NULL) != VT_OK ||
                      vt_audit_ctx_new(&xt, c, NULL) != VT_OK))
        __builtin_trap();
    vt__audit_ctx_set_fast(xt, false);
    /* The whole body by the token walk (x) and by the tree walk (xt): the same status, the same
     * JSON value, the same report. */
    vt_audit_report_init(&rep);
    vt_audit_report_init(&rep2);
    {
        vt_status a = vt_audit_response(&rep, &out, x, data, size, NULL);
        vt_status b = vt_audit_response(&rep2, &out2, xt, data, size, NULL);
        if (a != b)
            __builtin_trap();
        if (a == VT_OK)
            same_json(&out, &out2);
        reports_equal(&rep, &rep2);
        out.len = out2.len = 0;
    }
    vt_audit_report_init(&rep);
    if (vt_audit_response(&rep, &out, x, data, size, NULL) == VT_OK) {
        json_t *in = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
        json_t *o = json_loadb((const char *)out.data, out.len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
        if (in == NULL || o == NULL || count(in) != count(o) || !(rep.audited & VT_AUDIT_RESPONSE))
            __builtin_trap();
        json_decref(in);
        json_decref(o);
    } else if (out.len != 0 || (rep.audited & VT_AUDIT_RESPONSE)) {
        __builtin_trap(); /* nothing of a refused body comes out */
    }
    /* The same bytes as a stream, one event per line, twice: with the fast path (sse_fast.c)
     * and with every event through jansson.  Both must give the same answer for every event
     * (the same status, the same JSON value sent), the same last chunk and the same report. */
    vt_audit_report_init(&rep);
    vt_audit_report_init(&rep2);
    if (vt_audit_sse_new(&s, x, NULL) != VT_OK || vt_audit_sse_new(&s2, x, NULL) != VT_OK)
        __builtin_trap();
    vt__audit_sse_set_fast(s2, false);
    for (size_t at = 0; at < size;) {
        const uint8_t *nl = memchr(data + at, '\n', size - at);
        size_t n = nl != NULL ? (size_t)(nl - (data + at)) : size - at;
        vt_status rc, rc2;
        out.len = out2.len = 0;
        rc = vt_audit_sse_event(s, &out, data + at, n, NULL);
        rc2 = vt_audit_sse_event(s2, &out2, data + at, n, NULL);
        if (failed && rc == VT_OK)
            __builtin_trap(); /* a failed stream stays failed */
        if (rc != rc2 || vt_audit_sse_blocked(s) != vt_audit_sse_blocked(s2))
            __builtin_trap();
        failed |= rc != VT_OK;
        if (rc == VT_OK) {
            must_be_json(&out);
            same_json(&out, &out2);
        }
        at += n + 1;
    }
    out.len = out2.len = 0;
    {
        vt_status rc = vt_audit_sse_finish(s, &out, &rep, NULL), rc2 = vt_audit_sse_finish(s2, &out2, &rep2, NULL);
        if (rc != rc2)
            __builtin_trap();
        if (rc == VT_OK) {
            must_be_json(&out);
            same_json(&out, &out2);
            if (failed != ((rep.failed & VT_AUDIT_RESPONSE) != 0))
                __builtin_trap();
        }
        reports_equal(&rep, &rep2);
    }
    vt_audit_sse_free(s2);
    vt_buf_free(&out2);
    vt_audit_sse_free(s);
    vt_buf_free(&out);
    return 0;
}
