/* Passports per second over HTTP (run by bench_passport.sh, which starts the
 * verifier): CONNS client threads each loop the attester flow — POST
 * /v1/challenge, simulated TDX evidence bound to the nonce and the client's
 * key, POST /v1/attest (verify, appraise, sign, store durably, log append) —
 * for SECS seconds; beside it, the in-process verify rate of the same kind of
 * evidence on one core (the limit the issue compares with).
 * usage: passport_load VERIFIER_URL ENV STATE_DIR CONNS SECS */
#include <pthread.h>
#include <sys/resource.h>

#include "bench_common.h"

struct worker {
    pthread_t t;
    const char *url, *env, *state;
    double until;
    long ok, failed;
    char last_err[256];
};

static void *work(void *arg)
{
    struct worker *w = arg;
    vt_attester_opts o = { .verifier_url = w->url, .environment = w->env, .platform = VT_TEE_TDX,
                           .simulate = true, .state_dir = w->state, .timeout_ms = 30000 };
    vt_pkey *key = NULL;
    vt_mlog *log = NULL;
    vt_http_conn *conn = NULL;
    vt_err err = { 0 };

    /* One kept-alive connection per client, as "32 connections" says: a connection per
     * passport would add a TCP handshake and teardown to both sides of every one. */
    if (vt_pkey_generate(&key, VT_KEY_EC_P256, &err) != VT_OK || vt_mlog_new(&log, &err) != VT_OK ||
        vt_http_conn_new(&conn, &err) != VT_OK) {
        snprintf(w->last_err, sizeof(w->last_err), "%s", err.msg);
        vt_pkey_free(key);
        vt_mlog_free(log);
        return NULL;
    }
    o.conn = conn;
    while (bench_now() < w->until) {
        vt_attester_result r;
        memset(&r, 0, sizeof(r));
        if (vt_attester_run(&r, &o, log, key, &err) == VT_OK && r.token != NULL) {
            w->ok++;
        } else {
            w->failed++;
            snprintf(w->last_err, sizeof(w->last_err), "%s", err.msg[0] ? err.msg : r.reason);
        }
        vt_attester_result_clear(&r);
    }
    vt_http_conn_free(conn);
    vt_mlog_free(log);
    vt_pkey_free(key);
    return NULL;
}

/* What one client core can make: simulated evidence per second (the simulator loads its CA
 * from disk and signs a fresh PCK certificate and collateral for every quote). */
static double evidence_rate(const char *state, double secs)
{
    vt_attester_opts o = { .platform = VT_TEE_TDX, .simulate = true, .state_dir = state };
    uint8_t nonce[32] = { 2 };
    vt_pkey *key = NULL;
    vt_mlog *log = NULL;
    vt_tee_kind kind;
    vt_err err = { 0 };
    long n = 0;
    double t0 = bench_now(), t;

    if (vt_pkey_generate(&key, VT_KEY_EC_P256, &err) != VT_OK || vt_mlog_new(&log, &err) != VT_OK)
        exit(1);
    do {
        vt_buf ev;
        vt_collateral *c = NULL;
        vt_buf_init(&ev);
        if (vt_collateral_new(&c, &err) != VT_OK ||
            vt_attester_evidence(&ev, c, &kind, &o, log, nonce, sizeof(nonce), key, &err) != VT_OK) {
            fprintf(stderr, "passport_load: simulated evidence: %s\n", err.msg);
            exit(1);
        }
        vt_buf_free(&ev);
        vt_collateral_free(c);
        n++;
        t = bench_now() - t0;
    } while (t < secs);
    vt_mlog_free(log);
    vt_pkey_free(key);
    return (double)n / t;
}

