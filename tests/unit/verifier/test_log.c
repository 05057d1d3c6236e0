/* The log sequencer stores a passport's row in the same transaction as its log
 * entry (vf_log_passport_entry): both are there after the append, and when the
 * row cannot be stored the entry is not logged either (and the reverse).  A refused item
 * fails alone: the entries batched with it are still logged.  An append that does not
 * wait (vf_log_append_async) is told exactly once, with its entries' positions.  A batch
 * whose store connection was lost is committed again, never twice.  A batch is held for the
 * appends on their way (the commit delay) and only for them. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "vt_test.h"

#include "verifier/log.h"
#include "veritee/tlog.h"

#include "verifier_fx.h"

static vt_status append_passport(struct fx *f, uint64_t *idx, const vs_passport *r, vt_err *err)
{
    vf_log_entry e = vf_log_passport_entry(r);
    return vf_log_append_many(f->log, idx, &e, 1, err);
}

static void row_init(vs_passport *r, const char *id, char *token)
{
    memset(r, 0, sizeof(*r));
    snprintf(r->id, sizeof(r->id), "%s", id);
    snprintf(r->environment, sizeof(r->environment), "env-test");
    snprintf(r->status, sizeof(r->status), "affirming");
    snprintf(r->tee_type, sizeof(r->tee_type), "mock");
    snprintf(r->measurement, sizeof(r->measurement), "mrtd:00");
    r->issued_at = 1000;
    r->expires_at = 2000;
    r->token = token;
    r->components = NULL;
}

static uint64_t log_size(struct fx *f)
{
    uint64_t n = 0;
    char *cp = NULL;
    vt_err err = { 0 };
    assert_int_equal(f->st->log->head(f->st, &n, &cp, &err), VT_OK);
    free(cp);
    return n;
}

static void test_row_and_entry_together(void **state)
{
    struct fx *f = *state;
    char tok[] = "eyJhbGciOiJFUzI1NiJ9.eyJwIjoxfQ.c2ln";
    vs_passport r, got;
    uint64_t idx = 99, found = 99;
    char *data = NULL;
    size_t len = 0;
    vt_err err = { 0 };

    row_init(&r, "pass-0001", tok);
    if (append_passport(f, &idx, &r, &err) != VT_OK)
        fail_msg("append: %s", err.msg);
    assert_int_equal(idx, 0);
    memset(&got, 0, sizeof(got));
    assert_int_equal(f->st->ops->passport_get(f->st, &got, "pass-0001", &err), VT_OK);
    assert_string_equal(got.token, tok);
    vs_passport_clear(&got);
    assert_int_equal(f->st->log->find(f->st, &found, &data, &len, "passport", "pass-0001", &err), VT_OK);
    assert_int_equal(found, 0);
    assert_int_equal(len, strlen(tok));
    assert_memory_equal(data, tok, len);
    free(data);
    assert_int_equal(log_size(f), 1);
    /* The worker connection still stores rows on its own (outside any log transaction). */
    row_init(&r, "pass-0002", tok);
    assert_int_equal(f->st->ops->passport_put(f->st, &r, &err), VT_OK);
}

static void test_row_refused_nothing_logged(void **state)
{
    struct fx *f = *state;
    char tok1[] = "aaaa.bbbb.cccc", tok2[] = "dddd.eeee.ffff";
    vs_passport r;
    uint64_t idx = 0;
    vt_err err = { 0 };

    /* A row with this id exists already: the insert in the log's transaction fails, so the
     * whole transaction rolls back and the token is not logged. */
    row_init(&r, "pass-dup", tok1);
    assert_int_equal(f->st->ops->passport_put(f->st, &r, &err), VT_OK);
    row_init(&r, "pass-dup", tok2);
    assert_int_not_equal(append_passport(f, &idx, &r, &err), VT_OK);
    assert_int_equal(f->st->log->find(f->st, &idx, NULL, NULL, "passport", "pass-dup", NULL), VT_E_NOTFOUND);
    assert_int_equal(log_size(f), 0);
    /* The sequencer goes on: the next passport commits (row and entry). */
    row_init(&r, "pass-next", tok2);
    if (append_passport(f, &idx, &r, &err) != VT_OK)
        fail_msg("append after a refused one: %s", err.msg);
    assert_int_equal(idx, 0);
    assert_int_equal(log_size(f), 1);
}

/* Entries batched together with a refused passport row are not refused with it: only the
 * bad item fails, the others are logged (and in order). */
