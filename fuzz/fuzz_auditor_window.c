/* libFuzzer: a stream window through an external auditor (audit/xchain.h).  Input: the auditor's
 * answer, a newline, then the pieces of the window's content, separated by 0x1f (up to 32; piece
 * k goes to the choice of index k % 2 when the first byte after the newline is odd, else all to
 * index 0).  Invariants: the run never fails for an answer (only the auditor does); an answer
 * that the protocol refuses fails closed and leaves the events alone; one it takes leaves each
 * choice's pieces, joined, equal to its joined text with the redactions applied, and each piece
 * its own bytes that no redaction covers with the replacement of each redaction that starts in it
 * (so valid UTF-8, which jansson checks). */
#include <stdlib.h>
#include <string.h>

#include "audit/xchain.h"

#define MAX_PIECES 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct answer {
    const char *p;
    size_t n;
} answer;

static vt_status call(void *arg, size_t i, const char *req, size_t len, vt_buf *out, vt_err *err)
{
    const answer *a = arg;

    (void)i;
    (void)req;
    (void)len;
    return vt_buf_append(out, a->p, a->n, err);
}

static json_t *content(json_t *doc)
{
    return json_object_get(json_object_get(json_array_get(json_object_get(doc, "choices"), 0), "delta"), "content");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static vt_audit_chain *c;
    const uint8_t *nl = memchr(data, '\n', size), *p, *end = data + size;
    answer a;
    json_t *docs[MAX_PIECES];
    int choice[MAX_PIECES];
    size_t plen[MAX_PIECES];
    size_t n = 0, first = 2;
    bool two;
    vt_buf joined[2];
    vt_xaud_text texts[2];
    vt_xaud_request rq;
    vt_xaud_answer ans;
    vt_xaud_io io;
    vt_xaud_result res;
    vt_audit_report *rep;
    vt_status rc;

    if (c == NULL) {
        static const char cfg[] = "[{\"name\":\"w\",\"kind\":\"external\",\"version\":\"1\",\"phases\":[\"response\"],"
                                  "\"socket\":\"/s\",\"executable\":\"/e\"}]";
        if (vt_audit_chain_new(&c, cfg, sizeof(cfg) - 1, NULL) != VT_OK)
            __builtin_trap();
    }
    if (nl == NULL || nl + 1 == end)
        return 0;
    a.p = (const char *)data;
    a.n = (size_t)(nl - data);
    two = (nl[1] & 1) != 0;
    vt_buf_init(&joined[0]);
    vt_buf_init(&joined[1]);
    for (p = nl + 2; p <= end && n < MAX_PIECES;) {
        const uint8_t *q = memchr(p, 0x1f, (size_t)(end - p));
        size_t len = q != NULL ? (size_t)(q - p) : (size_t)(end - p);
        json_t *s = json_stringn((const char *)p, len);
        if (s == NULL) /* not UTF-8: no upstream event holds it */
            goto out;
        choice[n] = two ? (int)(n % 2) : 0;
        docs[n] = json_pack("{s:[{s:i, s:{s:o}}]}", "choices", "index", choice[n], "delta", "content", s);
        if (docs[n] == NULL)
            goto out;
        if (first == 2)
            first = (size_t)choice[n];
        (void)vt_buf_append(&joined[choice[n]], p, len, NULL);
        plen[n] = len;
        n++;
        if (q == NULL)
            break;
        p = q + 1;
    }
    /* The request the auditor is sent: the choices in the order they first came. */
    for (size_t g = 0; g < 2; g++) {
        size_t k = g == 0 ? first : 1 - first;
        (void)vt_buf_terminate(&joined[k], NULL);
        texts[g].path = k == 0 ? "choices[0].delta.content" : "choices[1].delta.content";
        texts[g].text = (const char *)joined[k].data;
        texts[g].len = joined[k].len;
    }
    memset(&rq, 0, sizeof(rq));
    rq.auditor = "w";
    rq.phase = VT_AUDIT_RESPONSE;
    rq.texts = texts;
    rq.text_count = two && n > 1 ? 2 : 1;
    memset(&io, 0, sizeof(io));
    io.call = call;
    io.arg = &a;
    io.streamed = true;
    memset(&res, 0, sizeof(res));
    rep = malloc(sizeof(*rep));
    if (rep == NULL)
        goto out;
    vt_audit_report_init(rep);
    rc = vt_xaud_run_docs(rep, &res, c, VT_AUDIT_RESPONSE, VT_XAUD_ALL, docs, n, &io, NULL);
    if (rc != VT_OK)
        __builtin_trap();
    if (vt_xaud_answer_parse(&ans, &rq, a.p, a.n, NULL) != VT_OK) {
        if (!res.failed_closed || res.changed)
            __builtin_trap();
    } else {
        for (size_t g = 0; g < rq.text_count; g++) {
            size_t k = g == 0 ? first : 1 - first;
            vt_buf want, got;
            vt_buf_init(&want);
            vt_buf_init(&got);
            if (vt_xaud_apply(&want, &ans, &rq, g, NULL) != VT_OK)
                __builtin_trap();
            for (size_t i = 0, ps = 0; i < n; i++) {
                vt_buf one;
                if (choice[i] != (int)k)
                    continue;
                (void)vt_buf_append(&got, json_string_value(content(docs[i])), json_string_length(content(docs[i])),
                                    NULL);
                /* The piece itself: its own bytes that no redaction covers, and the replacement of each
                 * redaction that starts in it. */
                vt_buf_init(&one);
                for (size_t pos = ps; pos < ps + plen[i]; pos++) {
                    bool covered = false;
                    for (size_t r = 0; r < ans.redaction_count; r++) {
                        const vt_xaud_redaction *d = &ans.redactions[r];
                        if (d->text != g)
                            continue;
                        if (d->start == pos)
                            (void)vt_buf_append(&one, d->replacement, strlen(d->replacement), NULL);
                        covered |= d->start <= pos && pos < d->end;
                    }
                    if (!covered)
                        (void)vt_buf_append(&one, texts[g].text + pos, 1, NULL);
                }
                if (one.len != json_string_length(content(docs[i])) ||
                    (one.len > 0 && memcmp(one.data, json_string_value(content(docs[i])), one.len) != 0))
                    __builtin_trap();
                vt_buf_free(&one);
                ps += plen[i];
            }
            if (got.len != want.len || (got.len > 0 && memcmp(got.data, want.data, got.len) != 0))
                __builtin_trap();
            vt_buf_free(&want);
            vt_buf_free(&got);
        }
        vt_xaud_answer_clear(&ans);
    }
    free(rep);
out:
    for (size_t i = 0; i < n; i++)
        json_decref(docs[i]);
    vt_buf_free(&joined[0]);
    vt_buf_free(&joined[1]);
    return 0;
}
