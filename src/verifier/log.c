/* The verifier's log sequencer: appends are queued by the workers and
 * committed by one thread in batches (group commit, with a commit delay while
 * more appends are on their way), each batch in one store transaction that also
 * holds the new signed checkpoint. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cond.h"
#include "verifier/log.h"
#include "verifier/verifier.h"
#include "verifier/witness_push.h"

#define BATCH_MAX 4096
#define BATCH_FILL 64                  /* a batch this large commits without waiting for more */
#define COMMIT_DELAY_NS 2000000L       /* vf_log_set_commit_delay's default: 2 ms */
#define SCAN_CHUNK 1024                /* entries read at once when following */
#define ANCHOR_FILE "log-size"         /* in the state directory: the largest tree signed */
#define ANCHOR_LEN 86                  /* "%020" PRIu64 " <64 hex of its root>\n" */
#define FOLLOW_FILE "log-follow"       /* in the state directory: the follower's state and its tree */
#define FOLLOW_HEADER "veritee log-follow v1\n"
#define FOLLOW_FILE_MAX ((size_t)64 << 20)
#define FOLLOW_SAVE_NS 10000000000LL   /* the follower's state is written at least this often */

struct group;

struct item {
    const char *kind, *ref;
    const uint8_t *data;
    size_t len;
    const vs_passport *passport;
    uint64_t index;
    vt_status rc;
    vt_err err;
    bool logged;               /* found in the log already (commit_batch) */
    struct group *g;           /* the append it came in */
    struct item *next;
};

/* The items of one append: told to its callback once the last is done. */
struct group {
    size_t n, left;
    vf_log_done_fn done;
    void *arg;
    struct group *next;        /* finished groups, on the sequencer's own list */
    uint64_t *index;           /* n positions, for the callback (after it[], same allocation) */
    struct item it[];
};

struct vf_log {
    vs_store *st;              /* the sequencer's own connection */
    vt_note_signer *signer;
    char origin[VT_NOTE_NAME_MAX + 1];
    vt_buf vkey;
    pthread_t th;
    bool started, stop;
    pthread_mutex_t mu;
    pthread_cond_t more, told; /* told: a waiting vf_log_append_many's append is done */
    struct item *head, *tail;
    vf_witnesses *wit;         /* NULL = no witnesses */
    /* The tree's right edge as last committed, so an append reads no stored hash (on
     * PostgreSQL each read is a round trip).  Loaded from the store when the committed
     * size is not its size (at start, after a failed batch, after another replica's). */
    vt_tlog_frontier fr;
    bool fr_valid;
    _Atomic(vt_metrics *) metrics; /* NULL = none (vf_log_metrics); set once, read by every thread */
    uint64_t size_shown;       /* the tree size verifier_log_size shows */
    /* The commit delay (vf_log_expect): appends on their way, items queued, and how long a
     * batch may wait for them. */
    atomic_int coming;
    size_t queued;             /* under mu */
    _Atomic long delay_ns;
    /* Following (vf_log_follow): fn sees every entry once, in order; vfr is the tree of the
     * entries it saw, recomputed from their bytes (never read from the stored hashes). */
    pthread_mutex_t commit_mu; /* held by a commit and by vf_log_follow's scan */
    vf_log_follow_fn follow;
    vf_log_follow_save_fn follow_save;
    vf_log_follow_load_fn follow_load;
    void *follow_arg;
    int64_t follow_saved_ns;   /* monotonic: when STATE/log-follow was last written */
    const char *sync_kind;     /* the anchor is fsynced after a commit that holds one (NULL: each) */
    bool verified;             /* vfr is the stored tree, checked against its signed checkpoint */
    vt_tlog_frontier vfr;
    /* The anchor: STATE/log-size, the largest tree this verifier signed (size and root). */
    char state_dir[4096];
    int anchor_fd;             /* -1 = none */
    uint64_t anchor_size;      /* the largest size written or read there */
    _Atomic bool rolled_back;  /* latched: the stored log is not the one this verifier signed */
};

vt_status vf_log_read(void *arg, uint8_t out[32], uint64_t stored_index, vt_err *err)
{
    vs_store *s = arg;
    return s->log->hash(s, out, stored_index, err);
}


/* The signed checkpoint of the tree the frontier describes, into note. */
static vt_status sign_checkpoint(vf_log *l, vt_buf *note, const vt_tlog_frontier *f, vt_err *err)
{
    vt_checkpoint c;
    vt_buf text;
    vt_status rc;

    vt_buf_init(&text);
    memset(&c, 0, sizeof(c));
    snprintf(c.origin, sizeof(c.origin), "%s", l->origin);
    c.size = f->size;
    rc = vt_tlog_frontier_root(c.root, f, err);
    if (rc == VT_OK)
        rc = vt_checkpoint_text(&text, &c, err);
    if (rc == VT_OK)
        rc = vt_note_sign(note, (const char *)text.data, text.len, l->signer, err);
    if (rc == VT_OK)
        rc = vt_buf_terminate(note, err);
    vt_buf_free(&text);
    return rc;
}

/* ---- metrics (docs/verifier.md, GET /metrics) ---- */

vt_status vf_log_metrics(vf_log *l, vt_metrics *m, vt_err *err)
{
    static const struct {
        const char *name, *type, *help;
    } fam[] = {
        { "verifier_log_entries_total", "counter", "Entries this verifier appended to the transparency log." },
        { "verifier_log_commits_total", "counter", "Log commits (one transaction and fsync per batch), by result." },
        { "verifier_log_commit_seconds", "histogram", "Time of one log commit, its fsync included." },
        { "verifier_log_size", "gauge", "Entries in the transparency log as of this verifier's last commit." },
        { "verifier_log_queued", "gauge", "Entries waiting for the log's committing thread." },
    };

    for (size_t i = 0; i < sizeof(fam) / sizeof(fam[0]); i++) {
        vt_status rc = vt_metrics_declare(m, fam[i].name, fam[i].type, fam[i].help, err);
        if (rc != VT_OK)
            return rc;
    }
    atomic_store(&l->metrics, m);
    return vs_set_metrics(l->st, m, err); /* the log's own connection */
}

