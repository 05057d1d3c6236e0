/* SQLite backend: WAL, full fsync on commit (a passport returned to a client
 * survives a crash), busy timeout for the other workers, prepared statements.
 *
 * A passport row is inserted in the log sequencer's commit, with its log entry
 * (vf_log_passport_entry, on the sequencer's connection), so an issued
 * passport costs one shared fsync and one write transaction.  Challenges are
 * not stored: one process serves a SQLite database, and keeps them in memory
 * (verifier/challenges.h), so a passport costs no write of its own before
 * that commit.  Everything else (environments, the key broker, the log)
 * commits with a full fsync. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "verifier/store.h"

#define VS_SQLITE_CACHE_KIB_STR "2048" /* page cache per connection, KiB (SQLite's own default is 2000) */

static const char schema[] =
    /* revision: 1 at the first PUT, one more at each after (a database made before it had one gets
     * the column at open: env_revision_column) */
    "CREATE TABLE IF NOT EXISTS environments (id TEXT PRIMARY KEY, json TEXT NOT NULL, updated_at INTEGER NOT NULL,"
    " revision INTEGER NOT NULL DEFAULT 1);"
    "CREATE TABLE IF NOT EXISTS passports (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,"
    " environment TEXT NOT NULL, token TEXT NOT NULL, status TEXT NOT NULL, issued_at INTEGER NOT NULL,"
    " expires_at INTEGER NOT NULL, tee_type TEXT NOT NULL, hardware_attested INTEGER NOT NULL,"
    " measurement TEXT NOT NULL, components TEXT NOT NULL, platform_claims TEXT);"
    "CREATE INDEX IF NOT EXISTS passports_env ON passports(environment, issued_at DESC, seq DESC);"
    "CREATE TABLE IF NOT EXISTS kbs_resources (id TEXT PRIMARY KEY, json TEXT NOT NULL, updated_at INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS kbs_seen (nonce TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS kbs_seen_expiry ON kbs_seen(expires_at);"
    /* challenges are kept in memory now (verifier/challenges.h); a database made before that
     * loses their table, and its index with it */
    "DROP TABLE IF EXISTS challenges;";

enum {
    Q_ENV_PUT, Q_ENV_GET, Q_ENV_LIST, Q_P_PUT, Q_P_GET, Q_P_LIST_ENV,
    Q_P_LIST_ALL, Q_K_PUT, Q_K_GET, Q_K_LIST, Q_K_GC, Q_K_SEEN, Q_COUNT
};

#define P_COLS "id, environment, token, status, issued_at, expires_at, tee_type, hardware_attested, measurement," \
               " components, platform_claims"

static const char *const sql[Q_COUNT] = {
    [Q_ENV_PUT] = "INSERT INTO environments (id, json, updated_at, revision) VALUES (?1, ?2, ?3, 1)"
                  " ON CONFLICT(id) DO UPDATE SET json = excluded.json, updated_at = excluded.updated_at,"
                  " revision = environments.revision + 1 RETURNING revision",
    [Q_ENV_GET] = "SELECT json, revision FROM environments WHERE id = ?1",
    [Q_ENV_LIST] = "SELECT json FROM environments ORDER BY id",
    [Q_P_PUT] = "INSERT INTO passports (" P_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    [Q_P_GET] = "SELECT " P_COLS " FROM passports WHERE id = ?1",
    [Q_P_LIST_ENV] = "SELECT " P_COLS " FROM passports WHERE environment = ?1 ORDER BY issued_at DESC, seq DESC"
                     " LIMIT ?2",
    [Q_P_LIST_ALL] = "SELECT " P_COLS " FROM passports ORDER BY issued_at DESC, seq DESC LIMIT ?1",
    [Q_K_PUT] = "INSERT INTO kbs_resources (id, json, updated_at) VALUES (?1, ?2, ?3)"
                " ON CONFLICT(id) DO UPDATE SET json = excluded.json, updated_at = excluded.updated_at",
    [Q_K_GET] = "SELECT json FROM kbs_resources WHERE id = ?1",
    [Q_K_LIST] = "SELECT json FROM kbs_resources ORDER BY id",
    [Q_K_GC] = "DELETE FROM kbs_seen WHERE expires_at < ?1",
    [Q_K_SEEN] = "INSERT INTO kbs_seen (nonce, expires_at) VALUES (?1, ?2) ON CONFLICT(nonce) DO NOTHING",
};

