/*
 * TPM 2.0 quote verification next to OpenSSL's raw RSA-2048 verify measured
 * in the same run, and TCG2 event log replay at 1k, 10k and 100k events.
 * With the AK trusted (here pinned: no certificate chain to walk), a quote
 * costs one RSA-2048 verify plus parsing and one pcrDigest, so OpenSSL's
 * RSA-2048 rate is the limit.  The quote is the real GCE vTPM one
 * (quote_sha256 with its AK public area), so it needs $VERITEE_VECTORS.
 * Then the Azure CVM JSON envelope: its conversion to the container alone,
 * and the whole verification (SEV-SNP report P-384 + VCEK chain + HCL
 * runtime data + RSA-2048 quote) from the envelope and from the directory of
 * the same parts, next to one P-384 plus one RSA-2048 verify (the limit).
 */
#include <stdlib.h>
#include <unistd.h>

#include <openssl/rsa.h>

#include "bench_common.h"
#include "tee/azure_envelope.h"
#include "tee/tpm_attest.h"
#include "tee/tpm_eventlog.h"
#include "veritee/tpm.h"

static double openssl_rsa2048_rate(double secs)
{
    EVP_PKEY *key = EVP_RSA_gen(2048);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char msg[113] = { 0 }, sig[256];
    size_t siglen = sizeof(sig);
    long n = 0;
    double t0, t;

    if (key == NULL || ctx == NULL || EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) != 1 ||
        EVP_DigestSign(ctx, sig, &siglen, msg, sizeof(msg)) != 1)
        abort();
    t0 = bench_now();
    do {
        for (int i = 0; i < 20; i++) {
            EVP_MD_CTX_reset(ctx);
            if (EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key) != 1 ||
                EVP_DigestVerify(ctx, sig, siglen, msg, sizeof(msg)) != 1)
                abort();
        }
        n += 20;
        t = bench_now() - t0;
    } while (t < secs);
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(key);
    return (double)n / t;
}

static int add_file(vt_buf *ev, const char *vec, const char *name, vt_tpm_part part, uint16_t alg)
{
    char path[4096];
    vt_buf b;
    vt_err err = { 0 };
    int rc = 0;

    vt_buf_init(&b);
    snprintf(path, sizeof(path), "%s/tpm/gce-cos85-no-nonce/%s", vec, name);
    if (vt_file_read(&b, path, 1 << 20, &err) != VT_OK || vt_tpm_evidence_add(ev, part, alg, b.data, b.len, &err) != VT_OK) {
        fprintf(stderr, "bench: %s\n", err.msg);
        rc = 1;
    }
    vt_buf_free(&b);
    return rc;
}

/* A synthetic SHA-256-only crypto-agile log of n events in PCR 8. */
static void make_log(vt_buf *b, size_t n)
{
    static const uint8_t hdr[] = { 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                   0, 0, 33, 0, 0, 0, 'S', 'p', 'e', 'c', ' ', 'I', 'D', ' ', 'E', 'v', 'e', 'n',
                                   't', '0', '3', 0, 0, 0, 0, 0, 0, 2, 0, 2, 1, 0, 0, 0, 0x0b, 0, 32, 0, 0 };
    uint8_t ev[4 + 4 + 4 + 2 + 32 + 4 + 8];

    vt_buf_init(b);
    if (vt_buf_append(b, hdr, sizeof(hdr), NULL) != VT_OK)
        abort();
    memset(ev, 0, sizeof(ev));
    ev[0] = 8;               /* PCR 8 */
    ev[4] = 0x0d;            /* EV_IPL */
    ev[8] = 1;               /* one digest */
    ev[12] = 0x0b;           /* SHA-256 */
    ev[14 + 32] = 8;         /* 8 bytes of data */
    for (size_t i = 0; i < n; i++) {
        memcpy(ev + 14, &i, sizeof(i));
        if (vt_buf_append(b, ev, sizeof(ev), NULL) != VT_OK)
            abort();
    }
}

/* tpm2_checkquote run once per quote (a process each time, as a script would):
 * the AK as PEM from its certificate, the quote and its TPMT_SIGNATURE. */
