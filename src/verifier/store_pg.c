/* PostgreSQL backend: the same schema, so several verifier processes can
 * serve one deployment.  Statements are prepared once per connection. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "veritee/http.h"
#include "verifier/store.h"
#include "veritee/tlog.h"

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS challenge_key (one INTEGER PRIMARY KEY CHECK (one = 1), key BYTEA NOT NULL);"
    "CREATE TABLE IF NOT EXISTS challenges_taken (tag BYTEA PRIMARY KEY, expires_at BIGINT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS challenges_taken_expiry ON challenges_taken(expires_at);"
    /* revision: 1 at the first PUT, one more at each after; a database made before it had one gets
     * the column, each environment at revision 1 (it was put once at least) */
    "CREATE TABLE IF NOT EXISTS environments (id TEXT PRIMARY KEY, json TEXT NOT NULL, updated_at BIGINT NOT NULL,"
    " revision BIGINT NOT NULL DEFAULT 1);"
    "ALTER TABLE environments ADD COLUMN IF NOT EXISTS revision BIGINT NOT NULL DEFAULT 1;"
    "CREATE TABLE IF NOT EXISTS kbs_resources (id TEXT PRIMARY KEY, json TEXT NOT NULL, updated_at BIGINT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS kbs_seen (nonce TEXT PRIMARY KEY, expires_at BIGINT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS kbs_seen_expiry ON kbs_seen(expires_at);"
    "CREATE TABLE IF NOT EXISTS passports (seq BIGSERIAL PRIMARY KEY, id TEXT NOT NULL UNIQUE,"
    " environment TEXT NOT NULL, token TEXT NOT NULL, status TEXT NOT NULL, issued_at BIGINT NOT NULL,"
    " expires_at BIGINT NOT NULL, tee_type TEXT NOT NULL, hardware_attested BOOLEAN NOT NULL,"
    " measurement TEXT NOT NULL, components TEXT NOT NULL, platform_claims TEXT);"
    "CREATE INDEX IF NOT EXISTS passports_env ON passports(environment, issued_at DESC, seq DESC);";

/* The log (docs/log.md); appends are serialized by a transaction-scoped advisory lock. */
static const char log_schema[] =
    "CREATE TABLE IF NOT EXISTS log_entries (idx BIGINT PRIMARY KEY, kind TEXT NOT NULL, ref TEXT NOT NULL,"
    " leaf BYTEA NOT NULL, data BYTEA NOT NULL, UNIQUE (kind, ref));"
    "CREATE INDEX IF NOT EXISTS log_entries_leaf ON log_entries(leaf);"
    "CREATE TABLE IF NOT EXISTS log_hashes (id BIGINT PRIMARY KEY, hash BYTEA NOT NULL);"
    "CREATE TABLE IF NOT EXISTS log_head (one INTEGER PRIMARY KEY CHECK (one = 1), size BIGINT NOT NULL,"
    " checkpoint TEXT NOT NULL);";
#define LOG_LOCK_KEY "7365420002"

#define P_COLS "id, environment, token, status, issued_at, expires_at, tee_type, hardware_attested, measurement," \
               " components, platform_claims"

/* A log entry ($1..$5) and its stored hashes ($6: the first one's id, $7: count * 32 bytes):
 * the tail of a WITH statement. */
#define L_PUT_ENTRY_AND_HASHES                                                                                     \
    "e AS (INSERT INTO log_entries (idx, kind, ref, leaf, data) VALUES ($1::bigint, $2, $3, $4::bytea, $5::bytea))" \
    " INSERT INTO log_hashes (id, hash) SELECT $6::bigint + g, substring($7::bytea FROM g * 32 + 1 FOR 32)"       \
    " FROM generate_series(0, length($7::bytea) / 32 - 1) AS g"