/* The verifier's own work on one such quote, in-process on one core (chains and collateral cached). */
static double inprocess_rate(const char *state, double secs)
{
    vt_attester_opts o = { .platform = VT_TEE_TDX, .simulate = true, .state_dir = state };
    uint8_t nonce[32] = { 1 }, rd[64];
    vt_buf ev;
    vt_collateral *coll = NULL;
    vt_verify_cache *cache = NULL;
    vt_pkey *key = NULL;
    vt_mlog *log = NULL;
    vt_tee_kind kind;
    vt_verify_opts vo;
    vt_buf raw;
    vt_err err = { 0 };
    double rate;

    vt_buf_init(&ev);
    vt_buf_init(&raw);
    if (vt_pkey_generate(&key, VT_KEY_EC_P256, &err) != VT_OK || vt_mlog_new(&log, &err) != VT_OK ||
        vt_collateral_new(&coll, &err) != VT_OK || vt_verify_cache_new(&cache, &err) != VT_OK ||
        vt_attester_evidence(&ev, coll, &kind, &o, log, nonce, sizeof(nonce), key, &err) != VT_OK ||
        vt_pkey_public_raw(&raw, key, &err) != VT_OK ||
        vt_report_data_bind(rd, nonce, sizeof(nonce), raw.data, raw.len, &err) != VT_OK) {
        fprintf(stderr, "passport_load: in-process setup: %s\n", err.msg);
        exit(1);
    }
    memset(&vo, 0, sizeof(vo));
    vo.platform = kind;
    vo.now = vt_time_now();
    vo.collateral = coll;
    vo.expected_report_data = rd;
    vo.expected_report_data_len = sizeof(rd);
    vo.trust_sim = true;
    vo.state_dir = state;
    vo.cache = cache;
    vo.mlog = log;
    rate = bench_verify_rate(&ev, &vo, secs);
    vt_buf_free(&ev);
    vt_buf_free(&raw);
    vt_collateral_free(coll);
    vt_verify_cache_free(cache);
    vt_mlog_free(log);
    vt_pkey_free(key);
    return rate;
}

/* This process's user + system CPU so far, seconds (all threads). */
static double cpu_seconds(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
    struct worker *w;
    unsigned conns;
    double secs, t0, t, limit, gen, cpu0, cpu1;
    long ok = 0, failed = 0;
    const char *why = "";

    if (argc != 6) {
        fprintf(stderr, "usage: passport_load VERIFIER_URL ENV STATE_DIR CONNS SECS\n");
        return 2;
    }
    conns = (unsigned)strtoul(argv[4], NULL, 10);
    secs = strtod(argv[5], NULL);
    if (conns == 0 || conns > 256 || secs <= 0)
        return 2;
    limit = inprocess_rate(argv[3], secs);
    gen = evidence_rate(argv[3], secs);
    w = calloc(conns, sizeof(*w));
    cpu0 = cpu_seconds();
    t0 = bench_now();
    for (unsigned i = 0; i < conns; i++) {
        w[i] = (struct worker){ .url = argv[1], .env = argv[2], .state = argv[3], .until = t0 + secs };
        pthread_create(&w[i].t, NULL, work, &w[i]);
    }
    for (unsigned i = 0; i < conns; i++) {
        pthread_join(w[i].t, NULL);
        ok += w[i].ok;
        failed += w[i].failed;
        if (w[i].last_err[0])
            why = w[i].last_err;
    }
    t = bench_now() - t0;
    cpu1 = cpu_seconds();
    printf("| in-process verify of a simulated TDX quote + log replay (1 core, cached chains) | %.0f | 100%% |\n", limit);
    printf("| passports over HTTP, %u connections (challenge, evidence, attest, appraise, sign, store, log) | %.0f | %.0f%% |\n",
           conns, (double)ok / t, 100.0 * ((double)ok / t) / limit);
    printf("| client side: simulated TDX evidence made per second (1 core; every HTTP passport needs one) | %.0f | |\n",
           gen);
    if (ok > 0)
        printf("| client CPU per passport: %.2f ms (evidence, HTTP, passport check; shares the 2 cores) | %.0f | |\n",
               1000.0 * (cpu1 - cpu0) / (double)ok, (double)ok / (cpu1 - cpu0));
    if (failed > 0)
        printf("(%ld attests failed; last: %s)\n", failed, why);
    free(w);
    return 0;
}