static void test_batch_one_refused(void **state)
{
    struct fx *f = *state;
    char tok1[] = "aaaa.bbbb.cccc", tok2[] = "dddd.eeee.ffff";
    const char *ra = "receipt-a", *rb = "receipt-b";
    vs_passport r;
    vf_log_entry e[3];
    uint64_t idx[3] = { 0 }, found = 99;
    vt_err err = { 0 };

    row_init(&r, "pass-dup", tok1);
    assert_int_equal(f->st->ops->passport_put(f->st, &r, &err), VT_OK);
    row_init(&r, "pass-dup", tok2);
    memset(e, 0, sizeof(e));
    e[0] = (vf_log_entry){ .kind = "receipt", .ref = "ra", .data = (const uint8_t *)ra, .len = strlen(ra) };
    e[1] = (vf_log_entry){ .kind = "passport", .ref = r.id, .data = (const uint8_t *)tok2, .len = strlen(tok2),
                           .passport = &r };
    e[2] = (vf_log_entry){ .kind = "receipt", .ref = "rb", .data = (const uint8_t *)rb, .len = strlen(rb) };
    /* One call queues all three at once: the sequencer takes them as one batch. */
    assert_int_not_equal(vf_log_append_many(f->log, idx, e, 3, &err), VT_OK);
    assert_non_null(strstr(err.msg, "passport insert")); /* the refused item's own error */
    assert_int_equal(f->st->log->find(f->st, &found, NULL, NULL, "passport", "pass-dup", NULL), VT_E_NOTFOUND);
    assert_int_equal(f->st->log->find(f->st, &found, NULL, NULL, "receipt", "ra", &err), VT_OK);
    assert_int_equal(found, 0);
    assert_int_equal(idx[0], 0);
    assert_int_equal(f->st->log->find(f->st, &found, NULL, NULL, "receipt", "rb", &err), VT_OK);
    assert_int_equal(found, 1);
    assert_int_equal(idx[2], 1);
    assert_int_equal(log_size(f), 2);
}

/* GET /v1/log/proof?hash= finds an entry by its leaf hash through an index on the hash's
 * first 8 bytes, comparing the whole hash: every entry is found at its index, a hash that
 * differs only past the first 8 bytes is not found, and a database made with the older
 * index on the whole hash gets the new one when opened (and still answers). */
static uint64_t index_of(struct fx *f, const uint8_t leaf[32], vt_status want)
{
    uint64_t idx = UINT64_MAX;
    vt_err err = { 0 };

    assert_int_equal(f->st->log->index_of(f->st, &idx, leaf, &err), want);
    return idx;
}

static int count_index(const char *path, const char *name)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int n = -1;

    if (sqlite3_open(path, &db) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = ?1", -1, &st,
                           NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW)
            n = sqlite3_column_int(st, 0);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static void test_leaf_lookup(void **state)
{
    enum { N = 300 };
    struct fx *f = *state;
    static char data[N][64], refs[N][32];
    static uint8_t leaf[N][32];
    vf_log_entry e[N];
    uint64_t idx[N];
    char path[4200];
    sqlite3 *db = NULL;
    vt_err err = { 0 };

    for (int i = 0; i < N; i++) {
        snprintf(data[i], sizeof(data[i]), "receipt token number %d", i);
        snprintf(refs[i], sizeof(refs[i]), "r%03d", i);
        e[i] = (vf_log_entry){ .kind = "receipt", .ref = refs[i], .data = (const uint8_t *)data[i],
                               .len = strlen(data[i]) };
        assert_int_equal(vt_tlog_leaf_hash(leaf[i], data[i], strlen(data[i]), &err), VT_OK);
    }
    assert_int_equal(vf_log_append_many(f->log, idx, e, N, &err), VT_OK);
    for (int i = 0; i < N; i++)
        assert_int_equal(index_of(f, leaf[i], VT_OK), idx[i]);
    {
        uint8_t other[32];
        memcpy(other, leaf[7], 32);
        other[31] ^= 1; /* the same first 8 bytes */
        (void)index_of(f, other, VT_E_NOTFOUND);
    }

    /* A database with the index of an older version. */
    snprintf(path, sizeof(path), "%s/verifier.db", f->dir);
    vf_log_close(f->log);
    vs_close(f->st);
    f->log = NULL;
    f->st = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "DROP INDEX log_entries_leaf8; CREATE INDEX log_entries_leaf ON log_entries(leaf);",
                                  NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(count_index(path, "log_entries_leaf8"), 0);
    if (vs_open(&f->st, f->url, &err) != VT_OK ||
        vf_log_open(&f->log, f->url, f->dir, "test.example/log", NULL, &err) != VT_OK)
        fail_msg("reopen: %s", err.msg);
    assert_int_equal(count_index(path, "log_entries_leaf8"), 1);
    assert_int_equal(count_index(path, "log_entries_leaf"), 0);
    for (int i = 0; i < N; i += 37)
        assert_int_equal(index_of(f, leaf[i], VT_OK), idx[i]);
}