static const struct {
    const char *name;
    const char *sql;
} stmts[] = {
    { "ch_key_put", "INSERT INTO challenge_key (one, key) VALUES (1, decode($1, 'hex')) ON CONFLICT (one) DO NOTHING" },
    { "ch_key_get", "SELECT encode(key, 'hex') FROM challenge_key WHERE one = 1" },
    { "ch_gc", "DELETE FROM challenges_taken WHERE expires_at <= $1::bigint" },
    /* set_config(..., true) holds for this statement's own transaction: its commit does not
     * wait for the WAL flush (pg_challenge_spend says why that is enough) */
    { "ch_spend", "WITH async AS (SELECT set_config('synchronous_commit', 'off', true))"
                  " INSERT INTO challenges_taken (tag, expires_at) SELECT decode($1, 'hex'), $2::bigint FROM async"
                  " ON CONFLICT (tag) DO NOTHING" },
    /* the row is locked by the upsert: replicas putting the same environment together count both */
    { "env_put", "INSERT INTO environments (id, json, updated_at, revision) VALUES ($1, $2, $3::bigint, 1)"
                 " ON CONFLICT (id) DO UPDATE SET json = EXCLUDED.json, updated_at = EXCLUDED.updated_at,"
                 " revision = environments.revision + 1 RETURNING revision" },
    { "env_get", "SELECT json, revision FROM environments WHERE id = $1" },
    { "env_list", "SELECT json FROM environments ORDER BY id" },
    { "k_put", "INSERT INTO kbs_resources (id, json, updated_at) VALUES ($1, $2, $3::bigint)"
               " ON CONFLICT (id) DO UPDATE SET json = EXCLUDED.json, updated_at = EXCLUDED.updated_at" },
    { "k_get", "SELECT json FROM kbs_resources WHERE id = $1" },
    { "k_list", "SELECT json FROM kbs_resources ORDER BY id" },
    { "k_gc", "DELETE FROM kbs_seen WHERE expires_at < $1::bigint" },
    { "k_seen", "INSERT INTO kbs_seen (nonce, expires_at) VALUES ($1, $2::bigint) ON CONFLICT (nonce) DO NOTHING" },
    { "p_put", "INSERT INTO passports (" P_COLS ") VALUES ($1, $2, $3, $4, $5::bigint, $6::bigint, $7,"
               " $8::boolean, $9, $10, $11)" },
    { "p_get", "SELECT " P_COLS " FROM passports WHERE id = $1" },
    { "p_list_env", "SELECT " P_COLS " FROM passports WHERE environment = $1 ORDER BY issued_at DESC, seq DESC"
                    " LIMIT $2::bigint" },
    { "p_list_all", "SELECT " P_COLS " FROM passports ORDER BY issued_at DESC, seq DESC LIMIT $1::bigint" },
    /* the entry and its stored hashes ($7: count * 32 bytes) in one statement, one round trip */
    { "l_put", "WITH " L_PUT_ENTRY_AND_HASHES },
    /* the same with a passport's row ($8..$18, as p_put's $1..$11) */
    { "l_put_p", "WITH pp AS (INSERT INTO passports (" P_COLS ") VALUES ($8, $9, $10, $11, $12::bigint,"
                 " $13::bigint, $14, $15::boolean, $16, $17, $18)), " L_PUT_ENTRY_AND_HASHES },
    { "l_head_put", "INSERT INTO log_head (one, size, checkpoint) VALUES (1, $1::bigint, $2)"
                    " ON CONFLICT (one) DO UPDATE SET size = EXCLUDED.size, checkpoint = EXCLUDED.checkpoint" },
    { "l_hash", "SELECT hash FROM log_hashes WHERE id = $1::bigint" },
    { "l_head", "SELECT size::text, checkpoint FROM log_head WHERE one = 1" },
    { "l_find", "SELECT idx::text, data FROM log_entries WHERE kind = $1 AND ref = $2" },
    { "l_find_many", "SELECT q.i::text, e.idx::text FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS q(k, r, i)"
                     " JOIN log_entries e ON e.kind = q.k AND e.ref = q.r" },
    { "l_index_of", "SELECT idx::text FROM log_entries WHERE leaf = $1::bytea ORDER BY idx LIMIT 1" },
    { "l_entries", "SELECT data FROM log_entries WHERE idx >= $1::bigint AND idx < $2::bigint ORDER BY idx" },
};

struct pg {
    vs_store base;
    PGconn *c;
    bool in_tx;       /* inside the log's BEGIN .. COMMIT: a lost connection is not retried */
    vt_time gc_after;  /* the next sweep of expired taken challenges (vs_sweep_due) */
    vt_time kgc_after; /* and of expired key-release replay records */
};

/*
 * A lost connection (the server restarted, failed over, or a proxy closed it) is
 * reconnected, with the statements prepared again (they belong to the session),
 * rather than failing every later request.  Outside a transaction the statement
 * that found it lost is run once more on the new connection.  Usually it had not
 * run (the server was gone before it arrived); if it had, a second run of a
 * non-idempotent statement fails cleanly (a duplicate nonce or passport id, a
 * challenge already spent) rather than doing anything twice.  Inside the log's
 * transaction it fails (the transaction is gone), is counted in lost_connections,
 * and the log commits its batch again (log.c).
 */
static bool prepare_all(struct pg *p, PGresult **failed)
{
    for (size_t i = 0; i < sizeof(stmts) / sizeof(stmts[0]); i++) {
        PGresult *r = PQprepare(p->c, stmts[i].name, stmts[i].sql, 0, NULL);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            *failed = r;
            return false;
        }
        PQclear(r);
    }
    return true;
}

static bool reconnect(struct pg *p)
{
    PGresult *r = NULL;
    bool ok;

    p->in_tx = false;
    PQreset(p->c);
    ok = PQstatus(p->c) == CONNECTION_OK && prepare_all(p, &r);
    PQclear(r);
    vt_metrics_inc(atomic_load(&p->base.metrics), "verifier_store_reconnects_total",
                   ok ? "result=\"ok\"" : "result=\"failed\"", 1);
    return ok;
}

