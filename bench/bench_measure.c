/*
 * Model measurement throughput on a multi-GB file in the page cache, next to
 * its limit measured in the same run: OpenSSL's single-core SHA-256 speed
 * times the number of cores.  coreutils sha256sum is shown as the common
 * peer.  Size: $BENCH_MEASURE_MB (default 2048).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "veritee/veritee.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double openssl_sha256_gbs(double secs)
{
    size_t len = 16u << 20;
    unsigned char *buf = malloc(len), md[32];
    double t0 = now_s(), t;
    size_t done = 0;

    memset(buf, 0xa5, len);
    do {
        EVP_Digest(buf, len, md, NULL, EVP_sha256(), NULL);
        done += len;
        t = now_s() - t0;
    } while (t < secs);
    free(buf);
    return (double)done / t / 1e9;
}

int main(int argc, char **argv)
{
    const char *mb_env = getenv("BENCH_MEASURE_MB");
    size_t mb = mb_env != NULL ? (size_t)atol(mb_env) : 2048;
    double secs = argc > 1 ? atof(argv[1]) : 2.0;
    char path[] = "/tmp/vt-bench-measure-XXXXXX", cmd[256];
    size_t chunk = 8u << 20;
    unsigned char *buf = malloc(chunk);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    double single, best = 0, t, sum_t;
    uint64_t x = 0x9e3779b97f4a7c15ull;
    int fd = mkstemp(path);

    if (fd < 0 || buf == NULL || mb == 0)
        return 1;
    for (size_t i = 0; i < chunk / 8; i++) { /* incompressible, cheap to make */
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        memcpy(buf + 8 * i, &x, 8);
    }
    for (size_t w = 0; w < mb / 8; w++)
        if (write(fd, buf, chunk) != (ssize_t)chunk)
            return 1;
    close(fd);
    free(buf);

    single = openssl_sha256_gbs(secs);
    for (int run = 0; run < 3; run++) { /* the first run also warms the page cache */
        vt_measurement *m = NULL;
        vt_err err = { 0 };
        double t0 = now_s();
        if (vt_measure_path(&m, path, NULL, &err) != VT_OK) {
            fprintf(stderr, "bench: %s\n", err.msg);
            return 1;
        }
        t = now_s() - t0;
        if ((double)m->total_bytes / t / 1e9 > best)
            best = (double)m->total_bytes / t / 1e9;
        vt_measurement_free(m);
    }
    snprintf(cmd, sizeof(cmd), "sha256sum %s >/dev/null", path);
    t = now_s();
    if (system(cmd) != 0)
        fprintf(stderr, "bench: sha256sum failed\n");
    sum_t = now_s() - t;
    unlink(path);

    printf("Model measurement, %zu MiB file in page cache, %ld cores\n", mb / 8 * 8, cores);
    printf("| measurement | GB/s | vs limit |\n|---|---:|---:|\n");
    printf("| OpenSSL SHA-256, 1 core (16 MiB blocks) | %.2f | |\n", single);
    printf("| limit: 1-core SHA-256 x %ld cores | %.2f | 100%% |\n", cores, single * (double)cores);
    printf("| veritee measure (4 MiB chunks, all cores) | %.2f | %.0f%% |\n", best,
           100.0 * best / (single * (double)cores));
    printf("| coreutils sha256sum (peer, 1 core) | %.2f | %.0f%% |\n", (double)(mb / 8 * 8) * 1048576.0 / sum_t / 1e9,
           100.0 * ((double)(mb / 8 * 8) * 1048576.0 / sum_t / 1e9) / (single * (double)cores));
    return 0;
}
