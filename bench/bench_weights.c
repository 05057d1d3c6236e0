/*
 * Encrypted model decryption (veritee-weights-v1) on a file in the page cache,
 * into a memfd (as the gateway does), next to its limits measured in the same
 * run: OpenSSL's single-core AES-256-GCM decrypt speed (what `openssl speed
 * -evp aes-256-gcm` reports, on 4 MiB blocks) times the cores, and the same
 * with the plaintext's SHA-256 tree digest computed in the same pass (the
 * format requires it), and SHA-256 alone times the cores (the digest's own bound).
 * Size: $BENCH_WEIGHTS_MB (default 2048, the 2 GiB).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "bench_common.h"

#define BLOCK ((size_t)4 << 20)

/* Single-core GB/s of AES-256-GCM decryption (with tag check) or SHA-256, BLOCK at a time. */
static double openssl_gbs(bool aes, double secs)
{
    unsigned char *in = malloc(BLOCK + 16), *out = malloc(BLOCK), key[32] = { 1 }, iv[12] = { 2 }, tag[16], md[32];
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    double t0, t;
    size_t done = 0;
    int n;

    memset(in, 0xa5, BLOCK);
    EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, iv);
    EVP_EncryptUpdate(c, in, &n, in, (int)BLOCK);
    EVP_EncryptFinal_ex(c, out, &n);
    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag);
    t0 = bench_now();
    do {
        if (aes) {
            EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, iv);
            EVP_DecryptUpdate(c, out, &n, in, (int)BLOCK);
            EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, tag);
            if (EVP_DecryptFinal_ex(c, md, &n) != 1)
                abort();
        } else {
            EVP_Digest(in, BLOCK, md, NULL, EVP_sha256(), NULL);
        }
        done += BLOCK;
        t = bench_now() - t0;
    } while (t < secs);
    EVP_CIPHER_CTX_free(c);
    free(in);
    free(out);
    return (double)done / t / 1e9;
}

int main(int argc, char **argv)
{
    const char *mb_env = getenv("BENCH_WEIGHTS_MB");
    size_t mb = mb_env != NULL ? (size_t)atol(mb_env) : 2048;
    double secs = argc > 1 ? atof(argv[1]) : 2.0;
    char plain[] = "/tmp/vt-bench-weights-XXXXXX", enc[64];
    unsigned char *buf = malloc(BLOCK);
    uint8_t key[32];
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    double aes, sha, both, best = 0, best1 = 0;
    uint64_t x = 0x9e3779b97f4a7c15ull;
    vt_err err = { 0 };
    int fd = mkstemp(plain), in, out;

    if (fd < 0 || buf == NULL || mb < 4)
        return 1;
    for (size_t i = 0; i < BLOCK / 8; i++) { /* incompressible, cheap to make */
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        memcpy(buf + 8 * i, &x, 8);
    }
    for (size_t w = 0; w < mb / 4; w++)
        if (write(fd, buf, BLOCK) != (ssize_t)BLOCK)
            return 1;
    close(fd);
    free(buf);
    memset(key, 0x42, sizeof(key));
    snprintf(enc, sizeof(enc), "%s.enc", plain);
    if (vt_weights_encrypt_file(NULL, enc, plain, key, "model.safetensors", NULL, &err) != VT_OK) {
        fprintf(stderr, "bench: %s\n", err.msg);
        return 1;
    }
    unlink(plain);

    aes = openssl_gbs(true, secs);
    sha = openssl_gbs(false, secs);
    both = 1.0 / (1.0 / aes + 1.0 / sha); /* one core doing both passes over each byte */
    in = open(enc, O_RDONLY);
    out = memfd_create("plain", MFD_CLOEXEC);
    for (int run = 0; run < 3 && in >= 0 && out >= 0; run++) { /* the first run also warms the page cache */
        vt_weights_opts o = { .threads = run < 2 ? 0 : 1 };
        double t0 = bench_now(), t;
        vt_weights_info info;
        if (vt_weights_decrypt_fd(&info, out, in, key, "model.safetensors", &o, &err) != VT_OK) {
            fprintf(stderr, "bench: %s\n", err.msg);
            return 1;
        }
        t = bench_now() - t0;
        if (run < 2 && (double)info.size / t / 1e9 > best)
            best = (double)info.size / t / 1e9;
        if (run >= 2 && (double)info.size / t / 1e9 > best1)
            best1 = (double)info.size / t / 1e9;
    }
    close(in);
    close(out);
    unlink(enc);

    printf("Encrypted model decryption, %zu MiB file in page cache into a memfd, %ld cores\n", mb / 4 * 4, cores);
    printf("| measurement | GB/s | vs AES limit | vs AES+digest limit |\n|---|---:|---:|---:|\n");
    printf("| OpenSSL AES-256-GCM decrypt, 1 core (4 MiB blocks) | %.2f | | |\n", aes);
    printf("| OpenSSL SHA-256, 1 core (4 MiB blocks) | %.2f | | |\n", sha);
    printf("| limit: AES-256-GCM x %ld cores | %.2f | 100%% | |\n", cores, aes * (double)cores);
    printf("| limit: SHA-256 x %ld cores (the digest alone) | %.2f | %.0f%% | |\n", cores, sha * (double)cores,
           100.0 * sha / aes);
    printf("| limit: (AES-256-GCM + SHA-256 in one pass) x %ld cores | %.2f | | 100%% |\n", cores,
           both * (double)cores);
    printf("| veritee model decrypt (4 MiB segments, digest checked, all cores) | %.2f | %.0f%% | %.0f%% |\n", best,
           100.0 * best / (aes * (double)cores), 100.0 * best / (both * (double)cores));
    printf("| veritee model decrypt, 1 thread (vs the 1-core limits) | %.2f | %.0f%% | %.0f%% |\n", best1,
           100.0 * best1 / aes, 100.0 * best1 / both);
    return 0;
}
