/* libFuzzer: the response walker and the stream auditor (response.c) over
 * arbitrary bytes.  An accepted body yields valid JSON with the same shape
 * (as many strings, keys and values as jansson read); the input split on
 * newlines as stream events yields valid JSON for every event sent and for
 * the last chunk, and a refused event fails the stream for good. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static vt_audit_chain *c;
    static vt_audit_ctx *x;
    static vt_audit_report rep;
    vt_buf out = { 0 };
    vt_audit_sse *s = NULL;
    bool failed = false;

    if (c == NULL && (vt_audit_chain_new(&c, cfg, strlen(cfg), NULL) != VT_OK || vt_audit_ctx_new(&x, c, NULL) != VT_OK))
        __builtin_trap();
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
    /* The same bytes as a stream, one event per line. */
    vt_audit_report_init(&rep);
    if (vt_audit_sse_new(&s, x, NULL) != VT_OK)
        __builtin_trap();
    for (size_t at = 0; at < size;) {
        const uint8_t *nl = memchr(data + at, '\n', size - at);
        size_t n = nl != NULL ? (size_t)(nl - (data + at)) : size - at;
        vt_status rc;
        out.len = 0;
        rc = vt_audit_sse_event(s, &out, data + at, n, NULL);
        if (failed && rc == VT_OK)
            __builtin_trap(); /* a failed stream stays failed */
        failed |= rc != VT_OK;
        if (rc == VT_OK)
            must_be_json(&out);
        at += n + 1;
    }
    out.len = 0;
    if (vt_audit_sse_finish(s, &out, &rep, NULL) == VT_OK) {
        must_be_json(&out);
        if (failed != ((rep.failed & VT_AUDIT_RESPONSE) != 0))
            __builtin_trap();
    }
    vt_audit_sse_free(s);
    vt_buf_free(&out);
    return 0;
}