/* *r failed because the connection is lost (and is not in a transaction): reconnected,
 * and *r cleared for the statement's second run.  When the connection cannot be reopened
 * *r stays, with its error for the caller. */
static bool lost_and_back(struct pg *p, PGresult **r)
{
    if (PQresultStatus(*r) != PGRES_FATAL_ERROR || PQstatus(p->c) != CONNECTION_BAD || p->in_tx || !reconnect(p))
        return false;
    PQclear(*r);
    *r = NULL;
    return true;
}

static vt_status pg_fail(struct pg *p, PGresult *r, vt_err *err, const char *what)
{
    vt_status rc = vt_err_set(err, VT_E_IO, "store: postgres %s: %s", what,
                              r != NULL ? PQresultErrorMessage(r) : PQerrorMessage(p->c));
    PQclear(r);
    if (PQstatus(p->c) == CONNECTION_BAD && reconnect(p)) /* ready for the next request */
        p->base.lost_connections++;
    return rc;
}

/* A prepared statement, run once more on a new connection when the first found it lost. */
static PGresult *prepared(struct pg *p, const char *name, int n, const char *const *vals, const int *lens,
                          const int *fmts, int result_fmt)
{
    PGresult *r = PQexecPrepared(p->c, name, n, vals, lens, fmts, result_fmt);

    if (lost_and_back(p, &r))
        r = PQexecPrepared(p->c, name, n, vals, lens, fmts, result_fmt);
    return r;
}

/* Text parameters and results. */
static PGresult *run(struct pg *p, const char *name, int n, const char *const *vals)
{
    return prepared(p, name, n, vals, NULL, NULL, 0);
}

/* A statement without parameters. */
static PGresult *exec_sql(struct pg *p, const char *sql)
{
    PGresult *r = PQexec(p->c, sql);

    if (lost_and_back(p, &r))
        r = PQexec(p->c, sql);
    return r;
}

static void pg_close(vs_store *s)
{
    struct pg *p = (struct pg *)s;
    PQfinish(p->c);
    free(p);
}

static vt_status pg_ping(vs_store *s, vt_err *err)
{
    struct pg *p = (struct pg *)s;
    PGresult *r = exec_sql(p, "SELECT 1");

    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        return pg_fail(p, r, err, "ping");
    PQclear(r);
    return VT_OK;
}

static void i64(char out[24], int64_t v)
{
    snprintf(out, 24, "%" PRId64, v);
}

/* The replicas' shared challenge key: the first replica's random one (kept in the database,
 * which every replica trusts with its passports anyway). */
static vt_status pg_challenge_key(vs_store *s, uint8_t key[VS_CHALLENGE_KEY_LEN], vt_err *err)
{
    struct pg *p = (struct pg *)s;
    uint8_t mine[VS_CHALLENGE_KEY_LEN];
    char hex[2 * VS_CHALLENGE_KEY_LEN + 1];
    const char *v[1] = { hex };
    PGresult *r;
    vt_status rc = vt_random(mine, sizeof(mine), err);

    if (rc != VT_OK)
        return rc;
    vt_hex_encode(hex, mine, sizeof(mine));
    vt_wipe(mine, sizeof(mine));
    r = run(p, "ch_key_put", 1, v); /* kept only by the first */
    vt_wipe(hex, sizeof(hex));
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        return pg_fail(p, r, err, "challenge key");
    PQclear(r);
    r = run(p, "ch_key_get", 0, NULL);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        return pg_fail(p, r, err, "challenge key");
    rc = PQntuples(r) == 1 ? vt_hex_decode(key, VS_CHALLENGE_KEY_LEN, PQgetvalue(r, 0, 0), strlen(PQgetvalue(r, 0, 0)), err)
                           : vt_err_set(err, VT_E_FORMAT, "store: postgres challenge key missing");
    vt_wipe(PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0));
    PQclear(r);
    return rc;
}

/*
 * A nonce taken: its tag goes in once, until it expires.  One round trip, whose commit does
 * not wait for the WAL flush: a crash of the database server may forget the last moment's
 * takes, and such a nonce may then be presented once more within its lifetime, which yields
 * only another passport for the same evidence and the same cnf key (docs/verifier.md).
 */
static vt_status pg_challenge_spend(vs_store *s, bool *fresh, const uint8_t tag[VS_CHALLENGE_TAG_LEN],
                                    vt_time expires, vt_time now, vt_err *err)
{
    struct pg *p = (struct pg *)s;
    char a[24], hex[2 * VS_CHALLENGE_TAG_LEN + 1];
    const char *v[2] = { hex, a };
    PGresult *r;

    *fresh = false;
    if (vs_sweep_due(&p->gc_after, now)) { /* a transaction of its own, once a minute */
        i64(a, now);
        PQclear(run(p, "ch_gc", 1, v + 1));
    }
    vt_hex_encode(hex, tag, VS_CHALLENGE_TAG_LEN);
    i64(a, expires);
    r = run(p, "ch_spend", 2, v);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        return pg_fail(p, r, err, "challenge spend");
    *fresh = strcmp(PQcmdTuples(r), "1") == 0;
    PQclear(r);
    return VT_OK;
}

