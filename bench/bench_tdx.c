/*
 * TDX quote verification throughput, next to its limit measured in the same
 * run.  A quote whose PCK chain and collateral are cached costs two P-256
 * verifies (quote signature, QE report signature), so the limit is half of
 * OpenSSL's own P-256 verify rate on this machine, single core.
 *
 * Uses the real v5 sample from $VERITEE_VECTORS when present, otherwise a
 * simulated quote with collateral.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


#include "bench_common.h"

int main(int argc, char **argv)
{
    const char *vec = getenv("VERITEE_VECTORS");
    double secs = argc > 1 ? atof(argv[1]) : 2.0;
    char path[4096], state[] = "/tmp/vt-bench-XXXXXX";
    vt_buf q;
    vt_collateral *coll = NULL;
    vt_verify_cache *cache = NULL;
    vt_verify_opts o;
    vt_err err = { 0 };
    const char *source;
    double limit_p256, warm, cold;

    if (secs <= 0)
        secs = 2.0;
    if (vec == NULL)
        vec = "../shared/vectors";
    vt_buf_init(&q);
    memset(&o, 0, sizeof(o));
    if (vt_collateral_new(&coll, &err) != VT_OK)
        return 1;
    snprintf(path, sizeof(path), "%s/tdx/gotdx-v5-tdx15/quote.bin", vec);
    if (vt_file_read(&q, path, 1 << 20, NULL) == VT_OK) {
        snprintf(path, sizeof(path), "%s/tdx/gotdx-v5-tdx15/collateral-2026-03-lunal", vec);
        if (vt_collateral_load_dir(coll, path, &err) != VT_OK) {
            fprintf(stderr, "bench: %s\n", err.msg);
            return 1;
        }
        if (vt_time_parse(&o.now, "2026-04-01T00:00:00Z", NULL) != VT_OK)
            return 1;
        source = "real v5 quote (gotdx-v5-tdx15), Intel PCS collateral with CRLs";
    } else {
        vt_sim_tdx_opts so;
        if (mkdtemp(state) == NULL)
            return 1;
        memset(&so, 0, sizeof(so));
        so.version = 4;
        so.now = vt_time_now();
        so.state_dir = state;
        if (vt_sim_tdx(&q, coll, &so, &err) != VT_OK) {
            fprintf(stderr, "bench: %s\n", err.msg);
            return 1;
        }
        o.now = so.now;
        o.trust_sim = true;
        o.state_dir = state;
        source = "simulated v4 quote with collateral (vectors absent)";
    }
    o.collateral = coll;
    if (vt_verify_cache_new(&cache, &err) != VT_OK)
        return 1;

    limit_p256 = bench_openssl_ecdsa_rate("P-256", EVP_sha256(), 632, secs);
    cold = bench_verify_rate(&q, &o, secs);
    o.cache = cache;
    warm = bench_verify_rate(&q, &o, secs);

    printf("TDX quote verification, 1 core, %s\n", source);
    printf("| measurement | per second | vs limit |\n|---|---:|---:|\n");
    printf("| OpenSSL P-256 verify (ECDSA/SHA-256, 632 B, key cached) | %.0f | |\n", limit_p256);
    printf("| limit: a cached quote = 2 P-256 verifies | %.0f | 100%% |\n", limit_p256 / 2);
    printf("| veritee verify, chains + collateral cached (warm) | %.0f | %.0f%% |\n", warm,
           100.0 * warm / (limit_p256 / 2));
    printf("| veritee verify, nothing cached (cold) | %.0f | %.0f%% |\n", cold, 100.0 * cold / (limit_p256 / 2));
    vt_verify_cache_free(cache);
    vt_collateral_free(coll);
    vt_buf_free(&q);
    if (o.trust_sim) {
        char cmd[256];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", state);
        if (system(cmd) != 0)
            fprintf(stderr, "bench: could not remove %s\n", state);
    }
    return 0;
}