/* One commit: its result, time and entries; the tree's size (it also grows by other replicas'). */
static void log_metrics_commit(vf_log *l, vt_status rc, uint64_t size0, uint64_t size, int64_t t0)
{
    vt_metrics *m = atomic_load(&l->metrics);

    if (m == NULL)
        return;
    vt_metrics_inc(m, "verifier_log_commits_total", rc == VT_OK ? "result=\"ok\"" : "result=\"failed\"", 1);
    vt_metrics_observe(m, "verifier_log_commit_seconds", "", (double)(vt_time_mono_ns() - t0) / 1e9);
    if (rc != VT_OK)
        return;
    if (size > size0)
        vt_metrics_inc(m, "verifier_log_entries_total", "", (double)(size - size0));
    if (size > l->size_shown) { /* the sequencer's own field */
        vt_metrics_inc(m, "verifier_log_size", "", (double)(size - l->size_shown));
        l->size_shown = size;
    }
}

/* Entries queued (n > 0) or taken by the sequencer (n < 0). */
static void log_metrics_queued(vf_log *l, double n)
{
    vt_metrics *m = atomic_load(&l->metrics);

    if (m != NULL)
        vt_metrics_inc(m, "verifier_log_queued", "", n);
}

/* ---- following the log (vf_log_follow) and its anchor in the state directory ---- */

/* Latches the rollback (releases refuse from now on) and says why, once. */
static void rolled_back(vf_log *l, const char *why)
{
    if (!atomic_exchange(&l->rolled_back, true))
        vf_log_line("error", "the stored transparency log is not the one this verifier signed; the key broker "
                             "releases nothing until it is (docs/keys.md, \"Revocation the database cannot undo\")",
                    why);
}

/* A witness cosigned a larger tree than the stored one (witness_push.h): the anchor of
 * replicas whose state directories are their own. */
static void witness_ahead(void *arg, const char *why)
{
    rolled_back(arg, why);
}

bool vf_log_rolled_back(vf_log *l)
{
    return l != NULL && atomic_load(&l->rolled_back);
}

/* Writes the anchor (size, root) in place, only ever a larger size, and (sync) fsyncs it. */
static void anchor_write(vf_log *l, const vt_tlog_frontier *f, bool sync)
{
    uint8_t root[32];
    char hex[65], line[ANCHOR_LEN + 1];

    if (l->anchor_fd < 0 || f->size <= l->anchor_size || atomic_load(&l->rolled_back) ||
        vt_tlog_frontier_root(root, f, NULL) != VT_OK)
        return;
    vt_hex_encode(hex, root, sizeof(root));
    snprintf(line, sizeof(line), "%020" PRIu64 " %s\n", f->size, hex);
    if (pwrite(l->anchor_fd, line, ANCHOR_LEN, 0) != ANCHOR_LEN || (sync && fdatasync(l->anchor_fd) != 0)) {
        vf_log_line("error", "cannot write the log's anchor (STATE/" ANCHOR_FILE ")", strerror(errno));
        return;
    }
    l->anchor_size = f->size;
}

/* Opens (makes, 0600) STATE/log-size and reads the anchor: *size 0 when it is new. */
static vt_status anchor_open(vf_log *l, uint64_t *size, uint8_t root[32], vt_err *err)
{
    char path[4200], line[ANCHOR_LEN + 1], *end = NULL;
    ssize_t n;

    *size = 0;
    if (snprintf(path, sizeof(path), "%s/" ANCHOR_FILE, l->state_dir) >= (int)sizeof(path))
        return vt_err_set(err, VT_E_ARG, "log: state directory path too long");
    l->anchor_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (l->anchor_fd < 0)
        return vt_err_set(err, VT_E_IO, "log: cannot open %s: %s", path, strerror(errno));
    n = pread(l->anchor_fd, line, ANCHOR_LEN, 0);
    if (n == 0) { /* new: its name made durable too */
        int dfd = open(l->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            (void)fsync(dfd);
            close(dfd);
        }
        return VT_OK;
    }
    line[n > 0 ? n : 0] = '\0';
    if (n == ANCHOR_LEN && line[20] == ' ' && line[ANCHOR_LEN - 1] == '\n')
        *size = strtoull(line, &end, 10);
    if (end != line + 20 || vt_hex_decode(root, 32, line + 21, 64, NULL) != VT_OK) {
        rolled_back(l, "STATE/" ANCHOR_FILE " is malformed: remove it to accept the stored log as it is");
        *size = 0;
        return VT_OK;
    }
    l->anchor_size = *size;
    return VT_OK;
}

/* Reads entries [vfr.size, size) and tells them to the follower, growing vfr, and checks (at
 * check_size, when it is passed) that the tree there has check_root.  VT_E_NOTFOUND when the
 * stored entries have a gap. */
struct scan {
    vf_log *l;
    uint64_t check_size;
    const uint8_t *check_root;
    bool check_ok;
};

