/*
 * The gateway's trusted boot, passport upkeep, auditor hooks and receipts
 * (docs/gateway.md, "Trusted boot").
 *
 * vt_gw_trust_boot measures the models, the auditor set, the gateway binary
 * and its config (with the pinned verifier key set's bytes) into a fresh measurement log (extending the platform's
 * measurement register, veritee/register.h, and locking it where the platform
 * can), makes a fresh P-256 enclave key that never leaves memory, and
 * obtains a passport from the verifier.  vt_gw_trust_start then runs one
 * background thread that re-attests at ~2/3 of the passport's lifetime
 * (retrying with backoff and jitter, serving under the current passport until
 * it expires), watches the model files, and one that forwards receipts from the
 * durable queue to the verifier in batches (receipt_sink.c, receipt_queue.h).
 * vt_gw_trust_hooks gives the proxy hook table.
 *
 * Locks, always taken in this order (never one while holding one after it):
 *
 *   attest_mu  ->  mu  ->  files_lock,   and mu -> qmu
 *
 * attest_mu serialises attestation rounds (vt__gw_attest: the boot, the upkeep thread) and is held
 * across the round's evidence collection and its calls to the verifier; a round takes mu only to
 * copy the log and to install the passport it got, and installs it only when the log is still the
 * one it copied.  mu is what requests take (the passport, the model digest, the log): it is never
 * held across a call to the verifier, the evidence collection or the hashing of a model.
 * files_lock is taken alone (the model watch) or under mu (a re-measurement swaps the snapshot);
 * qmu (the receipt sink's wake-up) is taken alone or under mu, and nothing is taken under it.
 */
#ifndef VT_GW_TRUST_H
#define VT_GW_TRUST_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>

#include "gateway/config.h"
#include "gateway/hooks.h"
#include "gateway/oplog.h"
#include "gateway/receipt_queue.h"
#include "veritee/veritee.h"

typedef struct vt_gw_trust_opts {
    const vt_gw_config *cfg;  /* borrowed; outlives the trust state */
    const char *config_path;  /* borrowed; NULL when no file (the effective config JSON is measured) */
    const uint8_t *config_text; /* borrowed; with config_path: the bytes cfg was parsed from, measured as
                                   the config event (the file is not read a second time) */
    size_t config_len;
    const char *state_dir;    /* borrowed; receipts/ (the queue), mock key/register, simulation root */
    const char *sysroot;      /* borrowed; NULL = "/" */
    vt_tee_kind platform;     /* VT_TEE_NONE = detect */
    bool simulate;            /* the platform's simulator (register.h: vt_register_opts.simulate) */
    const char *tpm_tcti;     /* borrowed; tpm: the TPM's tpm2-tss TCTI (swtpm under --simulate), NULL =
                                 /dev/tpmrm0 */
    const char *tpm_hw_certs; /* borrowed; tpm: the HCL report's certificates (vt_collect_opts), NULL = none */
    bool allow_unverified;    /* serve without an affirming passport (development) */
    bool attest;              /* false: no key, no passport */
    bool measure_only;        /* the log only: the platform register is not touched */
    const char *transport_json; /* borrowed; the listeners (transport.h), measured as the "transport"
                                   event and returned by GET /v1/attestation; NULL = none */
} vt_gw_trust_opts;

struct gw_model_file {
    char *path;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime, ctime;
};

typedef struct vt_gw_trust {
    vt_gw_trust_opts o;
    vt_attester_opts ao;
    vt_tee_kind kind;          /* the platform in use */
    vt_audit_chain *chain;
    vt_audit_ctx **ctxs;       /* one per event loop */
    struct vt_gw_xaud *xaud;   /* external auditors' connections (xaud.h); NULL when none */
    unsigned nctx;
    vt_pkey *key;              /* enclave key: memory only, wiped by vt_pkey_free */
    char *jwk;                 /* its public JWK */
    vt_jwks *pin;              /* the verifier's pinned key set ("verifier_jwks"), read at boot and never
                                  written after; NULL: fetched from the verifier each round */
    char pin_issuer[128];      /* the issuer the pinned set names, "" when none */
    uint8_t pin_sha256[32];    /* SHA-256 of the pinned file's bytes as read and parsed: a config event of
                                  its own ("verifier_jwks", measure.c) */

    pthread_mutex_t attest_mu; /* one attestation round at a time (vt__gw_attest); taken before mu */
    pthread_mutex_t mu;        /* guards everything below up to `cv` */
    vt_mlog *log;
    vt_register *reg;          /* the platform's measurement register (register.h); NULL: measure only */
    uint8_t model[32];         /* current measured model root (first model path) */
    bool model_unknown;        /* the files changed and are not re-measured yet */
    char *passport;            /* current token */
    char passport_id[48];
    char status[24];
    char reason[256];
    vt_time iat, exp;
    bool auth_refused;         /* the verifier refused our passport as authorization: attest anonymously */
    bool stop;
    pthread_cond_t cv;

    atomic_bool serving;
    atomic_llong serving_until; /* the passport's exp when serving under it; LLONG_MAX: no passport needed */
    atomic_bool model_changed; /* the files differ from the snapshot, until they are re-measured */
    pthread_rwlock_t files_lock; /* guards files and file_count: the watch reads them, a re-measurement
                                    replaces them (taken after t->mu, never before it) */
    atomic_llong next_check_ms;
    struct gw_model_file *files;
    size_t file_count;
    pthread_t thread;
    bool thread_started;

    /* receipts (receipt_sink.c): the durable queue, drained by the sink thread */
    vt_gw_rq *rq;
    pthread_mutex_t qmu;       /* guards qstop, sink_kick and the sink's wake-up */
    pthread_cond_t qcv;
    bool qstop;
    bool sink_kick;            /* vt__gw_sink_kick: send now, even if the sink is not waiting yet */
    atomic_bool sink_idle;     /* the sink waits: a push signals it */
    atomic_ullong rejected;    /* receipts the verifier refused for their content */
    atomic_ullong upload_failures; /* batch uploads that failed (retried) */
    atomic_ullong not_queued;  /* receipts refused before the queue was open */
    atomic_ullong passports_refused; /* passports the verifier returned that were not this gateway's (upkeep.c) */
    atomic_llong drop_logged_ms; /* last "receipt_dropped" log line (at most one a second) */
    atomic_ullong drop_unlogged; /* drops since that line */
    pthread_t sink;
    bool sink_started;
    struct gw_model_keys *mk;  /* encrypted models (model_keys.c) */
} vt_gw_trust;