/* The log (docs/log.md): entries, stored hashes in tlog order, the signed head. */
static const char log_schema[] =
    "CREATE TABLE IF NOT EXISTS log_entries (idx INTEGER PRIMARY KEY, kind TEXT NOT NULL, ref TEXT NOT NULL,"
    " leaf BLOB NOT NULL, data BLOB NOT NULL, UNIQUE (kind, ref));"
    /* Looked up by leaf hash (GET /v1/log/proof?hash=): leaf hashes are random, so each new
     * entry lands on a random page of this index.  Its first 8 bytes keep the index about a
     * third of the size of one on the whole hash (fewer pages, fewer of them written per
     * commit); the lookup compares the whole hash.  Databases made with the older index on
     * the whole hash get this one at open, then lose that one. */
    "CREATE INDEX IF NOT EXISTS log_entries_leaf8 ON log_entries(substr(leaf, 1, 8));"
    "DROP INDEX IF EXISTS log_entries_leaf;"
    "CREATE TABLE IF NOT EXISTS log_hashes (id INTEGER PRIMARY KEY, hash BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS log_head (one INTEGER PRIMARY KEY CHECK (one = 1), size INTEGER NOT NULL,"
    " checkpoint TEXT NOT NULL);";

enum { L_BEGIN, L_COMMIT, L_ROLLBACK, L_PUT, L_HASH_PUT, L_HEAD_PUT, L_HASH, L_HEAD, L_FIND, L_INDEX_OF, L_ENTRIES,
       L_COUNT };

static const char *const log_sql[L_COUNT] = {
    [L_BEGIN] = "BEGIN IMMEDIATE",
    [L_COMMIT] = "COMMIT",
    [L_ROLLBACK] = "ROLLBACK",
    [L_PUT] = "INSERT INTO log_entries (idx, kind, ref, leaf, data) VALUES (?1, ?2, ?3, ?4, ?5)",
    [L_HASH_PUT] = "INSERT INTO log_hashes (id, hash) VALUES (?1, ?2)",
    [L_HEAD_PUT] = ("INSERT INTO log_head (one, size, checkpoint) VALUES (1, ?1, ?2)"
                    " ON CONFLICT(one) DO UPDATE SET size = excluded.size, checkpoint = excluded.checkpoint"),
    [L_HASH] = "SELECT hash FROM log_hashes WHERE id = ?1",
    [L_HEAD] = "SELECT size, checkpoint FROM log_head WHERE one = 1",
    [L_FIND] = "SELECT idx, data FROM log_entries WHERE kind = ?1 AND ref = ?2",
    [L_INDEX_OF] = "SELECT idx FROM log_entries WHERE substr(leaf, 1, 8) = substr(?1, 1, 8) AND leaf = ?1"
                   " ORDER BY idx LIMIT 1",
    [L_ENTRIES] = "SELECT data FROM log_entries WHERE idx >= ?1 AND idx < ?2 ORDER BY idx",
};

struct lite {
    vs_store base;
    sqlite3 *db;
    sqlite3_stmt *st[Q_COUNT];
    sqlite3_stmt *lst[L_COUNT];
    vt_time kgc_after; /* the next sweep of expired key-release replay records (vs_sweep_due) */
};

static vt_status db_err(struct lite *l, vt_err *err, const char *what)
{
    return vt_err_set(err, VT_E_IO, "store: sqlite %s: %s", what, sqlite3_errmsg(l->db));
}

/* A prepared statement, reset and ready to bind. */
static sqlite3_stmt *q(struct lite *l, int i)
{
    sqlite3_reset(l->st[i]);
    sqlite3_clear_bindings(l->st[i]);
    return l->st[i];
}

static void lite_close(vs_store *s)
{
    struct lite *l = (struct lite *)s;

    for (int i = 0; i < Q_COUNT; i++)
        sqlite3_finalize(l->st[i]);
    for (int i = 0; i < L_COUNT; i++)
        sqlite3_finalize(l->lst[i]);
    sqlite3_close(l->db);
    free(l);
}