static void checkquote_rate(const char *vec, double secs, double limit)
{
    char dir[] = "/tmp/bench-tpm-XXXXXX", cmd[8192], path[4096];
    vt_buf b, pem;
    vt_x509 *cert = NULL;
    vt_pkey *k = NULL;
    long n = 0;
    double t0, t;

    if (system("command -v tpm2_checkquote >/dev/null 2>&1") != 0 || mkdtemp(dir) == NULL) {
        printf("| tpm2_checkquote per quote: skipped (tpm2-tools not installed) | - | - |\n");
        return;
    }
    vt_buf_init(&b);
    vt_buf_init(&pem);
    snprintf(path, sizeof(path), "%s/tpm/gce-cos85-no-nonce/ak_cert.der", vec);
    if (vt_file_read(&b, path, 1 << 20, NULL) != VT_OK || vt_x509_from_der(&cert, b.data, b.len, NULL) != VT_OK ||
        vt_x509_pubkey(&k, cert, NULL) != VT_OK || vt_pkey_to_pem(&pem, k, false, NULL) != VT_OK)
        abort();
    snprintf(path, sizeof(path), "%s/ak.pem", dir);
    if (vt_file_write(path, pem.data, pem.len, 0644, NULL) != VT_OK)
        abort();
    snprintf(cmd, sizeof(cmd),
             "tpm2_checkquote -u %s/ak.pem -m %s/tpm/gce-cos85-no-nonce/quote_sha256.attest "
             "-s %s/tpm/gce-cos85-no-nonce/quote_sha256.sig -g sha256 >/dev/null 2>&1",
             dir, vec, vec);
    t0 = bench_now();
    do {
        if (system(cmd) != 0) {
            printf("| tpm2_checkquote per quote: refused the GCE quote | - | - |\n");
            goto out;
        }
        n++;
        t = bench_now() - t0;
    } while (t < secs);
    printf("| tpm2_checkquote, one process per quote (signature and extraData; no PCR file) | %.0f | %.0f%% |\n",
           (double)n / t, 100.0 * (double)n / t / limit);
out:
    unlink(path);
    rmdir(dir);
    vt_pkey_free(k);
    vt_x509_free(cert);
    vt_buf_free(&b);
    vt_buf_free(&pem);
}

/* The Azure envelope of one real capture: conversion, and verification from it and from its directory. */
static void azure_rates(const char *vec, const char *dir, const char *at, double secs, double limit)
{
    char path[4096];
    vt_buf env, conv, d;
    vt_verify_opts o;
    vt_verify_cache *cache = NULL;
    long n = 0;
    double t0, t, rate;

    vt_buf_init(&env);
    vt_buf_init(&d);
    snprintf(path, sizeof(path), "%s/tpm/%s/evidence.orig.json", vec, dir);
    if (vt_file_read(&env, path, VT_AZURE_ENVELOPE_MAX, NULL) != VT_OK) {
        printf("| Azure envelope %s: skipped, no vectors | - | - |\n", dir);
        return;
    }
    snprintf(path, sizeof(path), "%s/tpm/%s", vec, dir);
    if (vt_tpm_evidence_load_dir(&d, path, NULL) != VT_OK || vt_verify_cache_new(&cache, NULL) != VT_OK)
        abort();
    t0 = bench_now();
    do {
        vt_buf_init(&conv);
        if (vt__azure_envelope_to_container(&conv, env.data, env.len, NULL) != VT_OK)
            abort();
        vt_buf_free(&conv);
        n++;
        t = bench_now() - t0;
    } while (t < secs);
    printf("| %s envelope (%zu B JSON) to container, conversion only | %.0f | - |\n", dir, env.len, (double)n / t);
    memset(&o, 0, sizeof(o));
    o.platform = VT_TEE_NONE;
    if (vt_time_parse(&o.now, at, NULL) != VT_OK)
        abort();
    o.cache = cache;
    rate = bench_verify_rate(&env, &o, secs);
    printf("| %s: whole chain from the envelope (VCEK chain cached) | %.0f | %.0f%% |\n", dir, rate, 100.0 * rate / limit);
    rate = bench_verify_rate(&d, &o, secs);
    printf("| %s: whole chain from the directory's container (VCEK chain cached) | %.0f | %.0f%% |\n", dir, rate,
           100.0 * rate / limit);
    vt_verify_cache_free(cache);
    vt_buf_free(&env);
    vt_buf_free(&d);
}

