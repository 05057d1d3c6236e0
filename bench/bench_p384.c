/*
 * AMD SEV-SNP, AWS Nitro and NVIDIA GPU verification throughput next to
 * OpenSSL's P-384 verify rate measured in the same run.  With chains cached,
 * an SNP report costs one P-384 verify (the report signature), a Nitro
 * document one (the COSE signature; its leaf and CA bundle are cached) and
 * an NVIDIA SPDM report one (the MEASUREMENTS signature; its device chain is
 * cached), so one P-384 verify per item is the limit.  Needs the real
 * vectors ($VERITEE_VECTORS).
 */
#include "bench_common.h"

static int one(const char *title, const char *vec, const char *file, const char *coll_dir, const char *at,
               bool allow_missing, double secs, double limit)
{
    char path[4096];
    vt_buf ev;
    vt_collateral *coll = NULL;
    vt_verify_cache *cache = NULL;
    vt_verify_opts o;
    vt_err err = { 0 };
    double warm, cold;

    vt_buf_init(&ev);
    memset(&o, 0, sizeof(o));
    o.allow_missing_collateral = allow_missing; /* NVIDIA: RIMs need the network */
    snprintf(path, sizeof(path), "%s/%s", vec, file);
    if (vt_file_read(&ev, path, 1 << 20, &err) != VT_OK || vt_time_parse(&o.now, at, &err) != VT_OK) {
        fprintf(stderr, "bench: %s\n", err.msg);
        return 1;
    }
    if (coll_dir != NULL) {
        snprintf(path, sizeof(path), "%s/%s", vec, coll_dir);
        if (vt_collateral_new(&coll, &err) != VT_OK || vt_collateral_load_dir(coll, path, &err) != VT_OK) {
            fprintf(stderr, "bench: %s\n", err.msg);
            return 1;
        }
        o.collateral = coll;
    }
    if (vt_verify_cache_new(&cache, &err) != VT_OK)
        return 1;
    cold = bench_verify_rate(&ev, &o, secs);
    o.cache = cache;
    warm = bench_verify_rate(&ev, &o, secs);
    printf("| %s, chains cached (warm) | %.0f | %.0f%% |\n", title, warm, 100.0 * warm / limit);
    printf("| %s, nothing cached (cold) | %.0f | %.0f%% |\n", title, cold, 100.0 * cold / limit);
    vt_verify_cache_free(cache);
    vt_collateral_free(coll);
    vt_buf_free(&ev);
    return 0;
}

int main(int argc, char **argv)
{
    const char *vec = getenv("VERITEE_VECTORS");
    double secs = argc > 1 ? atof(argv[1]) : 2.0, limit;
    char probe[4096];
    vt_buf b;

    if (secs <= 0)
        secs = 2.0;
    if (vec == NULL)
        vec = "../shared/vectors";
    vt_buf_init(&b);
    snprintf(probe, sizeof(probe), "%s/sevsnp/virtee-milan-v2/report.bin", vec);
    if (vt_file_read(&b, probe, 1 << 20, NULL) != VT_OK) {
        printf("SEV-SNP / Nitro: skipped (no vectors at %s)\n", vec);
        return 0;
    }
    vt_buf_free(&b);
    limit = bench_openssl_ecdsa_rate("P-384", EVP_sha384(), 672, secs);
    printf("SEV-SNP, Nitro and NVIDIA GPU verification, 1 core, real vectors\n");
    printf("| measurement | per second | vs limit |\n|---|---:|---:|\n");
    printf("| OpenSSL P-384 verify (ECDSA/SHA-384, 672 B, key cached) = limit | %.0f | 100%% |\n", limit);
    if (one("SEV-SNP report (virtee-milan-v2, VCEK chain)", vec, "sevsnp/virtee-milan-v2/report.bin",
            "sevsnp/virtee-milan-v2", "2024-01-01T00:00:00Z", false, secs, limit) != 0)
        return 1;
    if (one("Nitro document (nitrite-prod-maxsize)", vec, "nitro/nitrite-prod-maxsize.cbor", NULL,
            "2024-09-07T14:37:39Z", false, secs, limit) != 0)
        return 1;
    /* The directory holds certchain.pem (recognized by content) beside the report. */
    if (one("NVIDIA H100 SPDM report (nvtrust-h100-sample)", vec, "nvgpu/nvtrust-h100-sample/report.bin",
            "nvgpu/nvtrust-h100-sample", "2025-06-01T00:00:00Z", true, secs, limit) != 0)
        return 1;
    return 0;
}
