/* The verifier's transparency log (docs/log.md): one sequencer thread that
 * appends entries in batches (one transaction and one fsync per batch, then
 * a newly signed checkpoint), and the Ed25519 log key in the state directory. */
#ifndef VT_VERIFIER_LOG_H
#define VT_VERIFIER_LOG_H

#include "veritee/veritee.h"
#include "verifier/store.h"

typedef struct vf_log vf_log;

/*
 * Opens the log: the key <state_dir>/log-key.pem (Ed25519, made 0600 on first
 * start), a store connection of its own, and the sequencer thread.  origin
 * NULL = the origin of the stored checkpoints, else one derived from listen;
 * an origin that differs from the stored checkpoints' is refused (VT_E_ARG).
 * Caller owns, vf_log_close().
 */
vt_status vf_log_open(vf_log **out, const char *db_url, const char *state_dir, const char *origin,
                      const char *listen, vt_err *err);
/* Stops the sequencer (queued appends fail with VT_E_IO) and frees.  NULL-safe. */
void vf_log_close(vf_log *l);
/*
 * Appends entry (at most VT_TLOG_ENTRY_MAX bytes) under kind and ref and
 * returns once it is committed with a checkpoint that covers it: *index_out
 * is its position.  An entry already logged under (kind, ref) is not added
 * again; its index comes back when the logged bytes are these, else
 * VF_LOG_CONFLICT (this entry is not logged).  Thread-safe; blocks the caller.
 */
#define VF_LOG_CONFLICT UINT64_MAX
vt_status vf_log_append(vf_log *l, uint64_t *index_out, const char *kind, const char *ref, const uint8_t *entry,
                        size_t len, vt_err *err);
/* One entry of a batch (all borrowed for the call). */
typedef struct vf_log_entry {
    const char *kind, *ref;
    const uint8_t *data;
    size_t len;
    const vs_passport *passport; /* NULL, or a row stored in the entry's own transaction */
} vf_log_entry;
/*
 * The entry of a passport: its token under ("passport", row->id), with row
 * inserted in the same store transaction: one commit (and one fsync, shared by
 * the batch) stores the passport and logs it, and neither exists without the
 * other.  A failure of either fails the append.  Borrows row.
 */
vf_log_entry vf_log_passport_entry(const vs_passport *row);
/* Appends n entries at once (a bulk submitter: they share a commit when they fit in one
 * batch) and waits for all; index_out[i] is entry i's position (or VF_LOG_CONFLICT, as for
 * vf_log_append).  The first failure is returned. */
vt_status vf_log_append_many(vf_log *l, uint64_t *index_out, const vf_log_entry *e, size_t n, vt_err *err);
/*
 * vf_log_append_many without waiting: queues the n entries and returns.  Once
 * all are committed (or failed), done(arg, index, n, rc, err) runs once on the
 * sequencer's thread, also when the log is closing: index[i] is entry i's
 * position (or VF_LOG_CONFLICT), rc and err the first failure (err NULL when rc is VT_OK); both are
 * valid only during the call.  done must be quick (it holds up the next
 * commit): hand the result to another thread.  The entries' bytes and rows
 * must stay valid until done runs.  On an error return done never runs.
 */
typedef void (*vf_log_done_fn)(void *arg, const uint64_t *index, size_t n, vt_status rc, const vt_err *err);
vt_status vf_log_append_async(vf_log *l, const vf_log_entry *e, size_t n, vf_log_done_fn done, void *arg,
                              vt_err *err);
/*
 * An append is on its way: a handler that will append once its checks are done
 * calls this with +1 when it starts and -1 once it has appended or given up.
 * While any is on its way, the sequencer holds a queued batch for at most the
 * commit delay, so that they share its commit (and its fsync and signed
 * checkpoint).  Thread-safe; l NULL is a no-op.
 */