static vt_status lite_ping(vs_store *s, vt_err *err)
{
    struct lite *l = (struct lite *)s;
    sqlite3_stmt *st = q(l, Q_ENV_GET);
    int rc;

    sqlite3_bind_text(st, 1, "", -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? VT_OK : db_err(l, err, "ping");
}

/* id -> JSON tables (environments, key broker resources): qi is the statement, what names the table. */
static vt_status json_put(struct lite *l, int qi, const char *what, const char *id, const char *json, vt_time now,
                          vt_err *err)
{
    sqlite3_stmt *st = q(l, qi);
    int rc;

    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, json, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, now);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? VT_OK : db_err(l, err, what);
}

static vt_status json_get(struct lite *l, int qi, const char *what, char **json_out, const char *id, vt_err *err)
{
    sqlite3_stmt *st = q(l, qi);
    vt_status ret;
    int rc;

    *json_out = NULL;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *json_out = strdup((const char *)sqlite3_column_text(st, 0));
        ret = *json_out != NULL ? VT_OK : vt_err_set(err, VT_E_NOMEM, "store: out of memory");
    } else if (rc == SQLITE_DONE) {
        ret = vt_err_set(err, VT_E_NOTFOUND, "no %s '%s'", what, id);
    } else {
        ret = db_err(l, err, what);
    }
    sqlite3_reset(st);
    return ret;
}

static vt_status json_list(struct lite *l, int qi, const char *what, vt_status (*fn)(void *, const char *, vt_err *),
                           void *arg, vt_err *err)
{
    sqlite3_stmt *st = q(l, qi);
    vt_status ret = VT_OK;
    int rc;

    while ((rc = sqlite3_step(st)) == SQLITE_ROW && ret == VT_OK)
        ret = fn(arg, (const char *)sqlite3_column_text(st, 0), err);
    sqlite3_reset(st);
    if (ret == VT_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
        ret = db_err(l, err, what);
    return ret;
}

static vt_status lite_key_put(vs_store *s, const char *id, const char *json, vt_time now, vt_err *err)
{
    return json_put((struct lite *)s, Q_K_PUT, "resource upsert", id, json, now, err);
}

static vt_status lite_key_get(vs_store *s, char **json_out, const char *id, vt_err *err)
{
    return json_get((struct lite *)s, Q_K_GET, "resource", json_out, id, err);
}

static vt_status lite_key_list(vs_store *s, vt_status (*fn)(void *, const char *, vt_err *), void *arg, vt_err *err)
{
    return json_list((struct lite *)s, Q_K_LIST, "resource list", fn, arg, err);
}

static vt_status lite_key_seen(vs_store *s, bool *fresh_out, const char *nonce, vt_time expires, vt_time now,
                               vt_err *err)
{
    struct lite *l = (struct lite *)s;
    sqlite3_stmt *st;
    int rc;

    *fresh_out = false;
    if (vs_sweep_due(&l->kgc_after, now)) { /* a transaction (and an fsync) of its own, once a minute */
        st = q(l, Q_K_GC);
        sqlite3_bind_int64(st, 1, now);
        rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE)
            return db_err(l, err, "replay gc");
    }
    st = q(l, Q_K_SEEN);
    sqlite3_bind_text(st, 1, nonce, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, expires);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return db_err(l, err, "replay insert");
    *fresh_out = sqlite3_changes(l->db) == 1;
    return VT_OK;
}

static vt_status lite_env_put(vs_store *s, uint64_t *rev_out, const char *id, const char *json, vt_time now,
                              vt_err *err)
{
    struct lite *l = (struct lite *)s;
    sqlite3_stmt *st = q(l, Q_ENV_PUT);
    sqlite3_int64 rev = 0;
    int rc;

    if (rev_out != NULL)
        *rev_out = 0;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, json, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, now);
    rc = sqlite3_step(st); /* the upsert is made at this first step; its row is the new revision */
    if (rc == SQLITE_ROW) {
        rev = sqlite3_column_int64(st, 0);
        rc = sqlite3_step(st);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return db_err(l, err, "environment upsert");
    if (rev <= 0)
        return vt_err_set(err, VT_E_IO, "store: sqlite environment upsert: revision %lld", (long long)rev);
    if (rev_out != NULL)
        *rev_out = (uint64_t)rev;
    return VT_OK;
}

