/* veritee verifier: the RATS verifier service (docs/verifier.md). */
#ifndef VT_VERIFIER_H
#define VT_VERIFIER_H

#include <pthread.h>

#include "veritee/veritee.h"
#include "verifier/challenges.h"
#include "verifier/log.h"
#include "verifier/store.h"

typedef struct vf_config {
    const char *listen;          /* "127.0.0.1:8600" */
    const char *state_dir;       /* keys, default database, simulation roots (with trust_sim) */
    const char *db;              /* "sqlite:PATH" or "postgres://..."; NULL = sqlite:<state>/verifier.db */
    const char *issuer;          /* passport "iss"; NULL = "veritee-verifier" */
    const uint8_t *admin_token;  /* borrowed; NULL = admin API disabled */
    size_t admin_token_len;
    bool trust_sim;              /* accept mock and simulated evidence (never hardware attested) */
    const char *sim_roots[VT_SIM_ROOT_FILES_MAX]; /* borrowed; with trust_sim, also these simulation roots
                                                     (a gateway's own <state>/sim/root_ca.pem) */
    size_t sim_root_count;
    int64_t rotate_every;        /* seconds between key rotations; 0 = only on SIGHUP */
    int64_t key_keep;            /* how long a retired key stays published; 0 = 7 days */
    int64_t challenge_ttl;       /* seconds; 0 = 300 */
    unsigned threads;            /* 0 = 4 */
    double rate;                 /* requests/s per client address (anonymous callers); 0 = 50 */
    double burst;                /* 0 = 2 * rate */
    double gateway_rate;         /* requests/s per authenticated gateway (its passport); 0 = 1000 */
    double gateway_burst;        /* 0 = 2 * gateway_rate */
    size_t max_body;             /* 0 = 1 MiB */
    unsigned max_connections;    /* 0 = 512 */
    unsigned max_per_client;     /* open connections from one address; 0 = 64 */
    int request_timeout_s;       /* accept to complete request; 0 = 10 */
    bool quiet;                  /* no access log */
    const char *log_origin;      /* transparency log origin; NULL = stored, else HOST/veritee-log */
    long log_commit_delay_us;    /* vf_log_set_commit_delay; 0 = its default (2 ms), < 0 = none */
    const char *witnesses[8];    /* "URL,VKEY": C2SP tlog-witnesses offered each checkpoint (witness_push.h) */
    size_t witness_count;
    /* TDX collateral from Intel PCS (docs/collateral.md): fetched by default,
     * cached in <state>/cache/collateral until nextUpdate, refreshed a day before. */
    const char *pcs_url;         /* NULL = Intel's PCS */
    const char *root_crl_url;    /* NULL = {pcs_url}/sgx/certification/v4/rootcacrl (Intel's host for Intel's PCS) */
    bool offline;                /* fetch nothing (the disk cache is still read) */
    const char *rim_url;         /* NVIDIA RIM service; NULL = NVIDIA's */
    const char *ocsp_url;        /* NVIDIA OCSP responder; NULL = NVIDIA's */
    const char *kek_file;        /* key broker's key-encryption key; NULL = <state>/kbs-kek.key (made 0600) */
    vt_origin_list origins;      /* browser pages allowed besides loopback ones (--allow-origin; veritee/http.h) */
    vt_host_list hosts;          /* Host names answered besides loopback ones (--allow-host); empty = any */
} vf_config;

#define VF_COLLATERAL_REFRESH_S 86400 /* fetched collateral is renewed this long before its nextUpdate */

#define VF_RECEIPT_BATCH_MAX 1024 /* receipts in one POST /v1/receipts:batch from a gateway */
#define VF_RECEIPT_BATCH_ANON 16  /* ... from an anonymous caller */

typedef struct vf_service vf_service;

/* What a handler registered for it learns about the caller (admit.c). */
struct vf_call {
    vf_service *svc;
    bool gateway;                /* authenticated by a passport this verifier issued (Veritee-Gateway) */
    char passport_id[48];        /* that passport */
};

/* One route behind admission: who calls, and how often (admit.c). */
struct vf_guard {
    vf_service *svc;
    vt_http_handler fn;
    void *ctx;
    bool wants_call;             /* fn takes a struct vf_call as its ctx */
    bool limited;                /* counted against the rate limits (all but /healthz) */
};

