/*
 * The gateway's trusted boot, passport upkeep, auditor hooks and receipts
 * (docs/gateway.md, "Trusted boot").
 *
 * vt_gw_trust_boot measures the models, the auditor set, the gateway binary
 * and its config into a fresh measurement log (extending the platform
 * register), makes a fresh P-256 enclave key that never leaves memory, and
 * obtains a passport from the verifier.  vt_gw_trust_start then runs one
 * background thread that re-attests at ~2/3 of the passport's lifetime
 * (retrying with backoff), watches the model files, and one that stores and
 * forwards receipts.  vt_gw_trust_hooks gives the proxy hook table.
 */
#ifndef VT_GW_TRUST_H
#define VT_GW_TRUST_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>

#include "gateway/config.h"
#include "gateway/hooks.h"
#include "veritee/veritee.h"

typedef struct vt_gw_trust_opts {
    const vt_gw_config *cfg;  /* borrowed; outlives the trust state */
    const char *config_path;  /* borrowed; NULL when no file (the effective config JSON is measured) */
    const char *state_dir;    /* borrowed; receipts.jsonl, mock key/register, simulation root */
    const char *sysroot;      /* borrowed; NULL = "/" */
    vt_tee_kind platform;     /* VT_TEE_NONE = detect */
    bool simulate;            /* TDX simulator: RTMR3 = the log's replay */
    bool allow_unverified;    /* serve without an affirming passport (development) */
    bool attest;              /* false: measure only (no key, no passport) */
    unsigned model_check_ms;  /* stat the model files at most this often; 0 = on every request */
} vt_gw_trust_opts;

struct gw_model_file {
    char *path;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime, ctime;
};

#define GW_RECEIPT_QUEUE 1024

typedef struct vt_gw_trust {
    vt_gw_trust_opts o;
    vt_attester_opts ao;
    vt_tee_kind kind;          /* the platform in use */
    vt_audit_chain *chain;
    vt_audit_ctx **ctxs;       /* one per event loop */
    unsigned nctx;
    vt_pkey *key;              /* enclave key: memory only, wiped by vt_pkey_free */
    char *jwk;                 /* its public JWK */

    pthread_mutex_t mu;        /* guards everything below up to `cv` */
    vt_mlog *log;
    uint8_t model[32];         /* current measured model root (first model path) */
    bool model_unknown;        /* the files changed and are not re-measured yet */
    char *passport;            /* current token */
    char passport_id[48];
    char status[24];
    char reason[256];
    vt_time iat, exp;
    bool stop;
    pthread_cond_t cv;

    atomic_bool serving;
    atomic_bool model_changed; /* sticky once the files differ from the boot snapshot */
    atomic_llong next_check_ms;
    struct gw_model_file *files;
    size_t file_count;
    pthread_t thread;
    bool thread_started;

    /* receipts: a bounded queue drained by the sink thread */
    pthread_mutex_t qmu;
    pthread_cond_t qcv;
    char *queue[GW_RECEIPT_QUEUE];
    size_t qhead, qlen;
    unsigned long dropped;
    bool qstop;
    pthread_t sink;
    bool sink_started;
} vt_gw_trust;

VT_NODISCARD vt_status vt_gw_trust_boot(vt_gw_trust **out, const vt_gw_trust_opts *o, vt_err *err);
/* Per-loop audit contexts and the background threads. */
VT_NODISCARD vt_status vt_gw_trust_start(vt_gw_trust *t, unsigned nloops, vt_err *err);
void vt_gw_trust_free(vt_gw_trust *t);
/* The measurement log as JSON (free()). */
VT_NODISCARD vt_status vt_gw_trust_log_json(char **out, vt_gw_trust *t, vt_err *err);
/* The hook table (arg = t). */
void vt_gw_trust_hooks(vt_gw_hooks *h, vt_gw_trust *t);

/* internal, shared by trust.c and audit_hooks.c */
void vt__gw_log(const char *level, const char *event, const char *detail);
bool vt__gw_model_check(vt_gw_trust *t); /* true when the model files changed since boot */
void vt__gw_receipt_queue(vt_gw_trust *t, const char *token);

#endif