static vt_status scan_one(void *arg, const uint8_t *p, size_t len, vt_err *err)
{
    struct scan *sc = arg;
    vf_log *l = sc->l;
    uint8_t leaf[32], add[VT_TLOG_STORED_MAX][32], root[32];
    size_t n = 0;
    uint64_t index = l->vfr.size;
    vt_status rc = vt_tlog_leaf_hash(leaf, p, len, err);

    if (rc == VT_OK)
        rc = vt_tlog_frontier_append(&l->vfr, add, &n, leaf, err);
    if (rc == VT_OK && l->vfr.size == sc->check_size) {
        rc = vt_tlog_frontier_root(root, &l->vfr, err);
        sc->check_ok = rc == VT_OK && memcmp(root, sc->check_root, 32) == 0;
    }
    if (rc == VT_OK)
        l->follow(l->follow_arg, index, p, len);
    return rc;
}

static vt_status scan_to(vf_log *l, vs_store *s, uint64_t size, struct scan *sc, vt_err *err)
{
    vt_status rc = VT_OK;

    while (rc == VT_OK && l->vfr.size < size) {
        uint64_t n = size - l->vfr.size;
        rc = s->log->entries(s, l->vfr.size, n > SCAN_CHUNK ? SCAN_CHUNK : (unsigned)n, scan_one, sc, err);
    }
    return rc;
}

/* The stored checkpoint's tree (size, root), its signature by this log's key checked. */
static vt_status signed_head(vf_log *l, vs_store *s, vt_checkpoint *c, vt_err *err)
{
    vt_note_verifier *v = NULL;
    uint64_t size = 0;
    char *cp = NULL;
    vt_status rc = s->log->head(s, &size, &cp, err);

    if (rc == VT_OK && cp == NULL)
        rc = vt_err_set(err, VT_E_NOTFOUND, "log: no stored checkpoint");
    if (rc == VT_OK)
        rc = vt_note_verifier_parse(&v, (const char *)l->vkey.data, l->vkey.len, err);
    if (rc == VT_OK)
        rc = vt_checkpoint_open(c, (const uint8_t *)cp, strlen(cp), v, l->origin, err);
    if (rc == VT_OK && c->size != size)
        rc = vt_err_set(err, VT_E_CRYPTO, "log: the stored size %" PRIu64 " is not the signed checkpoint's %" PRIu64,
                        size, c->size);
    vt_note_verifier_free(v);
    free(cp);
    return rc;
}

/* The stored entries up to the signed checkpoint c hash to its root: else the tree is not the
 * one signed (rows deleted or altered), and the rollback is latched.  VT_OK also then; only a
 * store's failure (scanned, serr) is an error. */
static vt_status follow_check(vf_log *l, const vt_checkpoint *c, vt_status scanned, const vt_err *serr)
{
    uint8_t root[32];

    l->verified = false;
    if (scanned == VT_E_NOTFOUND) { /* a gap in the stored entries */
        char why[300];
        snprintf(why, sizeof(why), "rows deleted from log_entries (%s)", serr->msg);
        rolled_back(l, why);
        return VT_OK;
    }
    if (scanned != VT_OK)
        return scanned;
    if (l->vfr.size != c->size || vt_tlog_frontier_root(root, &l->vfr, NULL) != VT_OK ||
        memcmp(root, c->root, 32) != 0) {
        rolled_back(l, "the stored entries do not hash to the signed checkpoint's root (rows deleted or altered "
                       "in log_entries)");
        return VT_OK;
    }
    l->verified = true;
    return VT_OK;
}

/*
 * In a commit's transaction (commit_mu held), the tree another replica grew since the last
 * commit: its entries are read and told to the follower, vfr grows by them and must reach the
 * signed checkpoint's root.  A tree smaller than the one followed, or than the anchor, is a
 * rollback.  Not following, or after a rollback: nothing (the frontier is loaded as before).
 * A store's failure fails the commit and leaves vfr as it was (the follower may be told some
 * entries twice: learning is idempotent).
 */
static vt_status follow_others(vf_log *l, vs_store *s, uint64_t size, vt_err *err)
{
    vt_tlog_frontier was;
    vt_checkpoint c;
    struct scan sc = { .l = l };
    vt_err e = { 0 }, he = { 0 };
    vt_status rc, hrc;

    if (l->follow == NULL || !l->verified)
        return VT_OK;
    if (size < l->vfr.size || size < l->anchor_size) {
        char why[160];
        snprintf(why, sizeof(why), "the stored log holds %" PRIu64 " entries, fewer than the %" PRIu64
                 " this verifier signed", size, l->vfr.size > l->anchor_size ? l->vfr.size : l->anchor_size);
        rolled_back(l, why);
        l->verified = false;
        return VT_OK;
    }
    if (size == l->vfr.size)
        return VT_OK;
    was = l->vfr;
    rc = scan_to(l, s, size, &sc, &e);
    hrc = rc == VT_OK || rc == VT_E_NOTFOUND ? signed_head(l, s, &c, &he) : rc;
    if (hrc == VT_E_CRYPTO) {
        rolled_back(l, he.msg);
        l->verified = false;
        return VT_OK;
    }
    if (hrc != VT_OK) {
        l->vfr = was;
        if (err != NULL)
            *err = rc != VT_OK ? e : he;
        return hrc;
    }
    return follow_check(l, &c, rc, &e);
}

/*
 * STATE/log-follow: the follower's state as of a tree this verifier checked (its size and
 * root), so that a start reads only the entries after it instead of the whole log, which grows
 * by every passport and receipt.  A cache of what the entries say, in the state directory the
 * database writer cannot reach: one that does not fit the stored log (a restored or altered
 * database, a file of another log) is ignored and the whole log is read, as without it.
 * Written whole (temporary file, fsync, rename), 0600; a failure is said and costs only the
 * next start's time.  commit_mu held, or before the sequencer runs.
 */