static vt_status lite_env_get(vs_store *s, char **json_out, uint64_t *rev_out, const char *id, vt_err *err)
{
    struct lite *l = (struct lite *)s;
    sqlite3_stmt *st = q(l, Q_ENV_GET);
    vt_status ret;
    int rc;

    *json_out = NULL;
    if (rev_out != NULL)
        *rev_out = 0;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_int64(st, 1) <= 0) {
        ret = vt_err_set(err, VT_E_IO, "store: environment '%s' has revision %lld", id,
                         (long long)sqlite3_column_int64(st, 1));
    } else if (rc == SQLITE_ROW) {
        *json_out = strdup((const char *)sqlite3_column_text(st, 0));
        ret = *json_out != NULL ? VT_OK : vt_err_set(err, VT_E_NOMEM, "store: out of memory");
        if (ret == VT_OK && rev_out != NULL)
            *rev_out = (uint64_t)sqlite3_column_int64(st, 1);
    } else if (rc == SQLITE_DONE) {
        ret = vt_err_set(err, VT_E_NOTFOUND, "no environment '%s'", id);
    } else {
        ret = db_err(l, err, "environment select");
    }
    sqlite3_reset(st);
    return ret;
}

static vt_status lite_env_list(vs_store *s, vt_status (*fn)(void *, const char *, vt_err *), void *arg, vt_err *err)
{
    struct lite *l = (struct lite *)s;
    sqlite3_stmt *st = q(l, Q_ENV_LIST);
    vt_status ret = VT_OK;
    int rc;

    while ((rc = sqlite3_step(st)) == SQLITE_ROW && ret == VT_OK)
        ret = fn(arg, (const char *)sqlite3_column_text(st, 0), err);
    sqlite3_reset(st);
    if (ret == VT_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
        ret = db_err(l, err, "environment list");
    return ret;
}

static vt_status lite_passport_put(vs_store *s, const vs_passport *p, vt_err *err)
{
    struct lite *l = (struct lite *)s;
    sqlite3_stmt *st = q(l, Q_P_PUT); /* on db: inside the log's open transaction when there is one */
    int rc;

    sqlite3_bind_text(st, 1, p->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, p->environment, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, p->token, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, p->status, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, p->issued_at);
    sqlite3_bind_int64(st, 6, p->expires_at);
    sqlite3_bind_text(st, 7, p->tee_type, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 8, p->hardware_attested ? 1 : 0);
    sqlite3_bind_text(st, 9, p->measurement, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 10, p->components != NULL ? p->components : "{}", -1, SQLITE_STATIC);
    if (p->platform_claims != NULL)
        sqlite3_bind_text(st, 11, p->platform_claims, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 11);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? VT_OK : db_err(l, err, "passport insert");
}

static char *col_dup(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t != NULL ? strdup((const char *)t) : NULL;
}

static void col_copy(char *out, size_t n, sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    snprintf(out, n, "%s", t != NULL ? (const char *)t : "");
}

static vt_status row(vs_passport *p, sqlite3_stmt *st, vt_err *err)
{
    memset(p, 0, sizeof(*p));
    col_copy(p->id, sizeof(p->id), st, 0);
    col_copy(p->environment, sizeof(p->environment), st, 1);
    p->token = col_dup(st, 2);
    col_copy(p->status, sizeof(p->status), st, 3);
    p->issued_at = sqlite3_column_int64(st, 4);
    p->expires_at = sqlite3_column_int64(st, 5);
    col_copy(p->tee_type, sizeof(p->tee_type), st, 6);
    p->hardware_attested = sqlite3_column_int(st, 7) != 0;
    col_copy(p->measurement, sizeof(p->measurement), st, 8);
    p->components = col_dup(st, 9);
    p->platform_claims = col_dup(st, 10);
    if (p->token == NULL || p->components == NULL) {
        vs_passport_clear(p);
        return vt_err_set(err, VT_E_NOMEM, "store: out of memory");
    }
    return VT_OK;
}

static vt_status lite_passport_get(vs_store *s, vs_passport *out, const char *id, vt_err *err)
{
    struct lite *l = (struct lite *)s;
    sqlite3_stmt *st = q(l, Q_P_GET);
    vt_status ret;
    int rc;

    memset(out, 0, sizeof(*out));
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        ret = row(out, st, err);
    else if (rc == SQLITE_DONE)
        ret = vt_err_set(err, VT_E_NOTFOUND, "no passport '%s'", id);
    else
        ret = db_err(l, err, "passport select");
    sqlite3_reset(st);
    return ret;
}

static vt_status lite_passport_list(vs_store *s, const char *env, size_t limit,
                                    vt_status (*fn)(void *, const vs_passport *, vt_err *), void *arg, vt_err *err)
{
    struct lite *l = (struct lite *)s;
    sqlite3_stmt *st;
    vt_status ret = VT_OK;
    int rc;

    if (env != NULL) {
        st = q(l, Q_P_LIST_ENV);
        sqlite3_bind_text(st, 1, env, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
    } else {
        st = q(l, Q_P_LIST_ALL);
        sqlite3_bind_int64(st, 1, (sqlite3_int64)limit);
    }
    while (ret == VT_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        vs_passport p;
        ret = row(&p, st, err);
        if (ret == VT_OK)
            ret = fn(arg, &p, err);
        vs_passport_clear(&p);
    }
    if (ret == VT_OK && rc != SQLITE_DONE)
        ret = db_err(l, err, "passport list");
    sqlite3_reset(st);
    return ret;
}

/* ---- the log ---- */

static sqlite3_stmt *lq(struct lite *l, int i)
{
    sqlite3_reset(l->lst[i]);
    sqlite3_clear_bindings(l->lst[i]);
    return l->lst[i];
}

/* Steps a statement that returns no row; VT_OK on SQLITE_DONE. */
static vt_status lite_exec(struct lite *l, sqlite3_stmt *st, const char *what, vt_err *err)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? VT_OK : db_err(l, err, what);
}

static vt_status lite_log_begin(vs_store *s, uint64_t *size_out, vt_err *err)
{
    struct lite *l = (struct lite *)s;
    sqlite3_stmt *st;
    vt_status rc = lite_exec(l, lq(l, L_BEGIN), "log begin", err);
    int r;

    *size_out = 0;
    if (rc != VT_OK)
        return rc;
    st = lq(l, L_HEAD);
    r = sqlite3_step(st);
    if (r == SQLITE_ROW)
        *size_out = (uint64_t)sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (r != SQLITE_ROW && r != SQLITE_DONE) {
        rc = db_err(l, err, "log head");
        (void)lite_exec(l, lq(l, L_ROLLBACK), "log rollback", NULL);
    }
    return rc;
}

static vt_status lite_log_end(vs_store *s, bool commit, vt_err *err)
{
    struct lite *l = (struct lite *)s;
    vt_status rc = lite_exec(l, lq(l, commit ? L_COMMIT : L_ROLLBACK), commit ? "log commit" : "log rollback", err);

    if (rc != VT_OK && commit)
        (void)lite_exec(l, lq(l, L_ROLLBACK), "log rollback", NULL);
    return rc;
}

static vt_status lite_log_put(vs_store *s, const vs_log_put *e, vt_err *err)
{
    struct lite *l = (struct lite *)s;
    sqlite3_stmt *st = lq(l, L_PUT);
    vt_status rc;

    if (e->passport != NULL) {
        rc = lite_passport_put(s, e->passport, err);
        if (rc != VT_OK)
            return rc;
    }
    sqlite3_bind_int64(st, 1, (sqlite3_int64)e->index);
    sqlite3_bind_text(st, 2, e->kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, e->ref, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 4, e->leaf, 32, SQLITE_STATIC);
    sqlite3_bind_blob(st, 5, e->data, (int)e->len, SQLITE_STATIC);
    rc = lite_exec(l, st, "log entry insert", err);
    for (size_t i = 0; i < e->count && rc == VT_OK; i++) {
        st = lq(l, L_HASH_PUT);
        sqlite3_bind_int64(st, 1, (sqlite3_int64)(e->first + i));
        sqlite3_bind_blob(st, 2, e->hashes[i], 32, SQLITE_STATIC);
        rc = lite_exec(l, st, "log hash insert", err);
    }
    return rc;
}

static vt_status lite_log_set_head(vs_store *s, uint64_t size, const char *checkpoint, vt_err *err)
{
    struct lite *l = (struct lite *)s;
    sqlite3_stmt *st = lq(l, L_HEAD_PUT);

    sqlite3_bind_int64(st, 1, (sqlite3_int64)size);
    sqlite3_bind_text(st, 2, checkpoint, -1, SQLITE_STATIC);
    return lite_exec(l, st, "log head update", err);
}

static vt_status lite_log_hash(vs_store *s, uint8_t out[32], uint64_t id, vt_err *err)
{
    struct lite *l = (struct lite *)s;
    sqlite3_stmt *st = lq(l, L_HASH);
    vt_status rc;
    int r;

    sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
    r = sqlite3_step(st);
    if (r == SQLITE_ROW && sqlite3_column_bytes(st, 0) == 32) {
        memcpy(out, sqlite3_column_blob(st, 0), 32);
        rc = VT_OK;
    } else if (r == SQLITE_ROW || r == SQLITE_DONE) {
        rc = vt_err_set(err, VT_E_NOTFOUND, "store: no log hash %llu", (unsigned long long)id);
    } else {
        rc = db_err(l, err, "log hash select");
    }
    sqlite3_reset(st);
    return rc;
}

static vt_status lite_log_head(vs_store *s, uint64_t *size_out, char **checkpoint_out, vt_err *err)
{
    struct lite *l = (struct lite *)s;
    sqlite3_stmt *st = lq(l, L_HEAD);
    vt_status rc = VT_OK;
    int r;

    *size_out = 0;
    *checkpoint_out = NULL;
    r = sqlite3_step(st);
    if (r == SQLITE_ROW) {
        *size_out = (uint64_t)sqlite3_column_int64(st, 0);
        *checkpoint_out = col_dup(st, 1);
        if (*checkpoint_out == NULL)
            rc = vt_err_set(err, VT_E_NOMEM, "store: out of memory");
    } else if (r != SQLITE_DONE) {
        rc = db_err(l, err, "log head select");
    }
    sqlite3_reset(st);
    return rc;
}

static vt_status lite_log_find(vs_store *s, uint64_t *index_out, char **data_out, size_t *len_out, const char *kind,
                               const char *ref, vt_err *err)
{
    struct lite *l = (struct lite *)s;
    sqlite3_stmt *st = lq(l, L_FIND);
    vt_status rc = VT_OK;
    int r;

    *index_out = 0;
    if (data_out != NULL) {
        *data_out = NULL;
        *len_out = 0;
    }
    sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, ref, -1, SQLITE_STATIC);
    r = sqlite3_step(st);
    if (r == SQLITE_ROW) {
        *index_out = (uint64_t)sqlite3_column_int64(st, 0);
        if (data_out != NULL) {
            size_t n = (size_t)sqlite3_column_bytes(st, 1);
            *data_out = malloc(n + 1);
            if (*data_out == NULL) {
                rc = vt_err_set(err, VT_E_NOMEM, "store: out of memory");
            } else {
                if (n > 0)
                    memcpy(*data_out, sqlite3_column_blob(st, 1), n);
                (*data_out)[n] = '\0';
                *len_out = n;
            }
        }
    } else if (r == SQLITE_DONE) {
        rc = vt_err_set(err, VT_E_NOTFOUND, "no %s '%.64s' in the log", kind, ref);
    } else {
        rc = db_err(l, err, "log entry select");
    }
    sqlite3_reset(st);
    return rc;
}