/* An entry already logged, or twice in one batch (a gateway retrying a batch whose first
 * attempt is still queued), is logged once: every copy gets its index. */
static void test_same_entry_twice(void **state)
{
    struct fx *f = *state;
    const char *a = "receipt-a", *b = "receipt-b";
    vf_log_entry e[4];
    uint64_t idx[4] = { 0 };
    vt_err err = { 0 };

    e[0] = (vf_log_entry){ .kind = "receipt", .ref = "ra", .data = (const uint8_t *)a, .len = strlen(a) };
    assert_int_equal(vf_log_append_many(f->log, idx, e, 1, &err), VT_OK);
    assert_int_equal(idx[0], 0);
    e[1] = (vf_log_entry){ .kind = "receipt", .ref = "rb", .data = (const uint8_t *)b, .len = strlen(b) };
    e[2] = e[1];
    e[3] = e[0];
    memset(idx, 0xff, sizeof(idx));
    assert_int_equal(vf_log_append_many(f->log, idx, e, 4, &err), VT_OK);
    assert_int_equal(idx[0], 0); /* logged before */
    assert_int_equal(idx[1], 1);
    assert_int_equal(idx[2], 1); /* twice in the batch */
    assert_int_equal(idx[3], 0);
    assert_int_equal(log_size(f), 2);
}

/* ---- vf_log_append_async ---- */

enum { A_THREADS = 4, A_GROUPS = 50, A_PER = 3 };

struct told {
    atomic_int calls;
    vt_status rc;
    uint64_t index[A_PER];
    size_t n;
    char msg[sizeof(((vt_err *)0)->msg)];
};

static void on_told(void *arg, const uint64_t *index, size_t n, vt_status rc, const vt_err *err)
{
    struct told *t = arg;

    t->rc = rc;
    t->n = n;
    if (rc == VT_OK)
        memcpy(t->index, index, n * sizeof(*index));
    else
        snprintf(t->msg, sizeof(t->msg), "%s", err != NULL ? err->msg : "(no error given)");
    atomic_fetch_add(&t->calls, 1);
}

static char a_data[A_THREADS][A_GROUPS][A_PER][48], a_ref[A_THREADS][A_GROUPS][A_PER][24];
static struct told a_told[A_THREADS][A_GROUPS];

struct a_arg {
    vf_log *log;
    int t;
};

static void *a_submit(void *arg)
{
    struct a_arg *a = arg;
    vt_err err = { 0 };

    for (int g = 0; g < A_GROUPS; g++) {
        vf_log_entry e[A_PER];
        for (int i = 0; i < A_PER; i++) {
            snprintf(a_data[a->t][g][i], sizeof(a_data[0][0][0]), "entry %d/%d/%d", a->t, g, i);
            snprintf(a_ref[a->t][g][i], sizeof(a_ref[0][0][0]), "r-%d-%d-%d", a->t, g, i);
            e[i] = (vf_log_entry){ .kind = "receipt", .ref = a_ref[a->t][g][i],
                                   .data = (const uint8_t *)a_data[a->t][g][i], .len = strlen(a_data[a->t][g][i]) };
        }
        assert_int_equal(vf_log_append_async(a->log, e, A_PER, on_told, &a_told[a->t][g], &err), VT_OK);
    }
    return NULL;
}