static void follow_save(vf_log *l)
{
    char path[4200], head[128], hex[65];
    uint8_t root[32];
    vt_buf b;
    vt_err e = { 0 };
    vt_status rc;

    if (l->follow_save == NULL || !l->verified || atomic_load(&l->rolled_back))
        return;
    l->follow_saved_ns = vt_time_mono_ns();
    snprintf(path, sizeof(path), "%s/" FOLLOW_FILE, l->state_dir);
    vt_buf_init(&b);
    rc = vt_tlog_frontier_root(root, &l->vfr, &e);
    if (rc == VT_OK) {
        vt_hex_encode(hex, root, sizeof(root));
        snprintf(head, sizeof(head), FOLLOW_HEADER "%020" PRIu64 " %s\n", l->vfr.size, hex);
        rc = vt_buf_append_str(&b, head, &e);
    }
    if (rc == VT_OK)
        rc = l->follow_save(l->follow_arg, &b, &e);
    if (rc == VT_OK)
        rc = vt_file_write(path, b.data, b.len, 0600, &e);
    if (rc != VT_OK)
        vf_log_line("error", "cannot write the log's follower state (STATE/" FOLLOW_FILE "); the next start reads "
                             "the whole log", e.msg);
    vt_buf_free(&b);
}

/*
 * Resumes from STATE/log-follow when the stored tree holds the one it names (the stored hashes
 * at its size give its root): the follower's state is loaded, vfr is that tree, and the anchor
 * at or below it is checked the same way (sc->check_ok), so only the entries after it are read.
 * False, with vfr empty and the follower untouched, when there is none or it does not fit.
 */
static bool follow_resume(vf_log *l, const vt_checkpoint *c, uint64_t asize, const uint8_t aroot[32], struct scan *sc)
{
    char path[4200], hexroot[65];
    uint8_t froot[32], root[32];
    uint64_t fsize = 0;
    size_t hl = strlen(FOLLOW_HEADER);
    vt_tlog_frontier f;
    vt_buf b;
    vt_err e = { 0 };
    bool ok = false;

    if (l->follow_load == NULL)
        return false;
    snprintf(path, sizeof(path), "%s/" FOLLOW_FILE, l->state_dir);
    vt_buf_init(&b);
    if (vt_file_read_private(&b, path, FOLLOW_FILE_MAX, &e) != VT_OK ||
        b.len < hl + 86 || memcmp(b.data, FOLLOW_HEADER, hl) != 0 || b.data[hl + 20] != ' ' ||
        b.data[hl + 85] != '\n')
        goto out;
    memcpy(hexroot, b.data + hl + 21, 64);
    hexroot[64] = '\0';
    for (size_t i = 0; i < 20; i++) {
        if (b.data[hl + i] < '0' || b.data[hl + i] > '9' || fsize > (UINT64_MAX - 9) / 10)
            goto out;
        fsize = fsize * 10 + (uint64_t)(b.data[hl + i] - '0');
    }
    if (fsize == 0 || fsize > c->size || vt_hex_decode(froot, 32, hexroot, 64, NULL) != VT_OK)
        goto out;
    if (vt_tlog_frontier_load(&f, fsize, vf_log_read, l->st, &e) != VT_OK ||
        vt_tlog_frontier_root(root, &f, &e) != VT_OK || memcmp(root, froot, 32) != 0)
        goto out; /* not this tree: the whole log is read and judged */
    if (asize != 0 && asize <= fsize) { /* the anchor inside it: checked here, the scan starts past it */
        vt_tlog_frontier a;
        if (vt_tlog_frontier_load(&a, asize, vf_log_read, l->st, &e) != VT_OK ||
            vt_tlog_frontier_root(root, &a, &e) != VT_OK)
            goto out;
        sc->check_ok = memcmp(root, aroot, 32) == 0;
    }
    if (l->follow_load(l->follow_arg, b.data + hl + 86, b.len - hl - 86, &e) != VT_OK) {
        vf_log_line("error", "the log's follower state (STATE/" FOLLOW_FILE ") does not load; reading the whole log",
                    e.msg);
        goto out;
    }
    l->vfr = f;
    ok = true;
out:
    vt_buf_free(&b);
    return ok;
}

vt_status vf_log_follow(vf_log *l, vf_log_follow_fn fn, vf_log_follow_save_fn save,
                        vf_log_follow_load_fn load, void *arg, const char *sync_kind, vt_err *err)
{
    vt_checkpoint c;
    uint8_t aroot[32];
    uint64_t asize = 0, from = 0;
    char line[160];
    struct scan sc = { .l = l, .check_root = aroot };
    vt_err e = { 0 };
    vt_status rc;

    pthread_mutex_lock(&l->commit_mu);
    if (l->follow != NULL) {
        pthread_mutex_unlock(&l->commit_mu);
        return vt_err_set(err, VT_E_ARG, "log: already followed");
    }
    l->follow = fn;
    l->follow_save = save;
    l->follow_load = load;
    l->follow_arg = arg;
    l->sync_kind = sync_kind;
    memset(&l->vfr, 0, sizeof(l->vfr));
    rc = anchor_open(l, &asize, aroot, err);
    if (rc == VT_OK)
        rc = signed_head(l, l->st, &c, &e);
    if (rc == VT_E_CRYPTO) { /* a checkpoint this log's key did not sign */
        rolled_back(l, e.msg);
        rc = VT_OK;
        goto out;
    }
    if (rc != VT_OK) {
        if (err != NULL && e.msg[0] != '\0')
            *err = e;
        goto out;
    }
    sc.check_size = asize;
    sc.check_ok = asize == 0;
    from = follow_resume(l, &c, asize, aroot, &sc) ? l->vfr.size : 0;
    rc = scan_to(l, l->st, c.size, &sc, &e);
    rc = follow_check(l, &c, rc, &e);
    if (rc != VT_OK && err != NULL)
        *err = e;
    if (rc == VT_OK && c.size < asize) {
        char why[160];
        snprintf(why, sizeof(why), "the stored log holds %" PRIu64 " entries, fewer than the %" PRIu64
                 " this verifier signed (STATE/" ANCHOR_FILE ")", c.size, asize);
        rolled_back(l, why);
    } else if (rc == VT_OK && !sc.check_ok) {
        rolled_back(l, "the stored log's first entries are not the ones this verifier signed (STATE/" ANCHOR_FILE
                       "): the database was restored and has grown since");
    }
    if (rc == VT_OK && l->verified) {
        l->fr = l->vfr;
        l->fr_valid = true;
        anchor_write(l, &l->vfr, true); /* a log older than the anchor file: its size now */
        follow_save(l);
        snprintf(line, sizeof(line), "entries %" PRIu64 "..%" PRIu64 " read%s", from, c.size,
                 from != 0 ? " (the ones before from STATE/" FOLLOW_FILE ")" : " (the whole log)");
        vf_log_line("info", "log followed", line);
    }
out:
    pthread_mutex_unlock(&l->commit_mu);
    return rc;
}

