/*
 * TDX verification with collateral fetched from a PCS (the verifier's way),
 * next to the same limit as bench_tdx (2 x OpenSSL P-256 verify, one core):
 *
 *   warm        collateral fetched once, then cached (memory + disk)
 *   cold        first quote of a new FMSPC: empty caches, four requests to a
 *               stand-in PCS on 127.0.0.1, then a full verification
 *   new machine a quote from a PCK leaf never seen before, collateral and
 *               intermediates cached (the fleet case); simulated quotes, as
 *               there is one real leaf per FMSPC in the vectors
 *
 * and the requests each phase made (0 on the hot paths).  Needs the vectors
 * and python3 with tests/e2e/pcs_standin.py ($VERITEE_PCS_STANDIN); skips
 * otherwise.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_common.h"
#include "tee/cache.h"
#include "tee/fetch.h"
#include "veritee/http.h"

#define NEW_MACHINES 400

static pid_t standin;

static void stop_standin(void)
{
    if (standin > 0) {
        kill(standin, SIGTERM);
        waitpid(standin, NULL, 0);
        standin = 0;
    }
}

/* Starts the stand-in with the given profiles; returns its port. */
static int start_standin(const char *script, const char *dir, char **profiles, int count)
{
    char portfile[4200], *argv[16];
    vt_buf b;
    int port = 0;

    snprintf(portfile, sizeof(portfile), "%s/port", dir);
    argv[0] = "python3";
    argv[1] = (char *)script;
    argv[2] = portfile;
    for (int i = 0; i < count && i < 12; i++)
        argv[3 + i] = profiles[i];
    argv[3 + count] = NULL;
    standin = fork();
    if (standin == 0) {
        if (freopen("/dev/null", "w", stderr) == NULL)
            _exit(127);
        execvp("python3", argv);
        _exit(127);
    }
    vt_buf_init(&b);
    for (int i = 0; i < 400 && port == 0; i++) {
        struct timespec nap = { 0, 25 * 1000 * 1000 };
        b.len = 0;
        if (vt_file_read(&b, portfile, 32, NULL) == VT_OK && b.len > 0)
            port = atoi((const char *)b.data);
        else
            nanosleep(&nap, NULL);
    }
    vt_buf_free(&b);
    return port;
}

static void must(vt_status rc, const vt_err *err)
{
    if (rc != VT_OK) {
        fprintf(stderr, "bench: %s\n", err->msg);
        stop_standin();
        exit(1);
    }
}

static void verify_ok(const vt_buf *q, const vt_verify_opts *o)
{
    vt_result *r = malloc(sizeof(*r));
    vt_err err = { 0 };

    if (r == NULL || vt_evidence_verify(r, q->data, q->len, o, &err) != VT_OK || !r->valid ||
        strcmp(r->claims.tcb_status, "UpToDate") != 0) {
        fprintf(stderr, "bench: verification failed: %s %s\n", err.msg, r != NULL && r->error_count ? r->errors[0].msg : "");
        stop_standin();
        exit(1);
    }
    free(r);
}