static vt_status lite_log_find_many(vs_store *s, size_t n, const char *const *kind, const char *const *ref,
                                    bool *found, uint64_t *index, vt_err *err)
{
    for (size_t i = 0; i < n; i++) {
        vt_status rc = lite_log_find(s, &index[i], NULL, NULL, kind[i], ref[i], err);
        found[i] = rc == VT_OK;
        if (rc != VT_OK && rc != VT_E_NOTFOUND)
            return rc;
    }
    return VT_OK; /* err may name an entry not found: not a failure here */
}

static vt_status lite_log_index_of(vs_store *s, uint64_t *index_out, const uint8_t leaf[32], vt_err *err)
{
    struct lite *l = (struct lite *)s;
    sqlite3_stmt *st = lq(l, L_INDEX_OF);
    vt_status rc = VT_OK;
    int r;

    *index_out = 0;
    sqlite3_bind_blob(st, 1, leaf, 32, SQLITE_STATIC);
    r = sqlite3_step(st);
    if (r == SQLITE_ROW)
        *index_out = (uint64_t)sqlite3_column_int64(st, 0);
    else if (r == SQLITE_DONE)
        rc = vt_err_set(err, VT_E_NOTFOUND, "no log entry with that leaf hash");
    else
        rc = db_err(l, err, "log leaf select");
    sqlite3_reset(st);
    return rc;
}

