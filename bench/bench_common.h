/* Shared by the benchmarks: a clock, OpenSSL's own ECDSA verify rate (the
 * limit), and the rate of vt_evidence_verify on one piece of evidence. */
#ifndef VT_BENCH_COMMON_H
#define VT_BENCH_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/ec.h>
#include <openssl/evp.h>

#include "veritee/veritee.h"

static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* OpenSSL ECDSA verifies per second on one core, key cached: curve "P-256"
 * with SHA-256 or "P-384" with SHA-384, over msg_len bytes. */
static inline double bench_openssl_ecdsa_rate(const char *curve, const EVP_MD *md, size_t msg_len, double secs)
{
    EVP_PKEY *key = EVP_EC_gen(curve);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char *msg = calloc(1, msg_len), sig[160];
    size_t siglen = sizeof(sig);
    long n = 0;
    double t0, t;

    if (key == NULL || ctx == NULL || msg == NULL || EVP_DigestSignInit(ctx, NULL, md, NULL, key) != 1 ||
        EVP_DigestSign(ctx, sig, &siglen, msg, msg_len) != 1)
        abort();
    t0 = bench_now();
    do {
        for (int i = 0; i < 20; i++) {
            EVP_MD_CTX_reset(ctx);
            if (EVP_DigestVerifyInit(ctx, NULL, md, NULL, key) != 1 ||
                EVP_DigestVerify(ctx, sig, siglen, msg, msg_len) != 1)
                abort();
        }
        n += 20;
        t = bench_now() - t0;
    } while (t < secs);
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(key);
    free(msg);
    return (double)n / t;
}

/* Verifications per second of one piece of evidence; exits if it is not accepted. */
static inline double bench_verify_rate(const vt_buf *ev, const vt_verify_opts *o, double secs)
{
    vt_result *r = malloc(sizeof(*r));
    long n = 0;
    double t0 = bench_now(), t;

    do {
        vt_err err = { 0 };
        if (vt_evidence_verify(r, ev->data, ev->len, o, &err) != VT_OK || !r->valid) {
            fprintf(stderr, "bench: verification failed: %s %s\n", err.msg, r->error_count ? r->errors[0].msg : "");
            exit(1);
        }
        n++;
        t = bench_now() - t0;
    } while (t < secs);
    free(r);
    return (double)n / t;
}

#endif