/* True for the platforms whose simulator the gateway boots under (--simulate). */
bool vt_gw_can_simulate(vt_tee_kind k);
VT_NODISCARD vt_status vt_gw_trust_boot(vt_gw_trust **out, const vt_gw_trust_opts *o, vt_err *err);
/* Per-loop audit contexts and the background threads. */
VT_NODISCARD vt_status vt_gw_trust_start(vt_gw_trust *t, unsigned nloops, vt_err *err);
void vt_gw_trust_free(vt_gw_trust *t);
/* The measurement log as JSON (free()). */
VT_NODISCARD vt_status vt_gw_trust_log_json(char **out, vt_gw_trust *t, vt_err *err);
/* The hook table (arg = t). */
void vt_gw_trust_hooks(vt_gw_hooks *h, vt_gw_trust *t);

/* internal, shared by trust.c, measure.c, upkeep.c, receipt_sink.c and audit_hooks.c */
void vt__gw_sim_root_hint(const char *state_dir); /* sim_hint.c: what the verifier must trust */
bool vt__gw_model_check(vt_gw_trust *t); /* measure.c: true when the model files changed since boot */
void vt__gw_receipt_queue(vt_gw_trust *t, const char *token);
/* receipt_sink.c: opens the queue (replaying what the verifier has not acknowledged) and starts the
 * sink thread; stops it (what is queued stays on disk for the next start). */
VT_NODISCARD vt_status vt__gw_sink_start(vt_gw_trust *t, vt_err *err);
void vt__gw_sink_stop(vt_gw_trust *t);
/* The verifier answers again (a re-attestation succeeded after failures): a sink backing off
 * sends what is queued now instead of at the end of its delay (up to 30 s). */
void vt__gw_sink_kick(vt_gw_trust *t);
/* The receipt path's metrics, and the passports refused, in the Prometheus text format, appended to
 * out (also written to <state>/metrics/receipts.prom once a second, for a node-exporter textfile
 * collector). */
VT_NODISCARD vt_status vt__gw_receipt_metrics(vt_gw_trust *t, vt_buf *out, vt_err *err);
/* The current passport, when unexpired, for signing requests to the verifier: copies it into
 * *passport_out (free()) or sets NULL. */
void vt__gw_passport_for_auth(vt_gw_trust *t, char **passport_out);
/* measure.c: everything the boot measures, into a fresh log and the platform's register (opened
 * and reset here unless measure_only); the model files' snapshot. */
VT_NODISCARD vt_status vt__gw_measure_boot(vt_gw_trust *t, vt_err *err);
/* measure.c: re-measures the first model after a change and logs it (called with t->mu held;
 * releases it while hashing). */
void vt__gw_remeasure_locked(vt_gw_trust *t);
/* upkeep.c: one attestation round to the verifier (called without t->mu; takes attest_mu for
 * the round, t->mu only to copy the log and to install): the passport it returns replaces the
 * current one, and t->serving follows, only when it is this gateway's for this round (signed
 * under the verifier's key set, the pinned one when configured (t->pin: not fetched), unexpired, its cnf the enclave key, the configured environment
 * and deployment type, this round's nonce, the measured digests of the log the round sent; else
 * VT_E_POLICY, counted in passports_refused) and the log is still the one the round copied (else
 * VT_E_IO); when it fails the passport, its status and t->serving are as they were.  A
 * contraindicated verdict drops the passport and returns VT_OK. */
VT_NODISCARD vt_status vt__gw_attest(vt_gw_trust *t, vt_err *err);
/* upkeep.c: t->serving from the passport's status and expiry and the options (t->mu held). */
void vt__gw_update_serving(vt_gw_trust *t);
/* Whether requests are served now: t->serving, and the passport it serves under not expired
 * since (the upkeep thread may be busy hashing a changed model or waiting on the verifier). */
bool vt__gw_serving(vt_gw_trust *t);
/* upkeep.c: the renewal thread (started only with an enclave key); stop joins it. */
VT_NODISCARD vt_status vt__gw_upkeep_start(vt_gw_trust *t, vt_err *err);
void vt__gw_upkeep_stop(vt_gw_trust *t);
/* Appends a measurement event and extends the platform register (measure.c). */
VT_NODISCARD vt_status vt__gw_log_event(vt_gw_trust *t, vt_component c, const char *name, const uint8_t *d, size_t len,
                                        vt_err *err);
/* model_keys.c (docs/keys.md): measures the encrypted models from their headers; after the passport,
 * obtains their keys from the verifier's key broker and decrypts them into tmpfs; removes the plaintext. */
VT_NODISCARD vt_status vt__gw_model_keys_measure(vt_gw_trust *t, vt_err *err);
VT_NODISCARD vt_status vt__gw_model_keys_open(vt_gw_trust *t, vt_err *err);
void vt__gw_model_keys_free(vt_gw_trust *t);
/* A random delay in [base/2, base] milliseconds (jittered backoff). */
long vt__gw_jitter_ms(long base);

#endif
