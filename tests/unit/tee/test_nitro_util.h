/* Shared helpers for the Nitro plugin tests: samples from $VERITEE_VECTORS/nitro
 * and their MANIFEST.md verification times, verified through the registry. */
#ifndef VT_TEST_NITRO_UTIL_H
#define VT_TEST_NITRO_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vt_test.h"

typedef struct nitro_sample {
    const char *file;  /* nitro/<file> */
    const char *at;    /* MANIFEST verification time (doc timestamp, seconds) */
    bool debug;        /* PCR0..2 all zero */
} nitro_sample;

static const nitro_sample nitro_samples[] = {
    { "nitro/nitrite-prod-maxsize.cbor", "2024-09-07T14:37:39Z", false },
    { "nitro/nitrite-debug-maxsize.cbor", "2024-09-07T14:38:06Z", true },
    { "nitro/sparsity-attestation-1.cbor", "2024-08-16T09:11:49Z", true },
    { "nitro/sparsity-attestation-2.cbor", "2023-09-28T11:08:27Z", false },
};
#define NITRO_SAMPLES (sizeof(nitro_samples) / sizeof(nitro_samples[0]))

/* Verifies as Nitro (or auto when platform is VT_TEE_NONE) at `at`; res reset first. */
static inline vt_status nitro_test_run(vt_result *res, const uint8_t *p, size_t len, vt_time at,
                                       vt_verify_cache *cache, bool allow_debug)
{
    vt_verify_opts o;

    memset(&o, 0, sizeof(o));
    o.platform = VT_TEE_NITRO;
    o.now = at;
    o.cache = cache;
    o.allow_debug = allow_debug;
    return vt_evidence_verify(res, p, len, &o, NULL);
}

static inline bool nitro_test_has(const vt_finding *f, size_t n, const char *check)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(f[i].check, check) == 0)
            return true;
    return false;
}

#endif