/* A revision column's text as the server sent it: 1..INT64_MAX, else 0. */
static uint64_t revision_of(const char *s)
{
    char *end = NULL;
    long long v;

    errno = 0;
    v = strtoll(s, &end, 10);
    return errno == 0 && end != s && *end == '\0' && v > 0 ? (uint64_t)v : 0;
}

static vt_status pg_env_put(vs_store *s, uint64_t *rev_out, const char *id, const char *json, vt_time now,
                            vt_err *err)
{
    struct pg *p = (struct pg *)s;
    char a[24];
    const char *v[3] = { id, json, a };
    PGresult *r;
    uint64_t rev;

    if (rev_out != NULL)
        *rev_out = 0;
    i64(a, now);
    r = run(p, "env_put", 3, v);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        return pg_fail(p, r, err, "environment upsert");
    rev = PQntuples(r) == 1 ? revision_of(PQgetvalue(r, 0, 0)) : 0;
    PQclear(r);
    if (rev == 0)
        return vt_err_set(err, VT_E_IO, "store: postgres environment upsert: no revision");
    if (rev_out != NULL)
        *rev_out = rev;
    return VT_OK;
}

static vt_status pg_env_get(vs_store *s, char **json_out, uint64_t *rev_out, const char *id, vt_err *err)
{
    struct pg *p = (struct pg *)s;
    const char *v[1] = { id };
    PGresult *r = run(p, "env_get", 1, v);
    vt_status rc = VT_OK;
    uint64_t rev = 0;

    *json_out = NULL;
    if (rev_out != NULL)
        *rev_out = 0;
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        return pg_fail(p, r, err, "environment select");
    if (PQntuples(r) == 0) {
        rc = vt_err_set(err, VT_E_NOTFOUND, "no environment '%s'", id);
    } else {
        rev = revision_of(PQgetvalue(r, 0, 1));
        if (rev == 0)
            rc = vt_err_set(err, VT_E_IO, "store: environment '%s' has revision %.24s", id, PQgetvalue(r, 0, 1));
    }
    if (rc == VT_OK) {
        *json_out = strdup(PQgetvalue(r, 0, 0));
        if (*json_out == NULL)
            rc = vt_err_set(err, VT_E_NOMEM, "store: out of memory");
    }
    if (rc == VT_OK && rev_out != NULL)
        *rev_out = rev;
    PQclear(r);
    return rc;
}

static vt_status pg_env_list(vs_store *s, vt_status (*fn)(void *, const char *, vt_err *), void *arg, vt_err *err)
{
    struct pg *p = (struct pg *)s;
    PGresult *r = run(p, "env_list", 0, NULL);
    vt_status rc = VT_OK;

    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        return pg_fail(p, r, err, "environment list");
    for (int i = 0; i < PQntuples(r) && rc == VT_OK; i++)
        rc = fn(arg, PQgetvalue(r, i, 0), err);
    PQclear(r);
    return rc;
}

/* A passport row as the 11 text parameters of p_put (and of l_put_p from $8); a and b hold
 * the times' digits. */
#define PASSPORT_PARAMS 11
static void passport_params(const char **v, char a[24], char b[24], const vs_passport *ps)
{
    i64(a, ps->issued_at);
    i64(b, ps->expires_at);
    v[0] = ps->id;
    v[1] = ps->environment;
    v[2] = ps->token;
    v[3] = ps->status;
    v[4] = a;
    v[5] = b;
    v[6] = ps->tee_type;
    v[7] = ps->hardware_attested ? "true" : "false";
    v[8] = ps->measurement;
    v[9] = ps->components != NULL ? ps->components : "{}";
    v[10] = ps->platform_claims;
}

static vt_status pg_passport_put(vs_store *s, const vs_passport *ps, vt_err *err)
{
    struct pg *p = (struct pg *)s;
    char a[24], b[24];
    const char *v[PASSPORT_PARAMS];
    PGresult *r;

    passport_params(v, a, b, ps);
    r = run(p, "p_put", PASSPORT_PARAMS, v);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        return pg_fail(p, r, err, "passport insert");
    PQclear(r);
    return VT_OK;
}

