/* libFuzzer: request and response redaction over arbitrary bytes.  A body
 * that is accepted must yield a forwarded body that is valid JSON, and the
 * streaming scanner must release exactly what a whole-text scan does. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "veritee/audit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char cfg[] =
    "[{\"name\":\"pii\",\"actions\":{\"email\":\"redact\",\"phone\":\"redact\",\"card\":\"redact\",\"ssn\":\"redact\","
    "\"iban\":\"redact\",\"ip\":\"annotate\",\"secret\":\"redact\"},"
    "\"patterns\":[{\"name\":\"employee_id\",\"regex\":\"EMP-[0-9]{6}\",\"action\":\"redact\"}]},"
    "{\"name\":\"policy\",\"blocked_terms\":[\"falcon\"],\"max_input_bytes\":60000}]";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static vt_audit_chain *c;
    static vt_audit_ctx *x;
    static vt_audit_report rep;
    vt_buf fwd = { 0 }, a = { 0 }, b = { 0 };
    vt_audit_stream *s = NULL;
    size_t cut = size / 3;

    if (c == NULL && (vt_audit_chain_new(&c, cfg, strlen(cfg), NULL) != VT_OK || vt_audit_ctx_new(&x, c, NULL) != VT_OK))
        __builtin_trap();
    for (int phase = 0; phase < 2; phase++) {
        vt_audit_report_init(&rep);
        fwd.len = 0;
        if ((phase == 0 ? vt_audit_request(&rep, &fwd, x, VT_AUDIT_ROUTE_CHAT, data, size, NULL)
                        : vt_audit_response(&rep, &fwd, x, data, size, NULL)) == VT_OK) {
            json_t *j = json_loadb((const char *)fwd.data, fwd.len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
            if (j == NULL)
                __builtin_trap(); /* the forwarded body is always JSON */
            json_decref(j);
        }
    }
    /* The same bytes as text: whole versus streamed in three deltas. */
    vt_audit_report_init(&rep);
    if (vt_audit_text(&rep, &a, x, VT_AUDIT_RESPONSE, data, size, NULL) != VT_OK ||
        vt_audit_stream_new(&s, x, NULL) != VT_OK || vt_audit_stream_feed(s, data, cut, &b, NULL) != VT_OK ||
        vt_audit_stream_feed(s, data + cut, size - cut, &b, NULL) != VT_OK ||
        vt_audit_stream_finish(s, &b, NULL, NULL) != VT_OK)
        __builtin_trap();
    vt_audit_stream_free(s);
    vt_buf_free(&fwd);
    vt_buf_free(&a);
    vt_buf_free(&b);
    return 0;
}