int main(int argc, char **argv)
{
    const char *vec = getenv("VERITEE_VECTORS");
    double secs = argc > 1 ? atof(argv[1]) : 2.0, limit, p256, rate;
    static const uint8_t ak[32] = { 0x6a, 0x11, 0x4d, 0x75, 0xad, 0x6e, 0x7b, 0x75, 0xf7, 0xda, 0x33,
                                    0xde, 0xad, 0x50, 0xf2, 0xe2, 0x9b, 0xf5, 0x09, 0x10, 0x86, 0x46,
                                    0xce, 0xd2, 0xe5, 0x88, 0xbe, 0xbc, 0x35, 0xf0, 0xd5, 0xb6 };
    const uint8_t(*pins)[32] = &ak;
    vt_verify_opts o;
    vt_buf ev;
    vt_verify_cache *cache = NULL;

    if (vt_verify_cache_new(&cache, NULL) != VT_OK)
        abort();
    if (secs <= 0)
        secs = 2.0;
    if (vec == NULL)
        vec = "../shared/vectors";
    vt_buf_init(&ev);
    limit = openssl_rsa2048_rate(secs);
    p256 = bench_openssl_ecdsa_rate("P-256", EVP_sha256(), 113, secs);
    printf("TPM 2.0 quote verification, 1 core\n");
    printf("| measurement | per second | vs limit |\n|---|---:|---:|\n");
    printf("| OpenSSL RSA-2048 verify (PKCS#1 v1.5/SHA-256, 113 B, key cached) = limit | %.0f | 100%% |\n", limit);
    printf("| OpenSSL P-256 verify (ECDSA/SHA-256, 113 B, key cached) | %.0f | - |\n", p256);
    memset(&o, 0, sizeof(o));
    o.platform = VT_TEE_TPM;
    o.now = vt_time_from_utc(2022, 1, 1, 0, 0, 0);
    o.tpm_ak_sha256 = pins;
    o.tpm_ak_count = 1;
    if (add_file(&ev, vec, "quote_sha256.attest", VT_TPM_PART_ATTEST, 0) != 0) {
        printf("| TPM quote (GCE): skipped, no vectors at %s | - | - |\n", vec);
    } else if (add_file(&ev, vec, "quote_sha256.sig", VT_TPM_PART_SIG, 0) == 0 &&
               add_file(&ev, vec, "pcrs_sha256.bin", VT_TPM_PART_PCRS, VT_TPM_ALG_SHA256) == 0 &&
               add_file(&ev, vec, "ak_pub.tpmt", VT_TPM_PART_AK_PUB, 0) == 0) {
        rate = bench_verify_rate(&ev, &o, secs);
        printf("| TPM quote (GCE vTPM, RSA-2048 AK pinned, 24 SHA-256 PCRs) | %.0f | %.0f%% |\n", rate,
               100.0 * rate / limit);
        o.cache = cache;
        rate = bench_verify_rate(&ev, &o, secs);
        printf("| same, AK cached (vt_verify_cache: imported AK) | %.0f | %.0f%% |\n", rate, 100.0 * rate / limit);
        o.cache = NULL;
        if (add_file(&ev, vec, "ak_cert.der", VT_TPM_PART_AK_CERT, 0) == 0) {
            o.tpm_ak_count = 0;
            rate = bench_verify_rate(&ev, &o, secs);
            printf("| same, AK certificate chain verified each time (GCE CA, no cache) | %.0f | %.0f%% |\n", rate,
                   100.0 * rate / limit);
            o.cache = cache;
            rate = bench_verify_rate(&ev, &o, secs);
            printf("| same, AK certificate chain cached (warm) | %.0f | %.0f%% |\n", rate, 100.0 * rate / limit);
            o.cache = NULL;
        }
        checkquote_rate(vec, secs, limit);
    }
    vt_buf_free(&ev);
    vt_verify_cache_free(cache);
    {
        double p384 = bench_openssl_ecdsa_rate("P-384", EVP_sha384(), 1184, secs);
        double both = 1.0 / (1.0 / p384 + 1.0 / limit);
        printf("\nAzure CVM evidence (SEV-SNP, JSON envelope), 1 core\n");
        printf("| measurement | per second | vs limit |\n|---|---:|---:|\n");
        printf("| OpenSSL P-384 verify (1184 B) then RSA-2048 verify = limit | %.0f | 100%% |\n", both);
        azure_rates(vec, "azure-snp-milan-v0", "2025-02-27T16:26:55Z", secs, both);
        azure_rates(vec, "azure-snp-milan-v1", "2025-02-27T16:26:55Z", secs, both);
    }
    printf("\nTCG2 event log replay (SHA-256 bank, 62-byte events), 1 core\n");
    printf("| events | replays per second | events per second |\n|---:|---:|---:|\n");
    for (size_t n = 1000; n <= 100000; n *= 10) {
        vt__tpm_evlog *log = malloc(sizeof(*log));
        vt_buf b;
        long k = 0;
        double t0, t;

        make_log(&b, n);
        t0 = bench_now();
        do {
            if (vt__tpm_evlog_replay(log, b.data, b.len, NULL) != VT_OK || log->event_count != n + 1)
                abort();
            k++;
            t = bench_now() - t0;
        } while (t < secs);
        printf("| %zu | %.1f | %.0f |\n", n, (double)k / t, (double)k * (double)n / t);
        vt_buf_free(&b);
        free(log);
    }
    return 0;
}