/* Shared by every worker: read-only after start except the key ring (rwlock). */
struct vf_service {
    vf_config cfg;
    char db_url[4200];
    char key_dir[4200];
    char fetch_cache[4200];      /* <state>/cache/collateral */
    vt_keyring *kr;
    pthread_rwlock_t kr_lock;
    vt_verify_cache *cache;
    vt_metrics *metrics;
    vt_http_router router;
    vf_log *log;                 /* the transparency log's sequencer (docs/log.md) */
    vt_ratelimit *rl;            /* anonymous callers, per client address */
    vt_ratelimit *rl_gateway;    /* gateways, per passport */
    struct vf_guard guards[VT_HTTP_MAX_ROUTES];
    vt_seal_root kek;            /* the key broker's key-encryption key (keys.c); wiped at fini */
    struct vf_kbs_gen *kbs_gen;  /* each resource's generation as the log says (kbs_gen.h) */
    vf_challenges *challenges;   /* nonces issued and taken (challenges.h) */
    int owner_fd;                /* SQLite: the lock that makes this process its only server */
};

/* Puts every route of svc->router behind admission (vf_guarded); wants_call(fn) tells the
 * handlers that take a struct vf_call.  Makes the rate limiters. */
vt_status vf_admit_init(vf_service *svc, bool (*wants_call)(vt_http_handler fn), vt_err *err);
void vf_admit_fini(vf_service *svc);
/*
 * The admission of one request: a Veritee-Gateway authorization must carry a
 * passport this verifier issued, unexpired and affirming (or warning), and a
 * signature over the request by the enclave key its cnf names — else 401
 * gateway_unauthorized.  Gateways are limited per passport (gateway_rate),
 * everyone else per client address (rate): 429 rate_limited.
 */
void vf_guarded(vt_http_resp *resp, const vt_http_req *req, void *ctx);

/* The admin bearer token check of api.c: false after replying 401/403. */
bool vf_admin_ok(vt_http_resp *resp, const vt_http_req *req, const vf_service *svc);
/* The key broker (keys.c, docs/keys.md): loads the key-encryption key and adds its routes;
 * vf_keys_takes_call tells admission which of them takes a struct vf_call. */
vt_status vf_keys_routes(vf_service *svc, vt_err *err);
bool vf_keys_takes_call(vt_http_handler fn);
vt_status vf_keys_init(vf_service *svc, vt_err *err);
/* Once the log is open: builds each resource's generation from its entries and follows it
 * (vf_log_follow). */
vt_status vf_keys_follow(vf_service *svc, vt_err *err);
void vf_keys_fini(vf_service *svc);

/* Runs the service until SIGTERM/SIGINT; SIGHUP rotates the signing key. Returns an exit status. */
int vf_run(const vf_config *cfg);
/* One operator log line on stderr: {"ts","level","service":"verifier","msg","detail"} (detail
 * optional: our own words, never a secret), written at once (at most 2 KiB: a longer detail
 * is cut).  The _at form adds one more field, key (a name of ours) with value, before detail. */
void vf_log_line(const char *level, const char *msg, const char *detail);
void vf_log_line_at(const char *level, const char *msg, const char *key, const char *value, const char *detail);
/* 503 store_unavailable.  The store's own words (table names, SQL errors) go to the
 * operator's log (vf_log_line), not to whoever asked: the caller learns only to come back. */
#define VF_STORE_UNAVAILABLE "the verifier's store is unavailable now; try again"
/* e (the store's error, rc) to the operator's log; e then holds only VF_STORE_UNAVAILABLE,
 * for the caller.  Returns rc. */
vt_status vf_store_failed(vt_err *e, vt_status rc);
/* vf_store_failed, then the 503 with that message. */
void vf_reply_store_error(vt_http_resp *resp, const vt_err *e);

/* For tests and the bench: set up the service (keys, store schema, router) without serving. */
vt_status vf_service_init(vf_service *svc, const vf_config *cfg, vt_err *err);
void vf_service_fini(vf_service *svc);
/* Per-worker state (the store connection) for vt_http_server_opts.thread_init. */
vt_status vf_thread_init(void **tctx, void *arg, unsigned index, vt_err *err);
void vf_thread_fini(void *tctx, void *arg);
/* Rotates the signing key now. */
vt_status vf_rotate(vf_service *svc, vt_err *err);
/* Revokes a signing key now (vt_keyring_revoke); new_kid_out: VT_JWS_KID_MAX bytes or NULL. */
vt_status vf_revoke(vf_service *svc, const char *kid, char *new_kid_out, vt_err *err);

#endif