static vt_status row(vs_passport *o, PGresult *r, int i, vt_err *err)
{
    memset(o, 0, sizeof(*o));
    snprintf(o->id, sizeof(o->id), "%s", PQgetvalue(r, i, 0));
    snprintf(o->environment, sizeof(o->environment), "%s", PQgetvalue(r, i, 1));
    o->token = strdup(PQgetvalue(r, i, 2));
    snprintf(o->status, sizeof(o->status), "%s", PQgetvalue(r, i, 3));
    o->issued_at = strtoll(PQgetvalue(r, i, 4), NULL, 10);
    o->expires_at = strtoll(PQgetvalue(r, i, 5), NULL, 10);
    snprintf(o->tee_type, sizeof(o->tee_type), "%s", PQgetvalue(r, i, 6));
    o->hardware_attested = PQgetvalue(r, i, 7)[0] == 't';
    snprintf(o->measurement, sizeof(o->measurement), "%s", PQgetvalue(r, i, 8));
    o->components = strdup(PQgetvalue(r, i, 9));
    if (!PQgetisnull(r, i, 10))
        o->platform_claims = strdup(PQgetvalue(r, i, 10));
    if (o->token == NULL || o->components == NULL) {
        vs_passport_clear(o);
        return vt_err_set(err, VT_E_NOMEM, "store: out of memory");
    }
    return VT_OK;
}

static vt_status pg_passport_get(vs_store *s, vs_passport *out, const char *id, vt_err *err)
{
    struct pg *p = (struct pg *)s;
    const char *v[1] = { id };
    PGresult *r = run(p, "p_get", 1, v);
    vt_status rc;

    memset(out, 0, sizeof(*out));
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        return pg_fail(p, r, err, "passport select");
    rc = PQntuples(r) == 0 ? vt_err_set(err, VT_E_NOTFOUND, "no passport '%s'", id) : row(out, r, 0, err);
    PQclear(r);
    return rc;
}

static vt_status pg_passport_list(vs_store *s, const char *env, size_t limit,
                                  vt_status (*fn)(void *, const vs_passport *, vt_err *), void *arg, vt_err *err)
{
    struct pg *p = (struct pg *)s;
    char a[24];
    const char *v[2];
    PGresult *r;
    vt_status rc = VT_OK;

    i64(a, (int64_t)limit);
    if (env != NULL) {
        v[0] = env;
        v[1] = a;
        r = run(p, "p_list_env", 2, v);
    } else {
        v[0] = a;
        r = run(p, "p_list_all", 1, v);
    }
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        return pg_fail(p, r, err, "passport list");
    for (int i = 0; i < PQntuples(r) && rc == VT_OK; i++) {
        vs_passport ps;
        rc = row(&ps, r, i, err);
        if (rc == VT_OK)
            rc = fn(arg, &ps, err);
        vs_passport_clear(&ps);
    }
    PQclear(r);
    return rc;
}

/* ---- the log ---- */

/* A prepared statement with text parameters except those with lens[i] > 0 (binary bytea);
 * results in binary (bytea raw, text columns as their bytes). */
static PGresult *runb(struct pg *p, const char *name, int n, const char *const *vals, const int *lens)
{
    int fmt[24] = { 0 };

    for (int i = 0; i < n && i < 24; i++)
        fmt[i] = lens != NULL && lens[i] > 0 ? 1 : 0;
    return prepared(p, name, n, vals, lens, fmt, 1);
}

/* A decimal column read in binary format of a ::text cast. */
static uint64_t col_u64(PGresult *r, int row, int col)
{
    char num[24];
    int n = PQgetlength(r, row, col);

    if (n <= 0 || n >= (int)sizeof(num))
        return 0;
    memcpy(num, PQgetvalue(r, row, col), (size_t)n);
    num[n] = '\0';
    return strtoull(num, NULL, 10);
}

static vt_status pg_log_begin(vs_store *s, uint64_t *size_out, vt_err *err)
{
    struct pg *p = (struct pg *)s;
    PGresult *r = exec_sql(p, "BEGIN");

    *size_out = 0;
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        return pg_fail(p, r, err, "log begin");
    PQclear(r);
    p->in_tx = true;
    /* One sequencer at a time across every replica; released at COMMIT/ROLLBACK. */
    r = PQexec(p->c, "SELECT pg_advisory_xact_lock(" LOG_LOCK_KEY ")");
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        goto fail;
    PQclear(r);
    r = runb(p, "l_head", 0, NULL, NULL);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        goto fail;
    if (PQntuples(r) == 1)
        *size_out = col_u64(r, 0, 0);
    PQclear(r);
    return VT_OK;
fail:
    {
        vt_status rc;
        PQclear(PQexec(p->c, "ROLLBACK"));
        p->in_tx = false;
        rc = pg_fail(p, r, err, "log begin");
        return rc;
    }
}

static vt_status pg_log_end(vs_store *s, bool commit, vt_err *err)
{
    struct pg *p = (struct pg *)s;
    PGresult *r = PQexec(p->c, commit ? "COMMIT" : "ROLLBACK");

    p->in_tx = false;
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        vt_status rc;
        PQclear(PQexec(p->c, "ROLLBACK"));
        rc = pg_fail(p, r, err, commit ? "log commit" : "log rollback");
        return rc;
    }
    /* A failed COMMIT reports COMMAND_OK with the tag ROLLBACK. */
    if (commit && strcmp(PQcmdStatus(r), "COMMIT") != 0) {
        PQclear(r);
        return vt_err_set(err, VT_E_IO, "store: postgres log commit rolled back");
    }
    PQclear(r);
    return VT_OK;
}