static vt_status lite_log_entries(vs_store *s, uint64_t first, unsigned count,
                                  vt_status (*fn)(void *, const uint8_t *, size_t, vt_err *), void *arg, vt_err *err)
{
    struct lite *l = (struct lite *)s;
    sqlite3_stmt *st = lq(l, L_ENTRIES);
    vt_status rc = VT_OK;
    unsigned n = 0;
    int r = SQLITE_DONE;

    sqlite3_bind_int64(st, 1, (sqlite3_int64)first);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)(first + count));
    while (rc == VT_OK && (r = sqlite3_step(st)) == SQLITE_ROW) {
        rc = fn(arg, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), err);
        n++;
    }
    if (rc == VT_OK && r != SQLITE_DONE)
        rc = db_err(l, err, "log entries select");
    if (rc == VT_OK && n != count)
        rc = vt_err_set(err, VT_E_NOTFOUND, "store: %u of %u log entries", n, count);
    sqlite3_reset(st);
    return rc;
}

static const struct vs_log_ops lite_log_ops = {
    .begin = lite_log_begin,
    .end = lite_log_end,
    .put = lite_log_put,
    .set_head = lite_log_set_head,
    .hash = lite_log_hash,
    .head = lite_log_head,
    .find = lite_log_find,
    .find_many = lite_log_find_many,
    .index_of = lite_log_index_of,
    .entries = lite_log_entries,
};

