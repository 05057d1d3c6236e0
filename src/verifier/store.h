/* The verifier's storage: challenges, environments, passports, the log.  One
 * connection per worker thread (vt_store is not shared between threads).
 * Backends: SQLite (default, WAL) and PostgreSQL, with the same schema. */
#ifndef VT_VERIFIER_STORE_H
#define VT_VERIFIER_STORE_H

#include <stdatomic.h>

#include "veritee/base.h"

#define VS_LIST_MAX 1000

typedef struct vs_passport {
    char id[48];
    char environment[64];
    char status[24];            /* "affirming", "warning", "contraindicated", "none" */
    char tee_type[16];
    bool hardware_attested;
    char measurement[160];      /* "name:hex" of the primary measurement */
    vt_time issued_at;
    vt_time expires_at;
    char *token;                /* owned */
    char *components;           /* owned JSON object {model, auditors, runtime, config} */
    char *platform_claims;      /* owned JSON object, or NULL */
} vs_passport;
void vs_passport_clear(vs_passport *p);

/* Outcome of taking a challenge. */
typedef enum vs_take {
    VS_TAKE_OK = 0,
    VS_TAKE_UNKNOWN = 1,
    VS_TAKE_USED = 2,
    VS_TAKE_EXPIRED = 3,
} vs_take;

typedef struct vs_store vs_store;

/* Rows kept until they expire (taken challenges, key releases' replay records) are swept by
 * each store connection at most once per VS_SWEEP_EVERY seconds, from the insert that adds
 * one, so the sweep's write transaction is not paid per request.  A row kept past its expiry
 * only refuses a little longer what it refused already: a taken challenge's nonce is refused
 * as expired before the store is asked, a release's nonce used again stays a replay. */
#define VS_SWEEP_EVERY 60
/* Whether an insert at `now` on a connection sweeps first: true at most once per
 * VS_SWEEP_EVERY seconds (*next, the connection's for that table, starts at 0). */
bool vs_sweep_due(vt_time *next, vt_time now);
#define VS_CHALLENGE_KEY_LEN 32
#define VS_CHALLENGE_TAG_LEN 16

struct vs_ops {
    void (*close)(vs_store *s);
    vt_status (*ping)(vs_store *s, vt_err *err);
    /* Challenges shared by replicas (PostgreSQL; NULL where one process keeps them in
     * memory, SQLite: verifier/challenges.h).  challenge_key: the key every replica tags its
     * nonces with, made by the first to ask.  challenge_spend: records a nonce (its tag) as
     * taken until it expires, in one atomic step; *fresh false when it was taken already. */
    vt_status (*challenge_key)(vs_store *s, uint8_t key[VS_CHALLENGE_KEY_LEN], vt_err *err);
    vt_status (*challenge_spend)(vs_store *s, bool *fresh, const uint8_t tag[VS_CHALLENGE_TAG_LEN], vt_time expires,
                                 vt_time now, vt_err *err);
    /* Inserts environment id at revision 1, or replaces its document and adds one to its
     * revision, in one statement (replicas sharing a database count every PUT);
     * *rev_out (NULL: not wanted) the revision it has now. */
    vt_status (*env_put)(vs_store *s, uint64_t *rev_out, const char *id, const char *json, vt_time now,
                         vt_err *err);
    /* VT_E_NOTFOUND when absent; *json_out freed with free(); *rev_out (NULL: not wanted) its
     * revision (>= 1). */
    vt_status (*env_get)(vs_store *s, char **json_out, uint64_t *rev_out, const char *id, vt_err *err);
    /* Calls fn for each environment in id order. */
    vt_status (*env_list)(vs_store *s, vt_status (*fn)(void *arg, const char *json, vt_err *err), void *arg,
                          vt_err *err);
    vt_status (*passport_put)(vs_store *s, const vs_passport *p, vt_err *err);
    /* VT_E_NOTFOUND when absent; caller clears out. */
    vt_status (*passport_get)(vs_store *s, vs_passport *out, const char *id, vt_err *err);
    /* Newest first; environment NULL = all.  fn borrows p for the call. */
    vt_status (*passport_list)(vs_store *s, const char *environment, size_t limit,
                               vt_status (*fn)(void *arg, const vs_passport *p, vt_err *err), void *arg,
                               vt_err *err);
};

/* The transparency log's tables (docs/log.md).  Writes happen only between log_begin and
 * log_end, which exclude every other writer of the log (one sequencer, even across
 * processes sharing a PostgreSQL database). */
/* An entry as the log appends it. */
typedef struct vs_log_put {
    uint64_t index;               /* its position */
    const char *kind, *ref;       /* "receipt", "passport", ...; the token's id */
    const uint8_t *data;
    size_t len;
    const uint8_t *leaf;          /* its 32-byte leaf hash */
    uint64_t first;               /* the stored hashes its append adds: first .. first+count-1 */
    const uint8_t (*hashes)[32];  /* (tlog numbering), the leaf hash first */
    size_t count;
    const vs_passport *passport;  /* NULL, or the passport row stored with its entry */
} vs_log_put;