static vt_status pg_log_put(vs_store *s, const vs_log_put *e, vt_err *err)
{
    struct pg *p = (struct pg *)s;
    char a[24], b[24], pa[24], pb[24];
    const char *v[7 + PASSPORT_PARAMS] = { a, e->kind, e->ref, (const char *)e->leaf, (const char *)e->data, b,
                                           (const char *)e->hashes };
    int l[7 + PASSPORT_PARAMS] = { 0, 0, 0, 32, (int)e->len, 0, (int)(e->count * 32) };
    PGresult *r;

    if (e->count == 0 || e->count > VT_TLOG_STORED_MAX)
        return vt_err_set(err, VT_E_INTERNAL, "store: log entry without its stored hashes");
    i64(a, (int64_t)e->index);
    i64(b, (int64_t)e->first);
    if (e->len == 0) {
        v[4] = "\\x"; /* text form of the empty bytea */
        l[4] = 0;
    }
    if (e->passport != NULL)
        passport_params(&v[7], pa, pb, e->passport);
    r = runb(p, e->passport != NULL ? "l_put_p" : "l_put", e->passport != NULL ? 7 + PASSPORT_PARAMS : 7, v, l);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        const char *table = PQresultErrorField(r, PG_DIAG_TABLE_NAME);
        return pg_fail(p, r, err, table != NULL && strcmp(table, "passports") == 0 ? "passport insert"
                                                                                  : "log entry insert");
    }
    PQclear(r);
    return VT_OK;
}

static vt_status pg_log_set_head(vs_store *s, uint64_t size, const char *checkpoint, vt_err *err)
{
    struct pg *p = (struct pg *)s;
    char a[24];
    const char *v[2] = { a, checkpoint };
    PGresult *r;

    i64(a, (int64_t)size);
    r = runb(p, "l_head_put", 2, v, NULL);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        return pg_fail(p, r, err, "log head update");
    PQclear(r);
    return VT_OK;
}

static vt_status pg_log_hash(vs_store *s, uint8_t out[32], uint64_t id, vt_err *err)
{
    struct pg *p = (struct pg *)s;
    char a[24];
    const char *v[1] = { a };
    PGresult *r;
    vt_status rc = VT_OK;

    i64(a, (int64_t)id);
    r = runb(p, "l_hash", 1, v, NULL);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        return pg_fail(p, r, err, "log hash select");
    if (PQntuples(r) == 1 && PQgetlength(r, 0, 0) == 32)
        memcpy(out, PQgetvalue(r, 0, 0), 32);
    else
        rc = vt_err_set(err, VT_E_NOTFOUND, "store: no log hash %llu", (unsigned long long)id);
    PQclear(r);
    return rc;
}

static vt_status pg_log_head(vs_store *s, uint64_t *size_out, char **checkpoint_out, vt_err *err)
{
    struct pg *p = (struct pg *)s;
    PGresult *r = runb(p, "l_head", 0, NULL, NULL);
    vt_status rc = VT_OK;

    *size_out = 0;
    *checkpoint_out = NULL;
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        return pg_fail(p, r, err, "log head select");
    if (PQntuples(r) == 1) {
        *size_out = col_u64(r, 0, 0);
        *checkpoint_out = strndup(PQgetvalue(r, 0, 1), (size_t)PQgetlength(r, 0, 1));
        if (*checkpoint_out == NULL)
            rc = vt_err_set(err, VT_E_NOMEM, "store: out of memory");
    }
    PQclear(r);
    return rc;
}

static vt_status pg_log_find(vs_store *s, uint64_t *index_out, char **data_out, size_t *len_out, const char *kind,
                             const char *ref, vt_err *err)
{
    struct pg *p = (struct pg *)s;
    const char *v[2] = { kind, ref };
    PGresult *r = runb(p, "l_find", 2, v, NULL);
    vt_status rc = VT_OK;

    *index_out = 0;
    if (data_out != NULL) {
        *data_out = NULL;
        *len_out = 0;
    }
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        return pg_fail(p, r, err, "log entry select");
    if (PQntuples(r) != 1) {
        rc = vt_err_set(err, VT_E_NOTFOUND, "no %s '%.64s' in the log", kind, ref);
    } else {
        *index_out = col_u64(r, 0, 0);
        if (data_out != NULL) {
            size_t n = (size_t)PQgetlength(r, 0, 1);
            *data_out = malloc(n + 1);
            if (*data_out == NULL) {
                rc = vt_err_set(err, VT_E_NOMEM, "store: out of memory");
            } else {
                memcpy(*data_out, PQgetvalue(r, 0, 1), n);
                (*data_out)[n] = '\0';
                *len_out = n;
            }
        }
    }
    PQclear(r);
    return rc;
}