/* Marks the batch's entries that are logged already (a retried POST), with their index: one
 * query for the batch.  The same entry twice in one batch is not seen here: its second
 * insert fails the batch, and each entry is then committed alone (commit_isolated). */
static vt_status batch_logged(vs_store *s, struct item *batch, vt_err *err)
{
    size_t n = 0, i = 0;
    const char **kind, **ref;
    uint64_t *index;
    bool *found;
    vt_status rc;

    for (struct item *it = batch; it != NULL; it = it->next)
        n++;
    kind = calloc(n, sizeof(*kind));
    ref = calloc(n, sizeof(*ref));
    index = calloc(n, sizeof(*index));
    found = calloc(n, sizeof(*found));
    if (kind == NULL || ref == NULL || index == NULL || found == NULL) {
        rc = vt_err_set(err, VT_E_NOMEM, "log: out of memory");
        goto out;
    }
    for (struct item *it = batch; it != NULL; it = it->next, i++) {
        kind[i] = it->kind;
        ref[i] = it->ref;
    }
    rc = s->log->find_many(s, n, kind, ref, found, index, err);
    i = 0;
    for (struct item *it = batch; rc == VT_OK && it != NULL; it = it->next, i++) {
        it->logged = found[i];
        if (found[i])
            it->index = index[i];
    }
out:
    free(kind);
    free(ref);
    free(index);
    free(found);
    return rc;
}

/* One batch in one transaction: entries, stored hashes, the new head.  The frontier
 * follows the appends and is kept only when the transaction commits. */
static vt_status commit_batch(vf_log *l, struct item *batch, vt_err *err)
{
    vs_store *s = l->st;
    uint64_t size = 0, size0;
    uint8_t add[VT_TLOG_STORED_MAX][32], leaf[32];
    vt_tlog_frontier *f = &l->fr;
    int64_t t0 = vt_time_mono_ns();
    vt_buf note;
    vt_status rc;

    vt_buf_init(&note);
    rc = s->log->begin(s, &size, err);
    if (rc != VT_OK) {
        log_metrics_commit(l, rc, 0, 0, t0);
        return rc;
    }
    size0 = size;
    rc = follow_others(l, s, size, err); /* another replica's entries, told to the follower */
    if (rc == VT_OK && l->verified) {
        *f = l->vfr; /* recomputed from the entries, checked against the signed checkpoint */
        l->fr_valid = true;
    } else if (rc == VT_OK && (!l->fr_valid || f->size != size)) {
        rc = vt_tlog_frontier_load(f, size, vf_log_read, s, err);
        l->fr_valid = rc == VT_OK;
    }
    if (rc == VT_OK)
        rc = batch_logged(s, batch, err);
    for (struct item *it = batch; it != NULL && rc == VT_OK; it = it->next) {
        size_t n = 0;
        rc = vt_tlog_leaf_hash(leaf, it->data, it->len, err);
        if (rc == VT_OK && it->logged) { /* already logged: a retried POST, if these are its bytes */
            uint8_t have[32];
            rc = s->log->hash(s, have, vt_tlog_stored_index(0, it->index), err);
            if (rc == VT_OK && memcmp(have, leaf, 32) != 0)
                it->index = VF_LOG_CONFLICT; /* another entry under its (kind, ref): this one is not logged */
            continue;
        }
        if (rc == VT_OK)
            rc = vt_tlog_frontier_append(f, add, &n, leaf, err);
        if (rc == VT_OK) { /* with its passport row, in this transaction (store.h) */
            vs_log_put e = { .index = size, .kind = it->kind, .ref = it->ref, .data = it->data, .len = it->len,
                             .leaf = leaf, .first = vt_tlog_stored_index(0, size),
                             .hashes = (const uint8_t(*)[32])add, .count = n, .passport = it->passport };
            rc = s->log->put(s, &e, err);
        }
        it->index = size++;
    }
    if (rc == VT_OK && size != size0)
        rc = sign_checkpoint(l, &note, f, err);
    if (rc == VT_OK && size != size0)
        rc = s->log->set_head(s, size, (const char *)note.data, err);
    if (rc == VT_OK)
        rc = s->log->end(s, true, err);
    else
        (void)s->log->end(s, false, NULL);
    if (rc != VT_OK)
        l->fr_valid = false; /* it followed appends that were rolled back */
    if (rc == VT_OK && l->follow != NULL) {
        /* Before any of the batch's appends is told: its anchor, then the follower. */
        if (l->verified)
            l->vfr = *f;
        bool sync = l->sync_kind == NULL;
        for (struct item *it = batch; it != NULL && !sync; it = it->next)
            sync = !it->logged && strcmp(it->kind, l->sync_kind) == 0;
        if (size != size0)
            anchor_write(l, f, sync);
        for (struct item *it = batch; it != NULL; it = it->next) /* its kind only: no parse per receipt */
            if (!it->logged && (l->sync_kind == NULL || strcmp(it->kind, l->sync_kind) == 0))
                l->follow(l->follow_arg, it->index, it->data, it->len);
        if (size != size0 && (sync || vt_time_mono_ns() - l->follow_saved_ns >= FOLLOW_SAVE_NS))
            follow_save(l);
    }
    log_metrics_commit(l, rc, size0, size, t0);
    vt_buf_free(&note);
    return rc;
}

