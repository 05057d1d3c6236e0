/* libFuzzer: the gateway's server-sent-events parser on untrusted upstream
 * bytes.  Besides memory safety it checks the property the proxy relies on:
 * how the bytes are split into reads never changes the events parsed. */
#include <string.h>

#include "gateway/sse.h"
#include "veritee/crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct tally {
    unsigned long events;
    uint8_t digest[32];
    vt_digest_ctx *d;
} tally;

static vt_status on_event(void *arg, vt_gw_sse_event *ev, vt_err *err)
{
    tally *t = arg;
    vt_buf wire;
    vt_status rc;

    t->events++;
    /* Everything the proxy forwards is the re-serialized event. */
    vt_buf_init(&wire);
    rc = vt_gw_sse_write(&wire, ev, err);
    if (rc == VT_OK)
        rc = vt_digest_ctx_update(t->d, wire.data, wire.len, err);
    vt_buf_free(&wire);
    return rc;
}

static vt_status run(tally *t, const uint8_t *p, size_t n, size_t step)
{
    vt_gw_sse s;
    vt_status rc = VT_OK;

    memset(t, 0, sizeof(*t));
    if (vt_digest_ctx_new(&t->d, VT_MD_SHA256, NULL) != VT_OK)
        return VT_E_NOMEM;
    vt_gw_sse_init(&s, 4096, on_event, t);
    for (size_t off = 0; off < n && rc == VT_OK; off += step)
        rc = vt_gw_sse_feed(&s, p + off, n - off < step ? n - off : step, NULL);
    if (vt_digest_ctx_final(t->d, t->digest, NULL) != VT_OK)
        rc = VT_E_INTERNAL;
    vt_digest_ctx_free(t->d);
    vt_gw_sse_free(&s);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tally whole, pieces;
    size_t step;
    vt_status a, b;

    if (size < 1)
        return 0;
    step = (size_t)data[0] % 17 + 1;
    a = run(&whole, data + 1, size - 1, size);
    b = run(&pieces, data + 1, size - 1, step);
    if (a == VT_OK && b == VT_OK &&
        (whole.events != pieces.events || memcmp(whole.digest, pieces.digest, 32) != 0))
        __builtin_trap(); /* the read boundaries changed what was parsed */
    if ((a == VT_OK) != (b == VT_OK))
        __builtin_trap();
    return 0;
}