struct vs_log_ops {
    /* Starts the writer's transaction and reads the committed tree size. */
    vt_status (*begin)(vs_store *s, uint64_t *size_out, vt_err *err);
    /* Commits (commit) or rolls back the transaction begin started. */
    vt_status (*end)(vs_store *s, bool commit, vt_err *err);
    /* One entry, the stored hashes its append adds and its passport row if any (one
     * statement on PostgreSQL: one round trip).  A row the store refuses fails the put
     * with "passport insert" in its message. */
    vt_status (*put)(vs_store *s, const vs_log_put *e, vt_err *err);
    /* The new tree size and its signed checkpoint. */
    vt_status (*set_head)(vs_store *s, uint64_t size, const char *checkpoint, vt_err *err);
    /* Reads.  VT_E_NOTFOUND when absent. */
    vt_status (*hash)(vs_store *s, uint8_t out[32], uint64_t stored_index, vt_err *err);
    /* Committed size and checkpoint (*checkpoint_out NULL before the first append; free()). */
    vt_status (*head)(vs_store *s, uint64_t *size_out, char **checkpoint_out, vt_err *err);
    /* The entry logged under kind and ref: index, and (data_out non-NULL) its bytes, free(). */
    vt_status (*find)(vs_store *s, uint64_t *index_out, char **data_out, size_t *len_out, const char *kind,
                      const char *ref, vt_err *err);
    /* Which of n (kind[i], ref[i]) are logged already: found[i], and index[i] when found.
     * One query on PostgreSQL for a whole batch. */
    vt_status (*find_many)(vs_store *s, size_t n, const char *const *kind, const char *const *ref, bool *found,
                           uint64_t *index, vt_err *err);
    /* The entry whose leaf hash is leaf (the first one). */
    vt_status (*index_of)(vs_store *s, uint64_t *index_out, const uint8_t leaf[32], vt_err *err);
    /* Entries first .. first+count-1 in order; fn borrows the bytes for the call. */
    vt_status (*entries)(vs_store *s, uint64_t first, unsigned count,
                         vt_status (*fn)(void *arg, const uint8_t *p, size_t len, vt_err *err), void *arg,
                         vt_err *err);
};

/* The key broker's tables (docs/keys.md): resources (stored as JSON, their secret wrapped
 * under the verifier's key-encryption key) and the release requests already seen. */
struct vs_key_ops {
    /* Inserts or replaces resource id. */
    vt_status (*put)(vs_store *s, const char *id, const char *json, vt_time now, vt_err *err);
    /* VT_E_NOTFOUND when absent; *json_out freed with free(). */
    vt_status (*get)(vs_store *s, char **json_out, const char *id, vt_err *err);
    /* Calls fn for each resource in id order. */
    vt_status (*list)(vs_store *s, vt_status (*fn)(void *arg, const char *json, vt_err *err), void *arg, vt_err *err);
    /* Records nonce (a digest, hex) until expires in one atomic step: *fresh_out false when it was
     * recorded already (a replay).  Expired records are dropped first. */
    vt_status (*seen)(vs_store *s, bool *fresh_out, const char *nonce_hex, vt_time expires, vt_time now, vt_err *err);
};

struct vs_store {
    const struct vs_key_ops *keys;
    const struct vs_log_ops *log;
    const struct vs_ops *ops;
    const char *backend;        /* "sqlite" or "postgres" */
    /* How many operations failed because the connection was lost (PostgreSQL: a restart,
     * a failover, a terminated backend) and the connection was then reopened for the next.
     * A caller whose operation failed tells such a failure, worth one more try, from a
     * refusal.  (A statement outside a transaction that finds its connection lost runs again
     * on the new one and does not fail, nor count.) */
    unsigned long lost_connections;
    /* Where reconnections are counted (verifier_store_reconnects_total, by result); NULL =
     * nowhere.  Set with vs_set_metrics, also while the store is in use on another thread. */
    struct vt_metrics *_Atomic metrics;
};

/* Counts this store's reconnections in m (declares the family). */
vt_status vs_set_metrics(vs_store *s, struct vt_metrics *m, vt_err *err);

/* url: "sqlite:PATH" or "postgres://..." / "postgresql://...".  Creates the schema. */
vt_status vs_open(vs_store **out, const char *url, vt_err *err);
void vs_close(vs_store *s);

vt_status vs_sqlite_open(vs_store **out, const char *path, vt_err *err);
vt_status vs_pg_open(vs_store **out, const char *conninfo, vt_err *err);

#endif