static const struct vs_key_ops lite_key_ops = {
    .put = lite_key_put,
    .get = lite_key_get,
    .list = lite_key_list,
    .seen = lite_key_seen,
};

static const struct vs_ops lite_ops = {
    .close = lite_close,
    .ping = lite_ping,
    /* no challenges: a SQLite verifier keeps them in memory (verifier/challenges.h) */
    .env_put = lite_env_put,
    .env_get = lite_env_get,
    .env_list = lite_env_list,
    .passport_put = lite_passport_put,
    .passport_get = lite_passport_get,
    .passport_list = lite_passport_list,
};

/* The database is created 0600 before SQLite opens it: SQLite gives its -wal
 * and -shm files the database file's mode, so they are 0600 too.  Files left
 * wider by an older version are tightened.
 *
 * A database that exists is never opened here: SQLite's locks are POSIX locks,
 * and closing any descriptor of the file drops every lock this process holds
 * on it, the shared lock of each connection already open included.  Without
 * it another process (an operator's sqlite3 shell, a backup) takes the
 * database for unused, and its close checkpoints and resets the WAL under the
 * verifier.  Only a file made here, under create_mu (every connection of this
 * process opens through it), is opened and closed. */
static pthread_mutex_t create_mu = PTHREAD_MUTEX_INITIALIZER;

static vt_status private_files(const char *path, vt_err *err)
{
    static const char *const sfx[] = { "-wal", "-shm", "-journal" };
    struct stat st;
    char p[4200];
    int fd;

    if (strcmp(path, ":memory:") == 0 || strncmp(path, "file:", 5) == 0)
        return VT_OK;
    if (lstat(path, &st) != 0 && errno == ENOENT) {
        fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd >= 0)
            close(fd); /* nothing else had it open: it did not exist */
        else if (errno != EEXIST)
            return vt_err_set(err, VT_E_IO, "store: cannot create %s: %s", path, strerror(errno));
    }
    if (lstat(path, &st) != 0)
        return vt_err_set(err, VT_E_IO, "store: cannot stat %s: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return vt_err_set(err, VT_E_IO, "store: %s is not a regular file", path);
    if ((st.st_mode & 0777) != 0600 && chmod(path, 0600) != 0)
        return vt_err_set(err, VT_E_IO, "store: cannot chmod 600 %s: %s", path, strerror(errno));
    for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++)
        if (snprintf(p, sizeof(p), "%s%s", path, sfx[i]) < (int)sizeof(p) && chmod(p, 0600) != 0 && errno != ENOENT)
            return vt_err_set(err, VT_E_IO, "store: cannot chmod 600 %s: %s", p, strerror(errno));
    return VT_OK;
}

