/*
 * A SQLite verifier's in-memory challenges (src/verifier/challenges.c), driven by a script:
 * each 34-byte step issues a nonce or takes one (an issued one, or 32 attacker bytes) at a
 * time that moves forward by up to 255 s.  Whatever the order: a nonce not issued here is
 * unknown; an issued one is taken at most once within its life and is never "used" before
 * it was taken; the taken set stays bounded (a small max_taken, so refusals and sweeps run).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "verifier/challenges.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TTL 60
#define MAX_ISSUED 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vf_challenges *c = NULL;
    uint8_t issued[MAX_ISSUED][VF_NONCE_LEN];
    vt_time when[MAX_ISSUED];
    int taken[MAX_ISSUED];
    size_t n = 0;
    vt_time now = 1800000000;
    vt_err err;

    if (vf_challenges_new(&c, TTL, 16, NULL, &err) != VT_OK)
        return 0;
    memset(taken, 0, sizeof(taken));
    for (size_t off = 0; off + 34 <= size; off += 34) {
        const uint8_t op = data[off], *arg = data + off + 2;
        vt_time at;
        vs_take t;

        now += data[off + 1];
        if ((op & 3) == 0 && n < MAX_ISSUED) {
            if (vf_challenges_issue(c, issued[n], now, &err) != VT_OK)
                abort();
            when[n++] = now;
        } else if ((op & 3) == 1 && n > 0) {
            size_t i = arg[0] % n;
            vt_status rc = vf_challenges_take(c, NULL, &t, &at, issued[i], now, &err);
            if (rc == VT_E_LIMIT)
                continue; /* full: refused, not spent */
            if (rc != VT_OK || t == VS_TAKE_UNKNOWN)
                abort();
            if (now >= when[i] + TTL ? t != VS_TAKE_EXPIRED : (t == VS_TAKE_OK) == (taken[i] != 0))
                abort(); /* expired; or taken exactly once, "used" only after */
            if (t == VS_TAKE_OK) {
                if (at != when[i])
                    abort();
                taken[i] = 1;
            }
        } else {
            int mine = 0;
            for (size_t i = 0; i < n; i++)
                mine |= memcmp(issued[i], arg, VF_NONCE_LEN) == 0;
            if (!mine && vf_challenges_take(c, NULL, &t, &at, arg, now, &err) == VT_OK && t != VS_TAKE_UNKNOWN)
                abort(); /* a nonce never issued */
        }
    }
    vf_challenges_free(c);
    return 0;
}