/*
 * commit_batch, again on a new connection when the store lost its connection during it
 * (a database restart or failover, a terminated backend): what failed was the transport,
 * not the batch.  Nothing is logged twice: the batch's entries that did commit (when only
 * the COMMIT's answer was lost) are found by batch_logged and keep their positions.  A
 * store that could not reconnect, or that refuses, fails the batch at once.
 */
#define LOST_TRIES 3
static vt_status commit_batch_again(vf_log *l, struct item *batch, vt_err *err)
{
    for (int i = 1;; i++) {
        unsigned long seen = l->st->lost_connections;
        vt_status rc;
        pthread_mutex_lock(&l->commit_mu);
        rc = commit_batch(l, batch, err);
        pthread_mutex_unlock(&l->commit_mu);
        if (rc == VT_OK || l->st->lost_connections == seen || i == LOST_TRIES)
            return rc;
        vf_log_line("error", "log batch lost with its connection; committing it again", err->msg);
    }
}

/* A batch failed as a whole: commit its items one transaction each, so one bad item (a
 * passport row the store refuses) fails alone and the clients batched with it by chance
 * still get their entries.  Each item's own outcome goes to it. */
static void commit_isolated(vf_log *l, struct item *batch)
{
    bool any = false;

    for (struct item *it = batch, *nx; it != NULL; it = nx) {
        nx = it->next;
        it->next = NULL;
        it->rc = commit_batch_again(l, it, &it->err);
        it->next = nx;
        if (it->rc != VT_OK)
            vf_log_line("error", "log append failed", it->err.msg);
        any |= it->rc == VT_OK;
    }
    if (any)
        vf_witnesses_kick(l->wit);
}

/* Each finished asynchronous append gets its positions and its first failure, then is freed. */
static void group_tell(struct group *g)
{
    for (struct group *nx; g != NULL; g = nx) {
        vt_status rc = VT_OK;
        const vt_err *err = NULL;
        nx = g->next;
        for (size_t i = 0; i < g->n; i++) {
            g->index[i] = g->it[i].index;
            if (g->it[i].rc != VT_OK && rc == VT_OK) {
                rc = g->it[i].rc;
                err = &g->it[i].err;
            }
        }
        g->done(g->arg, g->index, g->n, rc, err);
        free(g);
    }
}

/*
 * Group commit with a commit delay (PostgreSQL's commit_delay and commit_siblings, MySQL's
 * binlog_group_commit_sync_delay): every commit costs the same fixed work (its
 * transaction, WAL frames, fsync and signed checkpoint: about 0.6 ms of CPU here,
 * bench/README.md), so a batch whose siblings are on their way (vf_log_expect: a request
 * checking evidence it will then log) waits for them, at most the commit delay and only
 * until BATCH_FILL are queued.  With nobody on the way (a lone client, a bulk upload that
 * is its own batch) it commits at once.  Called and returns with mu held.
 */
static void hold_for_coming(vf_log *l)
{
    long delay = atomic_load(&l->delay_ns);
    struct timespec until;

    if (delay <= 0 || atomic_load(&l->coming) <= 0 || l->queued >= BATCH_FILL)
        return;
    until = vt__cond_deadline_ns(delay);
    while (!l->stop && atomic_load(&l->coming) > 0 && l->queued < BATCH_FILL)
        if (pthread_cond_timedwait(&l->more, &l->mu, &until) != 0)
            break; /* the delay is over */
}

void vf_log_expect(vf_log *l, int delta)
{
    if (l == NULL)
        return;
    if (atomic_fetch_add(&l->coming, delta) + delta <= 0 && delta < 0) {
        pthread_mutex_lock(&l->mu); /* the last one on its way arrived or gave up: stop holding */
        pthread_cond_signal(&l->more);
        pthread_mutex_unlock(&l->mu);
    }
}

void vf_log_set_commit_delay(vf_log *l, long us)
{
    atomic_store(&l->delay_ns, us > 0 ? us * 1000L : 0);
}

static void *sequencer(void *arg)
{
    vf_log *l = arg;
    struct group *finished = NULL;

    pthread_mutex_lock(&l->mu);
    for (;;) {
        struct item *batch, *last;
        size_t n = 1;
        vt_err e = { 0 };
        vt_status rc;

        while (!l->stop && l->head == NULL)
            pthread_cond_wait(&l->more, &l->mu);
        if (l->head == NULL)
            break;
        hold_for_coming(l);
        /* Everything queued while the last batch was committing, up to BATCH_MAX. */
        batch = last = l->head;
        while (last->next != NULL && n < BATCH_MAX) {
            last = last->next;
            n++;
        }
        l->head = last->next;
        if (l->head == NULL)
            l->tail = NULL;
        last->next = NULL;
        l->queued -= n;
        pthread_mutex_unlock(&l->mu);
        log_metrics_queued(l, -(double)n);
        rc = commit_batch_again(l, batch, &e);
        if (rc == VT_OK) {
            for (struct item *it = batch; it != NULL; it = it->next)
                it->rc = VT_OK;
            vf_witnesses_kick(l->wit); /* a new checkpoint to offer */
        } else if (batch->next == NULL) {
            batch->rc = rc;
            batch->err = e;
            vf_log_line("error", "log append failed", e.msg);
        } else {
            commit_isolated(l, batch);
        }
        pthread_mutex_lock(&l->mu);
        for (struct item *it = batch; it != NULL; it = it->next)
            if (--it->g->left == 0) {
                it->g->next = finished;
                finished = it->g;
            }
        pthread_mutex_unlock(&l->mu);
        group_tell(finished); /* outside the lock: a callback may queue the next append */
        finished = NULL;
        pthread_mutex_lock(&l->mu);
    }
    pthread_mutex_unlock(&l->mu);
    return NULL;
}