static void test_async_told_once_with_positions(void **state)
{
    struct fx *f = *state;
    pthread_t th[A_THREADS];
    struct a_arg args[A_THREADS];
    static bool seen[A_THREADS * A_GROUPS * A_PER];
    vt_err err = { 0 };

    memset(a_told, 0, sizeof(a_told));
    memset(seen, 0, sizeof(seen));
    for (int t = 0; t < A_THREADS; t++) {
        args[t] = (struct a_arg){ .log = f->log, .t = t };
        assert_int_equal(pthread_create(&th[t], NULL, a_submit, &args[t]), 0);
    }
    for (int t = 0; t < A_THREADS; t++)
        assert_int_equal(pthread_join(th[t], NULL), 0);
    /* closing waits for the sequencer, which commits what is queued and tells each */
    vf_log_close(f->log);
    f->log = NULL;
    for (int t = 0; t < A_THREADS; t++)
        for (int g = 0; g < A_GROUPS; g++) {
            struct told *k = &a_told[t][g];
            assert_int_equal(atomic_load(&k->calls), 1);
            assert_int_equal(k->rc, VT_OK);
            assert_int_equal(k->n, A_PER);
            for (int i = 0; i < A_PER; i++) {
                uint64_t found = UINT64_MAX;
                char *tok = NULL;
                size_t len = 0;
                assert_true(k->index[i] < A_THREADS * A_GROUPS * A_PER);
                assert_false(seen[k->index[i]]);
                seen[k->index[i]] = true;
                assert_int_equal(f->st->log->find(f->st, &found, &tok, &len, "receipt", a_ref[t][g][i], &err), VT_OK);
                assert_int_equal(found, k->index[i]);
                assert_int_equal(len, strlen(a_data[t][g][i]));
                assert_memory_equal(tok, a_data[t][g][i], len);
                free(tok);
            }
            /* a group's entries keep their order */
            assert_true(k->index[0] < k->index[1] && k->index[1] < k->index[2]);
        }
    assert_int_equal(log_size(f), A_THREADS * A_GROUPS * A_PER);
}

/* A refused row fails its own append, told with its error; the one queued with it is logged. */
static void test_async_refused_told_with_error(void **state)
{
    struct fx *f = *state;
    char tok1[] = "aaaa.bbbb.cccc", tok2[] = "dddd.eeee.ffff";
    const char *ra = "receipt-a";
    vs_passport r;
    vf_log_entry bad, good;
    static struct told t_bad, t_good;
    vt_err err = { 0 };

    memset(&t_bad, 0, sizeof(t_bad));
    memset(&t_good, 0, sizeof(t_good));
    row_init(&r, "pass-dup", tok1);
    assert_int_equal(f->st->ops->passport_put(f->st, &r, &err), VT_OK);
    row_init(&r, "pass-dup", tok2);
    bad = (vf_log_entry){ .kind = "passport", .ref = r.id, .data = (const uint8_t *)tok2, .len = strlen(tok2),
                          .passport = &r };
    good = (vf_log_entry){ .kind = "receipt", .ref = "ra", .data = (const uint8_t *)ra, .len = strlen(ra) };
    assert_int_equal(vf_log_append_async(f->log, &bad, 1, on_told, &t_bad, &err), VT_OK);
    assert_int_equal(vf_log_append_async(f->log, &good, 1, on_told, &t_good, &err), VT_OK);
    vf_log_close(f->log);
    f->log = NULL;
    assert_int_equal(atomic_load(&t_bad.calls), 1);
    assert_int_not_equal(t_bad.rc, VT_OK);
    assert_non_null(strstr(t_bad.msg, "passport insert"));
    assert_int_equal(atomic_load(&t_good.calls), 1);
    assert_int_equal(t_good.rc, VT_OK);
    assert_int_equal(t_good.index[0], 0);
    /* nothing to append, or too large: refused at once, never told */
    {
        vf_log_entry big = { .kind = "receipt", .ref = "big", .data = (const uint8_t *)"x", .len = VT_TLOG_ENTRY_MAX + 1 };
        static struct told t_none;
        vf_log *l = NULL;
        assert_int_equal(vf_log_open(&l, f->url, f->dir, "test.example/log", NULL, &err), VT_OK);
        assert_int_equal(vf_log_append_async(l, &big, 1, on_told, &t_none, &err), VT_E_LIMIT);
        assert_int_equal(vf_log_append_async(l, &good, 0, on_told, &t_none, &err), VT_E_ARG);
        vf_log_close(l);
        assert_int_equal(atomic_load(&t_none.calls), 0);
    }
}

/* The sequencer's connection lost in the middle of a batch: its log operations are wrapped
 * to fail as libpq does when the server terminated the backend (the store then counts a
 * lost connection), or to refuse without one. */
static const struct vs_log_ops *real_log;
static struct vs_log_ops lost_ops;
static int put_fails, commit_answers_lost; /* how many to fail */
static bool put_fail_reconnects;