int main(int argc, char **argv)
{
    const char *vec = getenv("VERITEE_VECTORS"), *script = getenv("VERITEE_PCS_STANDIN");
    double secs = argc > 1 ? atof(argv[1]) : 2.0;
    char tmp[] = "/tmp/vt-bench-pcs-XXXXXX", path[4200], path2[4200], prof_real[8600], prof_sim[4400], url[128],
         url_sim[128], cache_dir[4300];
    char *profiles[2];
    vt_buf q, *sims = NULL;
    vt_verify_cache *cache = NULL;
    vt_verify_opts o, so;
    vt_sim_tdx_opts sim;
    vt_collateral *scoll = NULL;
    vt_err err = { 0 };
    double limit, warm, cold, fresh, sim_warm, real_new, t0, t;
    unsigned long f0, f_warm, f_new, f_real_new;
    long n;
    int port, cold_runs;

    if (secs <= 0)
        secs = 2.0;
    vt_http_fetch_install(); /* as the program does: the core has no transport of its own */
    if (vec == NULL)
        vec = "../shared/vectors";
    if (script == NULL)
        script = "tests/e2e/pcs_standin.py";
    vt_buf_init(&q);
    snprintf(path, sizeof(path), "%s/tdx/gotdx-v5-tdx15/quote.bin", vec);
    if (vt_file_read(&q, path, 1 << 20, NULL) != VT_OK || access(script, R_OK) != 0) {
        printf("skipped: needs the vectors (%s) and %s\n", vec, script);
        return 0;
    }
    if (mkdtemp(tmp) == NULL)
        return 1;

    /* Simulated machines of one FMSPC: each quote has its own PCK leaf. */
    memset(&sim, 0, sizeof(sim));
    sim.version = 4;
    sim.now = vt_time_now();
    sim.state_dir = tmp;
    sims = calloc(NEW_MACHINES, sizeof(*sims));
    must(vt_collateral_new(&scoll, &err), &err);
    for (int i = 0; i < NEW_MACHINES; i++) {
        vt_buf_init(&sims[i]);
        must(vt_sim_tdx(&sims[i], i == 0 ? scoll : NULL, &sim, &err), &err);
    }
    snprintf(path2, sizeof(path2), "%s/simcoll", tmp);
    must(vt_collateral_save_dir(scoll, path2, &err), &err);

    snprintf(prof_real, sizeof(prof_real), "real=ok:%s/tdx/gotdx-v5-tdx15/collateral-2026-03-lunal:%s", vec, path);
    snprintf(prof_sim, sizeof(prof_sim), "sim=ok:%s", path2);
    profiles[0] = prof_real;
    profiles[1] = prof_sim;
    port = start_standin(script, tmp, profiles, 2);
    if (port <= 0) {
        fprintf(stderr, "bench: the PCS stand-in did not start\n");
        stop_standin();
        return 1;
    }
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/real", port);
    snprintf(url_sim, sizeof(url_sim), "http://127.0.0.1:%d/sim", port);

    memset(&o, 0, sizeof(o));
    if (vt_time_parse(&o.now, "2026-04-01T00:00:00Z", NULL) != VT_OK)
        return 1;
    o.fetch = true;
    o.pcs_url = url;
    o.refresh_before_s = 86400;

    limit = bench_openssl_ecdsa_rate("P-256", EVP_sha256(), 632, secs) / 2;

    /* Cold: every run a new FMSPC as far as the caches know. */
    cold_runs = 0;
    f0 = vt__fetch_network_count();
    t0 = bench_now();
    do {
        snprintf(cache_dir, sizeof(cache_dir), "%s/cold-%d", tmp, cold_runs);
        o.fetch_cache_dir = cache_dir;
        must(vt_verify_cache_new(&cache, &err), &err);
        o.cache = cache;
        verify_ok(&q, &o);
        vt_verify_cache_free(cache);
        cold_runs++;
        t = bench_now() - t0;
    } while (t < secs && cold_runs < 200);
    cold = cold_runs / t;
    if (vt__fetch_network_count() - f0 != 4ul * (unsigned long)cold_runs)
        fprintf(stderr, "bench: cold runs made %lu requests, expected %d\n", vt__fetch_network_count() - f0,
                4 * cold_runs);

    /* Warm: fetched once (above for this cache dir), then cached. */
    snprintf(cache_dir, sizeof(cache_dir), "%s/warm", tmp);
    o.fetch_cache_dir = cache_dir;
    must(vt_verify_cache_new(&cache, &err), &err);
    o.cache = cache;
    verify_ok(&q, &o);
    f0 = vt__fetch_network_count();
    warm = bench_verify_rate(&q, &o, secs);
    f_warm = vt__fetch_network_count() - f0;
    /* The real quote as if from a machine never seen: its PCK chain, leaf
     * identity and attestation key dropped from the cache before each verify. */
    f0 = vt__fetch_network_count();
    n = 0;
    t0 = bench_now();
    do {
        vt__cache_drop_kind(cache, VT_CACHE_TDX_PCK);
        vt__cache_drop_kind(cache, VT_CACHE_TDX_PCK_ID);
        vt__cache_drop_kind(cache, VT_CACHE_TDX_ATT_KEY);
        verify_ok(&q, &o);
        n++;
        t = bench_now() - t0;
    } while (t < secs);
    real_new = n / t;
    f_real_new = vt__fetch_network_count() - f0;
    vt_verify_cache_free(cache);

    /* New machines: one quote per PCK leaf, collateral cached by the first. */
    so = o;
    so.now = sim.now;
    so.pcs_url = url_sim;
    so.trust_sim = true;
    so.state_dir = tmp;
    must(vt_verify_cache_new(&cache, &err), &err);
    so.cache = cache;
    verify_ok(&sims[0], &so);
    f0 = vt__fetch_network_count();
    n = 0;
    t0 = bench_now();
    for (int i = 1; i < NEW_MACHINES; i++) {
        verify_ok(&sims[i], &so);
        n++;
    }
    t = bench_now() - t0;
    fresh = n / t;
    f_new = vt__fetch_network_count() - f0;
    /* The same simulated machine again: what the simulation root costs (read from disk per verify). */
    sim_warm = bench_verify_rate(&sims[0], &so, secs);
    vt_verify_cache_free(cache);
    stop_standin();

    printf("TDX quote verification with collateral from a PCS (stand-in on 127.0.0.1), 1 core\n");
    printf("| measurement | per second | vs limit | PCS requests |\n|---|---:|---:|---:|\n");
    printf("| limit: 2 P-256 verifies (OpenSSL) | %.0f | 100%% | |\n", limit);
    printf("| real v5 quote, collateral fetched once then cached (warm) | %.0f | %.0f%% | %lu |\n", warm,
           100.0 * warm / limit, f_warm);
    printf("| real v5 quote, new FMSPC: empty caches, 4 fetches + full verify (cold) | %.0f | %.0f%% | %d |\n", cold,
           100.0 * cold / limit, 4 * cold_runs);
    printf("| real v5 quote as from a never-seen machine: PCK leaf, its identity and attestation key uncached | %.0f | "
           "%.0f%% | %lu |\n",
           real_new, 100.0 * real_new / limit, f_real_new);
    printf("| simulated quote from a never-seen PCK leaf, collateral cached (%ld machines) | %.0f | %.0f%% | %lu |\n",
           n, fresh, 100.0 * fresh / limit, f_new);
    printf("| simulated quote, same machine again (warm; bounds the row above) | %.0f | %.0f%% | %lu |\n", sim_warm,
           100.0 * sim_warm / limit, f_new);

    for (int i = 0; i < NEW_MACHINES; i++)
        vt_buf_free(&sims[i]);
    free(sims);
    vt_collateral_free(scoll);
    vt_buf_free(&q);
    snprintf(path, sizeof(path), "rm -rf '%s'", tmp);
    if (system(path) != 0)
        fprintf(stderr, "bench: could not remove %s\n", tmp);
    return f_warm == 0 && f_new == 0 && f_real_new == 0 ? 0 : 1;
}