vt_status vf_log_append_async(vf_log *l, const vf_log_entry *e, size_t n, vf_log_done_fn done, void *arg,
                              vt_err *err)
{
    struct group *g;

    if (n == 0 || done == NULL)
        return vt_err_set(err, VT_E_ARG, "log: nothing to append");
    for (size_t i = 0; i < n; i++)
        if (e[i].len > VT_TLOG_ENTRY_MAX)
            return vt_err_set(err, VT_E_LIMIT, "log: entry of %zu bytes, more than %u", e[i].len, VT_TLOG_ENTRY_MAX);
    g = calloc(1, sizeof(*g) + n * (sizeof(g->it[0]) + sizeof(*g->index)));
    if (g == NULL)
        return vt_err_set(err, VT_E_NOMEM, "log: out of memory");
    g->n = g->left = n;
    g->done = done;
    g->arg = arg;
    g->index = (uint64_t *)(void *)&g->it[n];
    for (size_t i = 0; i < n; i++) {
        g->it[i].kind = e[i].kind;
        g->it[i].ref = e[i].ref;
        g->it[i].data = e[i].data;
        g->it[i].len = e[i].len;
        g->it[i].passport = e[i].passport;
        g->it[i].g = g;
        g->it[i].next = i + 1 < n ? &g->it[i + 1] : NULL;
    }
    pthread_mutex_lock(&l->mu);
    if (l->stop) {
        pthread_mutex_unlock(&l->mu);
        free(g);
        return vt_err_set(err, VT_E_IO, "log: closed");
    }
    if (l->tail != NULL)
        l->tail->next = &g->it[0];
    else
        l->head = &g->it[0];
    l->tail = &g->it[n - 1];
    l->queued += n;
    log_metrics_queued(l, (double)n); /* before the sequencer can take them */
    pthread_cond_signal(&l->more);
    pthread_mutex_unlock(&l->mu);
    return VT_OK;
}

/* A caller of vf_log_append_many waiting for its append. */
struct waiter {
    vf_log *l;
    uint64_t *index_out;
    vt_status rc;
    vt_err err;
    bool told;
};

static void waiter_told(void *arg, const uint64_t *index, size_t n, vt_status rc, const vt_err *err)
{
    struct waiter *w = arg;

    pthread_mutex_lock(&w->l->mu);
    memcpy(w->index_out, index, n * sizeof(*index));
    w->rc = rc;
    if (err != NULL)
        w->err = *err;
    w->told = true;
    pthread_cond_broadcast(&w->l->told);
    pthread_mutex_unlock(&w->l->mu);
}

vt_status vf_log_append_many(vf_log *l, uint64_t *index_out, const vf_log_entry *e, size_t n, vt_err *err)
{
    struct waiter w = { .l = l, .index_out = index_out };
    vt_status rc;

    memset(index_out, 0, n * sizeof(*index_out));
    if (n == 0)
        return VT_OK;
    rc = vf_log_append_async(l, e, n, waiter_told, &w, err);
    if (rc != VT_OK)
        return rc;
    pthread_mutex_lock(&l->mu);
    while (!w.told)
        pthread_cond_wait(&l->told, &l->mu);
    pthread_mutex_unlock(&l->mu);
    if (w.rc != VT_OK && err != NULL)
        *err = w.err;
    return w.rc;
}

vt_status vf_log_append(vf_log *l, uint64_t *index_out, const char *kind, const char *ref, const uint8_t *entry,
                        size_t len, vt_err *err)
{
    vf_log_entry e = { .kind = kind, .ref = ref, .data = entry, .len = len };
    return vf_log_append_many(l, index_out, &e, 1, err);
}

vf_log_entry vf_log_passport_entry(const vs_passport *row)
{
    return (vf_log_entry){ .kind = "passport", .ref = row->id, .data = (const uint8_t *)row->token,
                           .len = strlen(row->token), .passport = row };
}

vt_status vf_log_witness(vf_log *l, const char *const *specs, size_t n, const char *db_url, vt_err *err)
{
    vt_status rc;

    if (l->wit != NULL)
        return vt_err_set(err, VT_E_ARG, "log: witnesses are already set");
    rc = vf_witnesses_open(&l->wit, specs, n, db_url, witness_ahead, l, err);
    if (rc == VT_OK)
        vf_witnesses_kick(l->wit); /* the current checkpoint, at once */
    return rc;
}

vt_status vf_log_cosigned(vf_log *l, vt_buf *out, const char *cp, vt_err *err)
{
    const char *sep = strstr(cp, "\n\n");
    vt_status rc = vt_buf_append_str(out, cp, err);

    if (rc == VT_OK && sep != NULL)
        rc = vf_witnesses_lines(l->wit, out, cp, (size_t)(sep - cp) + 1, err);
    if (rc == VT_OK)
        rc = vt_buf_terminate(out, err);
    return rc;
}

vs_store *vf_log_store(vf_log *l)
{
    return l->st;
}

const char *vf_log_origin(const vf_log *l)
{
    return l->origin;
}

const char *vf_log_vkey(const vf_log *l)
{
    return (const char *)l->vkey.data;
}

