/* The verifier process: key ring, store, workers, signals. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/owner_lock.h"
#include "verifier/verifier.h"

vt_status vf_routes(vf_service *svc, vt_err *err);

vt_status vf_store_failed(vt_err *e, vt_status rc)
{
    vf_log_line("error", "store failure", e->msg);
    return vt_err_set(e, rc, "%s", VF_STORE_UNAVAILABLE);
}

void vf_reply_store_error(vt_http_resp *resp, const vt_err *e)
{
    vt_err said = *e;

    (void)vf_store_failed(&said, VT_E_IO);
    vt_http_reply_error(resp, 503, "store_unavailable", "%s", said.msg);
}

/*
 * One process serves a SQLite database: its challenges live in that process (challenges.h),
 * so a second verifier on the same file would answer "nonce unknown" to half the attesters
 * and let a nonce be taken once in each.  <db>-verifier.lock is held until the service ends;
 * several verifiers share PostgreSQL instead.
 */
static vt_status own_sqlite(vf_service *svc, vt_err *err)
{
    const char *path = svc->db_url + 7;
    char lock[4300], pid[VT_OWNER_PID_MAX];
    vt_status rc;

    if (strncmp(svc->db_url, "sqlite:", 7) != 0 || strcmp(path, ":memory:") == 0 || strncmp(path, "file:", 5) == 0)
        return VT_OK;
    snprintf(lock, sizeof(lock), "%s-verifier.lock", path);
    rc = vt__owner_lock(&svc->owner_fd, pid, lock, err);
    if (rc == VT_E_POLICY)
        return vt_err_set(err, VT_E_POLICY,
                          "verifier: %s is served by another verifier%s%s%s; one process serves a SQLite database "
                          "(several share PostgreSQL: --db postgres://...)",
                          path, pid[0] != '\0' ? " (pid " : "", pid, pid[0] != '\0' ? ")" : "");
    return rc;
}

vt_status vf_service_init(vf_service *svc, const vf_config *cfg, vt_err *err)
{
    vt_status rc;
    vs_store *st = NULL;

    memset(svc, 0, sizeof(*svc));
    svc->owner_fd = -1;
    svc->cfg = *cfg;
    pthread_rwlock_init(&svc->kr_lock, NULL);
    if (svc->cfg.issuer == NULL)
        svc->cfg.issuer = "veritee-verifier";
    if (svc->cfg.challenge_ttl <= 0)
        svc->cfg.challenge_ttl = 300;
    if (svc->cfg.key_keep <= 0)
        svc->cfg.key_keep = 7 * 86400;
    if (svc->cfg.threads == 0)
        svc->cfg.threads = 4;
    if (svc->cfg.rate <= 0)
        svc->cfg.rate = 50;
    if (snprintf(svc->key_dir, sizeof(svc->key_dir), "%s/verifier-keys", cfg->state_dir) >= (int)sizeof(svc->key_dir))
        return vt_err_set(err, VT_E_ARG, "verifier: state directory path too long");
    if (snprintf(svc->fetch_cache, sizeof(svc->fetch_cache), "%s/cache/collateral", cfg->state_dir) >=
        (int)sizeof(svc->fetch_cache))
        return vt_err_set(err, VT_E_ARG, "verifier: state directory path too long");
    if (cfg->db != NULL)
        snprintf(svc->db_url, sizeof(svc->db_url), "%s", cfg->db);
    else
        snprintf(svc->db_url, sizeof(svc->db_url), "sqlite:%s/verifier.db", cfg->state_dir);
    rc = vt_dir_private(cfg->state_dir, err); /* tightened to 0700, never another user's */
    if (rc == VT_OK)
        rc = own_sqlite(svc, err);
    if (rc == VT_OK)
        rc = vt_keyring_open(&svc->kr, svc->key_dir, err);
    if (rc == VT_OK)
        rc = vt_verify_cache_new(&svc->cache, err);
    if (rc == VT_OK)
        rc = vt_metrics_new(&svc->metrics, err);
    if (rc == VT_OK)
        rc = vt_metrics_declare(svc->metrics, "verifier_verdicts_total", "counter",
                                "Attestations appraised, by platform and passport status.", err);
    if (rc == VT_OK)
        rc = vt_metrics_declare(svc->metrics, "verifier_stateless_verdicts_total", "counter",
                                "POST /v1/verify results, by platform and verdict.", err);
    if (rc == VT_OK)
        rc = vt_metrics_declare(svc->metrics, "verifier_challenges_total", "counter", "Challenges issued.", err);
    if (rc == VT_OK)
        rc = vt_metrics_declare(svc->metrics, "verifier_nonce_rejections_total", "counter",
                                "Attestations refused for their nonce, by reason.", err);
    if (rc == VT_OK)
        rc = vt_metrics_declare(svc->metrics, "verifier_key_rotations_total", "counter", "Signing key rotations.",
                                err);
    if (rc == VT_OK)
        rc = vt_metrics_declare(svc->metrics, "verifier_key_revocations_total", "counter",
                                "Signing keys revoked (removed from the JWKS at once).", err);
    if (svc->cfg.gateway_rate <= 0)
        svc->cfg.gateway_rate = 1000;
    if (rc == VT_OK)
        rc = vf_routes(svc, err);
    /* One connection up front creates the schema before the workers race for it. */
    if (rc == VT_OK)
        rc = vs_open(&st, svc->db_url, err);
    /* The challenges: the replicas' key from the store when it shares one (PostgreSQL), else
     * a key and a taken set of this process (challenges.h). */
    if (rc == VT_OK) {
        uint8_t key[VS_CHALLENGE_KEY_LEN];
        bool shared = st->ops->challenge_key != NULL;
        if (shared)
            rc = st->ops->challenge_key(st, key, err);
        if (rc == VT_OK)
            rc = vf_challenges_new(&svc->challenges, svc->cfg.challenge_ttl, 0, shared ? key : NULL, err);
        vt_wipe(key, sizeof(key));
    }
    vs_close(st);
    if (rc == VT_OK)
        rc = vf_log_open(&svc->log, svc->db_url, cfg->state_dir, cfg->log_origin, cfg->listen, err);
    if (rc == VT_OK)
        rc = vf_keys_follow(svc, err);
    if (rc == VT_OK && cfg->log_commit_delay_us != 0)
        vf_log_set_commit_delay(svc->log, cfg->log_commit_delay_us);
    if (rc == VT_OK)
        rc = vf_log_metrics(svc->log, svc->metrics, err);
    if (rc == VT_OK && cfg->witness_count > 0)
        rc = vf_log_witness(svc->log, cfg->witnesses, cfg->witness_count, svc->db_url, err);
    if (rc != VT_OK)
        vf_service_fini(svc);
    return rc;
}