void vf_log_expect(vf_log *l, int delta);
/* The commit delay in microseconds (default 2000; 0 commits every batch at once). */
void vf_log_set_commit_delay(vf_log *l, long us);
/* Keeps the log's metrics in m from now on (verifier_log_*: entries appended, commits by
 * result, commit time, tree size, entries queued; docs/verifier.md). */
vt_status vf_log_metrics(vf_log *l, vt_metrics *m, vt_err *err);
/* Offers every new checkpoint to these witnesses ("URL,VKEY", witness_push.h) from now on. */
vt_status vf_log_witness(vf_log *l, const char *const *specs, size_t n, const char *db_url, vt_err *err);
/* The signed checkpoint note cp (as the store keeps it) with every witness cosignature kept
 * for it appended, into out (NUL-terminated). */
vt_status vf_log_cosigned(vf_log *l, vt_buf *out, const char *cp, vt_err *err);
/*
 * Follows the log: fn(arg, index, entry, len) is told every entry once, in log order, on the
 * caller's thread for the stored ones (now) and on the sequencer's thread for the rest (each
 * batch's once committed, before its appends are told, only those of kind sync_kind when it is
 * not NULL: their kind is known there, so fn need not parse a receipt to ignore it; another
 * replica's as the next commit finds them).  fn must be quick and must not append.
 *
 * Before, it checks what it reads: the stored checkpoint must verify under this log's key and
 * the stored entries it reads must hash to its root (so rows deleted or altered in the database
 * are found; below a state it resumes from, only the stored hashes are checked), and the anchor <state_dir>/log-size (made 0600: the size and root of the largest
 * tree this verifier signed) must name a tree the stored one extends.  The anchor is written
 * after each commit, before its appends are told, and fsynced when the commit holds an entry
 * of kind sync_kind (NULL: every commit): a crash loses at most the unsynced sizes, so the
 * anchor lags, never leads.  Another replica's entries are checked the same way against the
 * checkpoint they come with.  When any of this fails the rollback is latched
 * (vf_log_rolled_back, an error line says why) and the log goes on as before; only a store's
 * failure is an error.  Once per log.
 */
typedef void (*vf_log_follow_fn)(void *arg, uint64_t index, const uint8_t *entry, size_t len);
/*
 * The follower's state, kept in <state_dir>/log-follow beside the tree it covers (written at
 * start, after each commit holding a sync_kind entry, at least every 10 s and at a clean stop): save appends it
 * to out, load takes it back (the state before any entry is told).  A start whose stored tree
 * holds that one (its stored hashes give the root written there) loads it and reads only the
 * entries after it; a file that does not fit is ignored and the whole log is read.  NULL, NULL:
 * the whole log at every start.
 */
typedef vt_status (*vf_log_follow_save_fn)(void *arg, vt_buf *out, vt_err *err);
typedef vt_status (*vf_log_follow_load_fn)(void *arg, const uint8_t *p, size_t len, vt_err *err);
vt_status vf_log_follow(vf_log *l, vf_log_follow_fn fn, vf_log_follow_save_fn save, vf_log_follow_load_fn load,
                        void *arg, const char *sync_kind, vt_err *err);
/* True once the stored log was found not to be the one this verifier signed (vf_log_follow):
 * smaller than its anchor, another tree, or rows deleted or altered.  Until a restart that
 * finds it whole again (remove STATE/log-size to accept a restored database as it is). */
bool vf_log_rolled_back(vf_log *l);
/* Borrowed, valid while l lives: the checkpoint origin and the note verifier key. */
const char *vf_log_origin(const vf_log *l);
const char *vf_log_vkey(const vf_log *l);
/* The sequencer's own store connection, borrowed: for tests that make it fail. */
vs_store *vf_log_store(vf_log *l);
/* A vt_tlog_reader over a store connection (arg is the vs_store). */
vt_status vf_log_read(void *arg, uint8_t out[32], uint64_t stored_index, vt_err *err);

#endif