/* The log key: <state_dir>/log-key.pem, made on first start (0600). */
static vt_status load_key(vt_pkey **out, const char *state_dir, vt_err *err)
{
    char path[4200];

    *out = NULL;
    if (snprintf(path, sizeof(path), "%s/log-key.pem", state_dir) >= (int)sizeof(path))
        return vt_err_set(err, VT_E_ARG, "log: state directory path too long");
    return vt_pkey_load_or_create(out, path, VT_KEY_ED25519, err);
}

/* Default origin: "<host>/veritee-log", the host from the listen address unless it is a
 * wildcard, else this machine's name. */
static void default_origin(char out[VT_NOTE_NAME_MAX + 1], const char *listen)
{
    char host[256] = "";
    const char *colon = listen != NULL ? strrchr(listen, ':') : NULL;
    size_t hl = colon != NULL ? (size_t)(colon - listen) : listen != NULL ? strlen(listen) : 0;

    if (hl > 0 && hl < sizeof(host))
        snprintf(host, sizeof(host), "%.*s", (int)hl, listen);
    if (host[0] == '\0' || strcmp(host, "0.0.0.0") == 0 || strcmp(host, "[::]") == 0 || strcmp(host, "::") == 0) {
        if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0')
            snprintf(host, sizeof(host), "localhost");
        host[sizeof(host) - 1] = '\0';
    }
    snprintf(out, VT_NOTE_NAME_MAX + 1, "%.200s/veritee-log", host);
}

vt_status vf_log_open(vf_log **out, const char *db_url, const char *state_dir, const char *origin,
                      const char *listen, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vf_log *l = NULL;
    vt_pkey *key = NULL;
    char *cp = NULL;
    uint64_t size = 0;
    vt_buf note;

    *out = NULL;
    vt_buf_init(&note);
    l = calloc(1, sizeof(*l));
    if (l == NULL)
        return vt_err_set(err, VT_E_NOMEM, "log: out of memory");
    pthread_mutex_init(&l->mu, NULL);
    pthread_mutex_init(&l->commit_mu, NULL);
    l->anchor_fd = -1;
    snprintf(l->state_dir, sizeof(l->state_dir), "%s", state_dir);
    (void)vt__cond_init(&l->more); /* the commit delay is measured on the monotonic clock */
    l->delay_ns = COMMIT_DELAY_NS;
    pthread_cond_init(&l->told, NULL);
    vt_buf_init(&l->vkey);
    rc = load_key(&key, state_dir, err);
    if (rc == VT_OK)
        rc = vs_open(&l->st, db_url, err);
    if (rc == VT_OK)
        rc = l->st->log->head(l->st, &size, &cp, err);
    if (rc != VT_OK)
        goto out;
    /* The origin is the log's identity: it stays what the stored checkpoints say. */
    if (cp != NULL) {
        size_t n = strcspn(cp, "\n");
        if (n == 0 || n > VT_NOTE_NAME_MAX) {
            rc = vt_err_set(err, VT_E_FORMAT, "log: the stored checkpoint has no origin line");
            goto out;
        }
        memcpy(l->origin, cp, n);
        if (origin != NULL && strcmp(origin, l->origin) != 0) {
            rc = vt_err_set(err, VT_E_ARG, "log: --log-origin %.64s differs from the log's origin %.64s", origin,
                            l->origin);
            goto out;
        }
    } else if (origin != NULL) {
        snprintf(l->origin, sizeof(l->origin), "%s", origin);
    } else {
        default_origin(l->origin, listen);
    }
    rc = vt_note_signer_new(&l->signer, l->origin, key, err);
    if (rc == VT_OK)
        rc = vt_note_signer_vkey(&l->vkey, l->signer, err);
    if (rc != VT_OK)
        goto out;
    /* The empty tree gets its checkpoint at once, so /v1/log/checkpoint always answers. */
    if (cp == NULL) {
        uint64_t sz = 0;
        vt_tlog_frontier empty;
        memset(&empty, 0, sizeof(empty));
        rc = l->st->log->begin(l->st, &sz, err);
        if (rc == VT_OK && sz == 0)
            rc = sign_checkpoint(l, &note, &empty, err);
        if (rc == VT_OK && sz == 0)
            rc = l->st->log->set_head(l->st, 0, (const char *)note.data, err);
        if (rc == VT_OK)
            rc = l->st->log->end(l->st, true, err);
        else
            (void)l->st->log->end(l->st, false, NULL);
        if (rc != VT_OK)
            goto out;
    }
    if (pthread_create(&l->th, NULL, sequencer, l) != 0) {
        rc = vt_err_set(err, VT_E_INTERNAL, "log: cannot start the sequencer");
        goto out;
    }
    l->started = true;
    *out = l;
    l = NULL;
    rc = VT_OK;
out:
    free(cp);
    vt_buf_free(&note);
    vt_pkey_free(key);
    vf_log_close(l);
    return rc;
}

void vf_log_close(vf_log *l)
{
    if (l == NULL)
        return;
    pthread_mutex_lock(&l->mu);
    l->stop = true;
    pthread_cond_signal(&l->more);
    pthread_mutex_unlock(&l->mu);
    if (l->started)
        pthread_join(l->th, NULL);
    pthread_mutex_lock(&l->commit_mu);
    follow_save(l); /* a clean stop: the next start reads nothing before it */
    pthread_mutex_unlock(&l->commit_mu);
    vf_witnesses_close(l->wit);
    vs_close(l->st);
    vt_note_signer_free(l->signer);
    vt_buf_free(&l->vkey);
    pthread_mutex_destroy(&l->mu);
    pthread_mutex_destroy(&l->commit_mu);
    if (l->anchor_fd >= 0)
        close(l->anchor_fd);
    pthread_cond_destroy(&l->more);
    pthread_cond_destroy(&l->told);
    free(l);
}