static vt_status lost_put(vs_store *s, const vs_log_put *e, vt_err *err)
{
    if (put_fails > 0) {
        put_fails--;
        if (put_fail_reconnects)
            s->lost_connections++;
        return vt_err_set(err, VT_E_IO, "store: connection lost");
    }
    return real_log->put(s, e, err);
}

/* The COMMIT ran, its answer was lost with the connection. */
static vt_status lost_end(vs_store *s, bool commit, vt_err *err)
{
    vt_status rc = real_log->end(s, commit, err);

    if (rc == VT_OK && commit && commit_answers_lost > 0) {
        commit_answers_lost--;
        s->lost_connections++;
        return vt_err_set(err, VT_E_IO, "store: connection lost at commit");
    }
    return rc;
}

static vs_store *wrap_sequencer_store(struct fx *f)
{
    vs_store *ss = vf_log_store(f->log);

    real_log = ss->log;
    lost_ops = *real_log;
    lost_ops.put = lost_put;
    lost_ops.end = lost_end;
    put_fails = commit_answers_lost = 0;
    put_fail_reconnects = true;
    ss->log = &lost_ops; /* before the append that follows: the sequencer reads it under the queue's lock */
    return ss;
}

static vt_status append_one(struct fx *f, uint64_t *idx, const char *ref, vt_err *err)
{
    vf_log_entry e = { .kind = "receipt", .ref = ref, .data = (const uint8_t *)ref, .len = strlen(ref) };
    return vf_log_append_many(f->log, idx, &e, 1, err);
}

/* A batch whose connection was lost is committed again on the new one: the append
 * succeeds, once; a COMMIT that ran but whose answer was lost does not log the entry
 * twice; a refusal (no reconnect) fails at once; a connection lost every time gives up. */
static void test_lost_connection_committed_again(void **state)
{
    struct fx *f = *state;
    vs_store *ss = wrap_sequencer_store(f);
    uint64_t idx = 99, found = 99;
    vt_err err = { 0 };

    put_fails = 1;
    if (append_one(f, &idx, "r-lost-once", &err) != VT_OK)
        fail_msg("append after one lost connection: %s", err.msg);
    assert_int_equal(idx, 0);
    assert_int_equal(put_fails, 0);
    assert_int_equal(log_size(f), 1);

    commit_answers_lost = 1;
    assert_int_equal(append_one(f, &idx, "r-commit-lost", &err), VT_OK);
    assert_int_equal(idx, 1);
    assert_int_equal(log_size(f), 2);
    assert_int_equal(append_one(f, &idx, "r-after", &err), VT_OK);
    assert_int_equal(idx, 2); /* not 3: the entry whose commit answer was lost is there once */
    assert_int_equal(f->st->log->find(f->st, &found, NULL, NULL, "receipt", "r-commit-lost", &err), VT_OK);
    assert_int_equal(found, 1);

    put_fails = 2;
    put_fail_reconnects = false; /* refused, the connection is fine: not tried again */
    assert_int_equal(append_one(f, &idx, "r-refused", &err), VT_E_IO);
    assert_int_equal(put_fails, 1);
    put_fails = 10;
    put_fail_reconnects = true; /* lost every time: a few tries, then the error */
    assert_int_equal(append_one(f, &idx, "r-always-lost", &err), VT_E_IO);
    assert_true(put_fails >= 10 - 4 && put_fails < 10 - 1);
    assert_non_null(strstr(err.msg, "connection lost"));
    put_fails = 0;
    assert_int_equal(log_size(f), 3);
    assert_int_equal(append_one(f, &idx, "r-back", &err), VT_OK);
    assert_int_equal(idx, 3);
    ss->log = real_log;
}

/* Polls until t was told (a hold that never ends hangs here: ctest's timeout is the failure). */
static void wait_told(struct told *t)
{
    for (int i = 0; i < 60000 && atomic_load(&t->calls) == 0; i++)
        usleep(1000);
    assert_int_equal(atomic_load(&t->calls), 1);
    assert_int_equal(t->rc, VT_OK);
}

/* verifier_log_commits_total{result="ok"} as rendered. */
static long commits_ok(vt_metrics *m)
{
    const char *key = "verifier_log_commits_total{result=\"ok\"} ";
    vt_buf b;
    const char *at;
    long n = -1;
    vt_err err = { 0 };

    vt_buf_init(&b);
    assert_int_equal(vt_metrics_render(&b, m, &err), VT_OK);
    assert_int_equal(vt_buf_terminate(&b, &err), VT_OK);
    at = strstr((const char *)b.data, key);
    if (at != NULL)
        n = strtol(at + strlen(key), NULL, 10);
    vt_buf_free(&b);
    return n;
}