/* strs as a PostgreSQL array literal of quoted elements ("\\" and "\"" escaped). */
static vt_status text_array(vt_buf *out, size_t n, const char *const *strs, vt_err *err)
{
    vt_status rc = vt_buf_append(out, "{", 1, err);

    for (size_t i = 0; i < n && rc == VT_OK; i++) {
        rc = vt_buf_append(out, i > 0 ? ",\"" : "\"", i > 0 ? 2 : 1, err);
        for (const char *c = strs[i]; *c != '\0' && rc == VT_OK; c++) {
            if (*c == '"' || *c == '\\')
                rc = vt_buf_append(out, "\\", 1, err);
            if (rc == VT_OK)
                rc = vt_buf_append(out, c, 1, err);
        }
        if (rc == VT_OK)
            rc = vt_buf_append(out, "\"", 1, err);
    }
    if (rc == VT_OK)
        rc = vt_buf_append(out, "}", 1, err);
    if (rc == VT_OK)
        rc = vt_buf_terminate(out, err);
    return rc;
}

static vt_status pg_log_find_many(vs_store *s, size_t n, const char *const *kind, const char *const *ref, bool *found,
                                  uint64_t *index, vt_err *err)
{
    struct pg *p = (struct pg *)s;
    vt_buf ka, ra;
    PGresult *r = NULL;
    vt_status rc;

    memset(found, 0, n * sizeof(*found));
    if (n == 0)
        return VT_OK;
    vt_buf_init(&ka);
    vt_buf_init(&ra);
    rc = text_array(&ka, n, kind, err);
    if (rc == VT_OK)
        rc = text_array(&ra, n, ref, err);
    if (rc == VT_OK) {
        const char *v[2] = { (const char *)ka.data, (const char *)ra.data };
        r = runb(p, "l_find_many", 2, v, NULL);
        if (PQresultStatus(r) != PGRES_TUPLES_OK) {
            rc = pg_fail(p, r, err, "log entries select");
            r = NULL;
        }
    }
    for (int row = 0; rc == VT_OK && row < PQntuples(r); row++) {
        uint64_t i = col_u64(r, row, 0);
        if (i >= 1 && i <= n) {
            found[i - 1] = true;
            index[i - 1] = col_u64(r, row, 1);
        }
    }
    PQclear(r);
    vt_buf_free(&ka);
    vt_buf_free(&ra);
    return rc;
}

static vt_status pg_log_index_of(vs_store *s, uint64_t *index_out, const uint8_t leaf[32], vt_err *err)
{
    struct pg *p = (struct pg *)s;
    const char *v[1] = { (const char *)leaf };
    int l[1] = { 32 };
    PGresult *r = runb(p, "l_index_of", 1, v, l);
    vt_status rc = VT_OK;

    *index_out = 0;
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        return pg_fail(p, r, err, "log leaf select");
    if (PQntuples(r) == 1)
        *index_out = col_u64(r, 0, 0);
    else
        rc = vt_err_set(err, VT_E_NOTFOUND, "no log entry with that leaf hash");
    PQclear(r);
    return rc;
}

static vt_status pg_log_entries(vs_store *s, uint64_t first, unsigned count,
                                vt_status (*fn)(void *, const uint8_t *, size_t, vt_err *), void *arg, vt_err *err)
{
    struct pg *p = (struct pg *)s;
    char a[24], b[24];
    const char *v[2] = { a, b };
    PGresult *r;
    vt_status rc = VT_OK;

    i64(a, (int64_t)first);
    i64(b, (int64_t)(first + count));
    r = runb(p, "l_entries", 2, v, NULL);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        return pg_fail(p, r, err, "log entries select");
    if ((unsigned)PQntuples(r) != count)
        rc = vt_err_set(err, VT_E_NOTFOUND, "store: %d of %u log entries", PQntuples(r), count);
    for (int i = 0; i < PQntuples(r) && rc == VT_OK; i++)
        rc = fn(arg, (const uint8_t *)PQgetvalue(r, i, 0), (size_t)PQgetlength(r, i, 0), err);
    PQclear(r);
    return rc;
}

static const struct vs_log_ops pg_log_ops = {
    .begin = pg_log_begin,
    .end = pg_log_end,
    .put = pg_log_put,
    .set_head = pg_log_set_head,
    .hash = pg_log_hash,
    .head = pg_log_head,
    .find = pg_log_find,
    .find_many = pg_log_find_many,
    .index_of = pg_log_index_of,
    .entries = pg_log_entries,
};

/* ---- key broker (docs/keys.md) ---- */

