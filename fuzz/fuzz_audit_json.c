/* libFuzzer: request and response redaction over arbitrary bytes.  A body
 * that is accepted must yield a forwarded body that is valid JSON; the
 * same bytes as text are scanned whole and streamed.  Every redaction span
 * of the whole-text scan (mapped back from the folded text when the bytes
 * held Unicode look-alikes) lies within the text, in order, and when the
 * bytes are valid UTF-8 it begins and ends on character boundaries and the
 * redacted text is valid UTF-8 too. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "audit/audit_int.h"
#include "veritee/audit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char cfg[] =
    "[{\"name\":\"pii\",\"actions\":{\"email\":\"redact\",\"phone\":\"redact\",\"card\":\"redact\",\"ssn\":\"redact\","
    "\"iban\":\"redact\",\"ip\":\"annotate\",\"secret\":\"redact\"},"
    "\"patterns\":[{\"name\":\"employee_id\",\"regex\":\"EMP-[0-9]{6}\",\"action\":\"redact\"}]},"
    "{\"name\":\"policy\",\"blocked_terms\":[\"falcon\"],\"max_input_bytes\":60000}]";

/* Whether b[0..n) is well-formed UTF-8 (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF). */
static bool utf8_ok(const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n;) {
        uint8_t c = b[i];
        size_t k = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
        if (k == 0 || n - i < k)
            return false;
        for (size_t j = 1; j < k; j++)
            if ((b[i + j] & 0xc0) != 0x80)
                return false;
        if ((c == 0xe0 && b[i + 1] < 0xa0) || (c == 0xed && b[i + 1] > 0x9f) || (c == 0xf0 && b[i + 1] < 0x90) ||
            (c == 0xf4 && b[i + 1] > 0x8f))
            return false;
        i += k;
    }
    return true;
}

static bool boundary(const uint8_t *b, size_t n, size_t i) { return i == n || (b[i] & 0xc0) != 0x80; }

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
    if (vt_audit_text(&rep, &a, x, VT_AUDIT_RESPONSE, data, size, NULL) != VT_OK)
        __builtin_trap();
    {
        /* x->groups: the spans the whole-text scan replaced or kept, in
         * original offsets */
        bool valid = utf8_ok(data, size);
        size_t prev = 0;
        for (size_t i = 0; i < x->groups.len; i++) {
            const audit_cand *g = &x->groups.v[i];
            if (g->s < prev || g->s >= g->e || g->e > size)
                __builtin_trap();
            if (valid && (!boundary(data, size, g->s) || !boundary(data, size, g->e)))
                __builtin_trap();
            prev = g->e;
        }
        if (valid && !utf8_ok(a.data, a.len))
            __builtin_trap();
    }
    if (vt_audit_stream_new(&s, x, NULL) != VT_OK || vt_audit_stream_feed(s, data, cut, &b, NULL) != VT_OK ||
        vt_audit_stream_feed(s, data + cut, size - cut, &b, NULL) != VT_OK ||
        vt_audit_stream_finish(s, &b, NULL, NULL) != VT_OK)
        __builtin_trap();
    vt_audit_stream_free(s);
    vt_buf_free(&fwd);
    vt_buf_free(&a);
    vt_buf_free(&b);
    return 0;
}