/* The commit delay: a queued entry is held while an append is on its way (vf_log_expect)
 * and shares its commit; with nobody on the way, when the one on its way gives up, when a
 * batch is full, and when the log closes, nothing is held.  The delay is set to 1000 s so
 * that only these rules can end a hold. */
static void test_commit_delay_holds_for_coming(void **state)
{
    struct fx *f = *state;
    static struct told t1, t2, t3, t4;
    static char refs[64][16];
    vf_log_entry many[64];
    uint64_t idx = 0, idxs[64];
    vt_metrics *m = NULL;
    vt_err err = { 0 };

    memset(&t1, 0, sizeof(t1));
    memset(&t2, 0, sizeof(t2));
    memset(&t3, 0, sizeof(t3));
    memset(&t4, 0, sizeof(t4));
    assert_int_equal(vt_metrics_new(&m, &err), VT_OK);
    assert_int_equal(vf_log_metrics(f->log, m, &err), VT_OK);
    vf_log_set_commit_delay(f->log, 1000L * 1000 * 1000);

    /* nobody on the way: committed at once */
    assert_int_equal(append_one(f, &idx, "alone", &err), VT_OK);
    assert_int_equal(commits_ok(m), 1);

    /* one on its way: the first waits for the second, and they share a commit */
    vf_log_expect(f->log, +1);
    {
        vf_log_entry a = { .kind = "receipt", .ref = "first", .data = (const uint8_t *)"first", .len = 5 };
        vf_log_entry b = { .kind = "receipt", .ref = "second", .data = (const uint8_t *)"second", .len = 6 };
        assert_int_equal(vf_log_append_async(f->log, &a, 1, on_told, &t1, &err), VT_OK);
        usleep(50000);
        assert_int_equal(atomic_load(&t1.calls), 0); /* held */
        assert_int_equal(vf_log_append_async(f->log, &b, 1, on_told, &t2, &err), VT_OK);
    }
    vf_log_expect(f->log, -1);
    wait_told(&t1);
    wait_told(&t2);
    assert_int_equal(t1.index[0], 1);
    assert_int_equal(t2.index[0], 2);
    assert_int_equal(commits_ok(m), 2);

    /* the one on its way gives up: the held batch commits */
    vf_log_expect(f->log, +1);
    {
        vf_log_entry c = { .kind = "receipt", .ref = "third", .data = (const uint8_t *)"third", .len = 5 };
        assert_int_equal(vf_log_append_async(f->log, &c, 1, on_told, &t3, &err), VT_OK);
    }
    vf_log_expect(f->log, -1);
    wait_told(&t3);

    /* a full batch does not wait for those on their way */
    vf_log_expect(f->log, +1);
    for (int i = 0; i < 64; i++) {
        snprintf(refs[i], sizeof(refs[i]), "many-%d", i);
        many[i] = (vf_log_entry){ .kind = "receipt", .ref = refs[i], .data = (const uint8_t *)refs[i],
                                  .len = strlen(refs[i]) };
    }
    assert_int_equal(vf_log_append_many(f->log, idxs, many, 64, &err), VT_OK);
    assert_int_equal(idxs[63], 4 + 63);

    /* closing while a batch is held: it is committed, not lost */
    {
        vf_log_entry d = { .kind = "receipt", .ref = "last", .data = (const uint8_t *)"last", .len = 4 };
        assert_int_equal(vf_log_append_async(f->log, &d, 1, on_told, &t4, &err), VT_OK);
    }
    vf_log_close(f->log);
    f->log = NULL;
    assert_int_equal(atomic_load(&t4.calls), 1);
    assert_int_equal(t4.rc, VT_OK);
    assert_int_equal(t4.index[0], 68);
    assert_int_equal(log_size(f), 69);
    vt_metrics_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_row_and_entry_together, setup, teardown),
        cmocka_unit_test_setup_teardown(test_row_refused_nothing_logged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_one_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_leaf_lookup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_same_entry_twice, setup, teardown),
        cmocka_unit_test_setup_teardown(test_async_told_once_with_positions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_async_refused_told_with_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lost_connection_committed_again, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_delay_holds_for_coming, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