static vt_status pg_key_put(vs_store *s, const char *id, const char *json, vt_time now, vt_err *err)
{
    struct pg *p = (struct pg *)s;
    char a[24];
    const char *v[3] = { id, json, a };
    PGresult *r;

    i64(a, now);
    r = run(p, "k_put", 3, v);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        return pg_fail(p, r, err, "resource upsert");
    PQclear(r);
    return VT_OK;
}

static vt_status pg_key_get(vs_store *s, char **json_out, const char *id, vt_err *err)
{
    struct pg *p = (struct pg *)s;
    const char *v[1] = { id };
    PGresult *r = run(p, "k_get", 1, v);
    vt_status rc = VT_OK;

    *json_out = NULL;
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        return pg_fail(p, r, err, "resource select");
    if (PQntuples(r) == 0)
        rc = vt_err_set(err, VT_E_NOTFOUND, "no resource '%s'", id);
    else if ((*json_out = strdup(PQgetvalue(r, 0, 0))) == NULL)
        rc = vt_err_set(err, VT_E_NOMEM, "store: out of memory");
    PQclear(r);
    return rc;
}

static vt_status pg_key_list(vs_store *s, vt_status (*fn)(void *, const char *, vt_err *), void *arg, vt_err *err)
{
    struct pg *p = (struct pg *)s;
    PGresult *r = run(p, "k_list", 0, NULL);
    vt_status rc = VT_OK;

    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        return pg_fail(p, r, err, "resource list");
    for (int i = 0; i < PQntuples(r) && rc == VT_OK; i++)
        rc = fn(arg, PQgetvalue(r, i, 0), err);
    PQclear(r);
    return rc;
}

static vt_status pg_key_seen(vs_store *s, bool *fresh_out, const char *nonce, vt_time expires, vt_time now,
                             vt_err *err)
{
    struct pg *p = (struct pg *)s;
    char a[24], b[24];
    const char *gc[1] = { a };
    const char *v[2] = { nonce, b };
    PGresult *r;

    *fresh_out = false;
    i64(a, now);
    i64(b, expires);
    if (vs_sweep_due(&p->kgc_after, now)) { /* a transaction of its own, once a minute */
        r = run(p, "k_gc", 1, gc);
        if (PQresultStatus(r) != PGRES_COMMAND_OK)
            return pg_fail(p, r, err, "replay gc");
        PQclear(r);
    }
    r = run(p, "k_seen", 2, v);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        return pg_fail(p, r, err, "replay insert");
    *fresh_out = strcmp(PQcmdTuples(r), "1") == 0;
    PQclear(r);
    return VT_OK;
}

static const struct vs_key_ops pg_key_ops = {
    .put = pg_key_put,
    .get = pg_key_get,
    .list = pg_key_list,
    .seen = pg_key_seen,
};

static const struct vs_ops pg_ops = {
    .close = pg_close,
    .ping = pg_ping,
    .challenge_key = pg_challenge_key,
    .challenge_spend = pg_challenge_spend,
    .env_put = pg_env_put,
    .env_get = pg_env_get,
    .env_list = pg_env_list,
    .passport_put = pg_passport_put,
    .passport_get = pg_passport_get,
    .passport_list = pg_passport_list,
};

vt_status vs_pg_open(vs_store **out, const char *conninfo, vt_err *err)
{
    struct pg *p;
    PGresult *r;
    vt_status rc = VT_E_INTERNAL;

    *out = NULL;
    p = calloc(1, sizeof(*p));
    if (p == NULL)
        return vt_err_set(err, VT_E_NOMEM, "store: out of memory");
    p->base.ops = &pg_ops;
    p->base.log = &pg_log_ops;
    p->base.keys = &pg_key_ops;
    p->base.backend = "postgres";
    p->c = PQconnectdb(conninfo);
    if (p->c == NULL || PQstatus(p->c) != CONNECTION_OK) {
        /* libpq's message may name the host but never the password. */
        rc = vt_err_set(err, VT_E_IO, "store: cannot connect to PostgreSQL: %s",
                        p->c != NULL ? PQerrorMessage(p->c) : "out of memory");
        goto fail;
    }
    /* Serialized so that replicas starting together do not race on CREATE. */
    r = PQexec(p->c, "SELECT pg_advisory_lock(7365420001)");
    PQclear(r);
    r = PQexec(p->c, schema);
    if (PQresultStatus(r) == PGRES_COMMAND_OK) {
        PQclear(r);
        r = PQexec(p->c, log_schema);
    }
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        rc = pg_fail(p, r, err, "schema");
        PQclear(PQexec(p->c, "SELECT pg_advisory_unlock(7365420001)"));
        goto fail;
    }
    PQclear(r);
    PQclear(PQexec(p->c, "SELECT pg_advisory_unlock(7365420001)"));
    if (!prepare_all(p, &r)) {
        rc = pg_fail(p, r, err, "prepare");
        goto fail;
    }
    *out = &p->base;
    return VT_OK;
fail:
    pg_close(&p->base);
    return rc;
}