void vf_service_fini(vf_service *svc)
{
    vf_log_close(svc->log);
    svc->log = NULL;
    vf_admit_fini(svc);
    vf_keys_fini(svc);
    vt_keyring_free(svc->kr);
    vt_verify_cache_free(svc->cache);
    vt_metrics_free(svc->metrics);
    vf_challenges_free(svc->challenges);
    svc->challenges = NULL;
    if (svc->owner_fd >= 0)
        close(svc->owner_fd); /* lets the database go */
    svc->owner_fd = -1;
    pthread_rwlock_destroy(&svc->kr_lock);
    svc->kr = NULL;
    svc->cache = NULL;
    svc->metrics = NULL;
}

vt_status vf_thread_init(void **tctx, void *arg, unsigned index, vt_err *err)
{
    vf_service *svc = arg;
    vs_store *st = NULL;
    vt_status rc = vs_open(&st, svc->db_url, err);

    (void)index;
    if (rc == VT_OK)
        rc = vs_set_metrics(st, svc->metrics, err);
    if (rc != VT_OK) {
        vs_close(st);
        st = NULL;
    }
    *tctx = st;
    return rc;
}

void vf_thread_fini(void *tctx, void *arg)
{
    (void)arg;
    vs_close(tctx);
}

vt_status vf_rotate(vf_service *svc, vt_err *err)
{
    vt_status rc;
    const char *kid = NULL;
    char new_kid[VT_JWS_KID_MAX] = "";

    pthread_rwlock_wrlock(&svc->kr_lock);
    rc = vt_keyring_rotate(svc->kr, vt_time_now(), svc->cfg.key_keep, err);
    if (rc == VT_OK && vt_keyring_current(svc->kr, &kid) != NULL && kid != NULL)
        snprintf(new_kid, sizeof(new_kid), "%s", kid); /* the ring's own copy changes under a revoke */
    pthread_rwlock_unlock(&svc->kr_lock);
    if (rc == VT_OK) {
        vt_metrics_inc(svc->metrics, "verifier_key_rotations_total", "", 1);
        vf_log_line("info", "signing key rotated", new_kid);
    }
    return rc;
}