/* A database made before environments had a revision gets the column, each environment at
 * revision 1 (it was put once at least).  In a write transaction of its own: connections opening
 * together add it once. */
static vt_status env_revision_column(struct lite *l, const char *path, vt_err *err)
{
    sqlite3_stmt *st = NULL;
    char *msg = NULL;
    int rc, has = 0;
    vt_status ret;

    if (sqlite3_exec(l->db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK)
        goto fail;
    rc = sqlite3_prepare_v2(l->db, "SELECT count(*) FROM pragma_table_info('environments') WHERE name = 'revision'",
                            -1, &st, NULL);
    if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        has = sqlite3_column_int(st, 0);
    else
        rc = SQLITE_ERROR;
    sqlite3_finalize(st);
    if (rc != SQLITE_OK ||
        (has == 0 && sqlite3_exec(l->db, "ALTER TABLE environments ADD COLUMN revision INTEGER NOT NULL DEFAULT 1",
                                  NULL, NULL, &msg) != SQLITE_OK) ||
        sqlite3_exec(l->db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK)
        goto fail;
    return VT_OK;
fail:
    ret = vt_err_set(err, VT_E_IO, "store: %s: environments' revision: %s", path,
                     msg != NULL ? msg : sqlite3_errmsg(l->db));
    sqlite3_free(msg);
    sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
    return ret;
}

vt_status vs_sqlite_open(vs_store **out, const char *path, vt_err *err)
{
    struct lite *l;
    char *msg = NULL;
    vt_status rc = VT_E_INTERNAL;

    *out = NULL;
    l = calloc(1, sizeof(*l));
    if (l == NULL)
        return vt_err_set(err, VT_E_NOMEM, "store: out of memory");
    l->base.ops = &lite_ops;
    l->base.log = &lite_log_ops;
    l->base.keys = &lite_key_ops;
    l->base.backend = "sqlite";
    pthread_mutex_lock(&create_mu);
    rc = private_files(path, err);
    if (rc == VT_OK && sqlite3_open_v2(path, &l->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                       NULL) != SQLITE_OK)
        rc = vt_err_set(err, VT_E_IO, "store: cannot open %s: %s", path,
                        l->db != NULL ? sqlite3_errmsg(l->db) : "out of memory");
    pthread_mutex_unlock(&create_mu);
    if (rc != VT_OK)
        goto fail;
    sqlite3_busy_timeout(l->db, 5000);
    /* cache_size: each connection (one per worker thread) keeps at most this many
     * KiB of database pages: the verifier's memory bound for SQLite (docs/operations.md). */
    if (sqlite3_exec(l->db,
                     "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; "
                     "PRAGMA cache_size=-" VS_SQLITE_CACHE_KIB_STR ";",
                     NULL, NULL,
                     &msg) != SQLITE_OK ||
        sqlite3_exec(l->db, schema, NULL, NULL, &msg) != SQLITE_OK ||
        sqlite3_exec(l->db, log_schema, NULL, NULL, &msg) != SQLITE_OK) {
        rc = vt_err_set(err, VT_E_IO, "store: %s: %s", path, msg != NULL ? msg : sqlite3_errmsg(l->db));
        sqlite3_free(msg);
        goto fail;
    }
    rc = env_revision_column(l, path, err);
    if (rc != VT_OK)
        goto fail;
    for (int i = 0; i < Q_COUNT; i++)
        if (sqlite3_prepare_v3(l->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &l->st[i], NULL) != SQLITE_OK) {
            rc = db_err(l, err, "prepare");
            goto fail;
        }
    for (int i = 0; i < L_COUNT; i++)
        if (sqlite3_prepare_v3(l->db, log_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &l->lst[i], NULL) != SQLITE_OK) {
            rc = db_err(l, err, "prepare");
            goto fail;
        }
    *out = &l->base;
    return VT_OK;
fail:
    lite_close(&l->base);
    return rc;
}