vt_status vf_revoke(vf_service *svc, const char *kid, char *new_kid_out, vt_err *err)
{
    vt_status rc;

    pthread_rwlock_wrlock(&svc->kr_lock);
    rc = vt_keyring_revoke(svc->kr, kid, vt_time_now(), new_kid_out, err);
    pthread_rwlock_unlock(&svc->kr_lock);
    if (rc == VT_OK) {
        vt_metrics_inc(svc->metrics, "verifier_key_revocations_total", "", 1);
        vf_log_line("warn", "signing key revoked", kid);
    }
    return rc;
}

struct runner {
    vt_http_server *srv;
    vt_status rc;
    vt_err err;
};

static void *serve(void *arg)
{
    struct runner *r = arg;
    r->rc = vt_http_server_run(r->srv, &r->err);
    /* Wake the signal loop so the process ends when the server does. */
    kill(getpid(), SIGTERM);
    return NULL;
}

int vf_run(const vf_config *cfg)
{
    vf_service svc;
    vt_http_server_opts o;
    vt_http_server *srv = NULL;
    struct runner r;
    pthread_t th;
    sigset_t set;
    vt_err err = { 0 };
    vt_time next_rotation;
    char msg[128];

    memset(&r, 0, sizeof(r));
    /* Signals are taken synchronously by this thread; the workers never see them. */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (vf_service_init(&svc, cfg, &err) != VT_OK) {
        fprintf(stderr, "veritee: %s\n", err.msg);
        return err.code == VT_E_ARG ? 2 : 1;
    }
    memset(&o, 0, sizeof(o));
    o.listen = cfg->listen;
    o.threads = svc.cfg.threads;
    o.max_body = cfg->max_body;
    o.max_connections = cfg->max_connections;
    o.max_per_client = cfg->max_per_client;
    o.timeout_s = cfg->request_timeout_s;
    /* no rate in the server: admission (admit.c) limits per address, and per passport for gateways */
    o.name = "verifier";
    o.access_log = !cfg->quiet;
    o.metrics = svc.metrics;
    o.thread_init = vf_thread_init;
    o.thread_fini = vf_thread_fini;
    o.thread_arg = &svc;
    o.origins = &svc.cfg.origins;
    o.origin_hint = "the verifier allows a web app's origin with --allow-origin ORIGIN";
    o.hosts = &svc.cfg.hosts;
    o.host_hint = "the verifier answers a name listed with --allow-host NAME[:PORT]";
    if (vt_http_server_new(&srv, &o, &svc.router, &err) != VT_OK) {
        fprintf(stderr, "veritee: %s\n", err.msg);
        vf_service_fini(&svc);
        return 2;
    }
    /* The one line scripts wait for: where we listen (the real port when 0 was asked). */
    {
        char host[256];
        const char *colon = strrchr(cfg->listen, ':');
        size_t hl = colon != NULL ? (size_t)(colon - cfg->listen) : 0;
        snprintf(host, sizeof(host), "%.*s", (int)(hl < sizeof(host) ? hl : 0), cfg->listen);
        printf("veritee verifier listening on http://%s:%d (store %s)\n", host, vt_http_server_port(srv),
               strncmp(svc.db_url, "sqlite:", 7) == 0 ? "sqlite" : "postgres");
    }
    fflush(stdout);
    snprintf(msg, sizeof(msg), "port %d", vt_http_server_port(srv));
    vf_log_line("info", "listening", msg);
    r.srv = srv;
    if (pthread_create(&th, NULL, serve, &r) != 0) {
        fprintf(stderr, "veritee: cannot start the server thread\n");
        vt_http_server_free(srv);
        vf_service_fini(&svc);
        return 1;
    }
    next_rotation = cfg->rotate_every > 0 ? vt_time_now() + cfg->rotate_every : 0;
    for (;;) {
        struct timespec ts = { 1, 0 };
        int sig = sigtimedwait(&set, NULL, &ts);
        if (sig == SIGTERM || sig == SIGINT)
            break;
        if (sig == SIGHUP || (next_rotation != 0 && vt_time_now() >= next_rotation)) {
            vt_err e = { 0 };
            if (vf_rotate(&svc, &e) != VT_OK)
                vf_log_line("error", "key rotation failed", e.msg);
            if (cfg->rotate_every > 0)
                next_rotation = vt_time_now() + cfg->rotate_every;
        }
    }
    vf_log_line("info", "shutting down", NULL);
    vt_http_server_stop(srv);
    pthread_join(th, NULL);
    vt_http_server_free(srv);
    vf_service_fini(&svc);
    if (r.rc != VT_OK) {
        fprintf(stderr, "veritee: %s\n", r.err.msg);
        return 1;
    }
    return 0;
}
