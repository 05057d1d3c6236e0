/* The PostgreSQL store against a real server: $VERITEE_TEST_PG_URL, a database of the
 * throwaway cluster tests/e2e/test_verifier_pg.sh starts (exit 77, skipped, without it).
 * The log's batch lookup passes its kinds and ids as array literals: any id comes back
 * byte for byte.  A passport's row goes in with its entry, or neither does.  A connection
 * lost inside the log's transaction fails that transaction whole (nothing of it is
 * committed) and the next one runs on a new connection; a statement outside it that finds
 * its connection lost runs again, once.  Challenges: every
 * replica gets the same key; a tag is taken once; expired ones are swept at most once a
 * minute; key releases' replay records as store_cases.h says. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "vt_test.h"

#include "verifier/log.h"
#include "verifier/store.h"

#include "store_cases.h"

static const char *url;
static char dbname[64]; /* url's database */

/* A side connection to the cluster's "postgres" database: it works while the store's
 * database refuses connections (a database cannot refuse them while connected to itself). */
static PGconn *side_connect(void)
{
    const char *const keys[] = { "dbname", "dbname", NULL }, *const vals[] = { url, "postgres", NULL };
    PGconn *c = PQconnectdbParams(keys, vals, 1); /* url's parameters, another database */

    if (PQstatus(c) != CONNECTION_OK)
        fail_msg("side connection: %s", PQerrorMessage(c));
    return c;
}

/* ALTER DATABASE <the store's> <what>, on a side connection. */
static void alter_database(const char *what)
{
    PGconn *c = side_connect();
    char *id = PQescapeIdentifier(c, dbname, strlen(dbname)), sql[256];
    PGresult *r;

    snprintf(sql, sizeof(sql), "ALTER DATABASE %s %s", id, what);
    PQfreemem(id);
    r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        fail_msg("%s: %s", sql, PQresultErrorMessage(r));
    PQclear(r);
    PQfinish(c);
}

/* Terminates every backend of the store's database and waits until they are gone, so the
 * store's next statement finds its connection closed (as after a failover). */
static void terminate_others(void)
{
    PGconn *c = side_connect();
    const char *v[1] = { dbname };
    PGresult *r;
    int left = -1;

    r = PQexecParams(c, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1", 1, NULL,
                     v, NULL, NULL, 0);
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    assert_true(atoi(PQgetvalue(r, 0, 0)) >= 1);
    PQclear(r);
    for (int i = 0; i < 200 && left != 0; i++) {
        r = PQexecParams(c, "SELECT count(*) FROM pg_stat_activity WHERE datname = $1", 1, NULL, v, NULL, NULL, 0);
        left = PQresultStatus(r) == PGRES_TUPLES_OK ? atoi(PQgetvalue(r, 0, 0)) : -1;
        PQclear(r);
        if (left != 0)
            usleep(10000);
    }
    assert_int_equal(left, 0);
    PQfinish(c);
}

static vs_store *open_store(void)
{
    vs_store *s = NULL;
    vt_err err = { 0 };

    if (vs_open(&s, url, &err) != VT_OK)
        fail_msg("open %s: %s", url, err.msg);
    return s;
}

/* Ids with every character an array literal treats specially, appended through the
 * sequencer (whose batch lookup builds the literals), then appended again: each is found
 * at its own position and nothing is logged twice; ids that are not logged are not found. */
static void test_array_literals_exact(void **state)
{
    static const char *const refs[] = { "q\"uote", "back\\slash", "end\\", "com,ma", "{brace}", "sp ace",
                                        "NULL", "", "\"", "\\\"", "a}b{c", "\xc3\xbcnicode" };
    static const char *const absent[] = { "quote", "backslash", "end", "com", "ma", "NULL ", "x" };
    enum { N = sizeof(refs) / sizeof(refs[0]), A = sizeof(absent) / sizeof(absent[0]) };
    char dir[4096];
    vf_log *l = NULL;
    vs_store *s = open_store();
    vf_log_entry e[N];
    char data[N][32];
    uint64_t idx[N], again[N], index[N + A];
    const char *kind[N + A], *ref[N + A];
    bool found[N + A];
    vt_err err = { 0 };

    (void)state;
    vt_test_mkdtemp(dir, sizeof(dir));
    if (vf_log_open(&l, url, dir, "test.example/log", NULL, &err) != VT_OK)
        fail_msg("log: %s", err.msg);
    for (size_t i = 0; i < N; i++) {
        snprintf(data[i], sizeof(data[i]), "entry %zu", i);
        e[i] = (vf_log_entry){ .kind = "receipt", .ref = refs[i], .data = (const uint8_t *)data[i],
                               .len = strlen(data[i]) };
    }
    if (vf_log_append_many(l, idx, e, N, &err) != VT_OK)
        fail_msg("append: %s", err.msg);
    if (vf_log_append_many(l, again, e, N, &err) != VT_OK)
        fail_msg("append again: %s", err.msg);
    for (size_t i = 0; i < N; i++) {
        assert_int_equal(again[i], idx[i]);
        assert_int_equal(idx[i], idx[0] + i);
    }
    for (size_t i = 0; i < N + A; i++) {
        kind[i] = "receipt";
        ref[i] = i < N ? refs[i] : absent[i - N];
    }
    kind[0] = "passport"; /* the pair is what is looked up */
    assert_int_equal(s->log->find_many(s, N + A, kind, ref, found, index, &err), VT_OK);
    assert_false(found[0]);
    for (size_t i = 1; i < N; i++) {
        assert_true(found[i]);
        assert_int_equal(index[i], idx[i]);
    }
    for (size_t i = N; i < N + A; i++)
        assert_false(found[i]);
    vf_log_close(l);
    vs_close(s);
    vt_test_rmdir(dir);
}

/* A passport's row is stored by the statement that logs its entry (one round trip): both
 * are there after the append; a row the database refuses (its id exists) fails the append
 * as "passport insert" and leaves no entry. */
static void test_passport_row_with_entry(void **state)
{
    char dir[4096], tok1[] = "aaaa.bbbb.cccc", tok2[] = "dddd.eeee.ffff";
    vf_log *l = NULL;
    vs_store *s = open_store();
    vs_passport r, got;
    vf_log_entry e;
    uint64_t idx = 0, at = 0;
    vt_err err = { 0 };

    (void)state;
    memset(&r, 0, sizeof(r));
    memset(&got, 0, sizeof(got));
    snprintf(r.id, sizeof(r.id), "pass-pg-row");
    snprintf(r.environment, sizeof(r.environment), "env-test");
    snprintf(r.status, sizeof(r.status), "affirming");
    snprintf(r.tee_type, sizeof(r.tee_type), "mock");
    snprintf(r.measurement, sizeof(r.measurement), "mrtd:00");
    r.issued_at = 1000;
    r.expires_at = 2000;
    r.token = tok1;
    vt_test_mkdtemp(dir, sizeof(dir));
    if (vf_log_open(&l, url, dir, "test.example/log", NULL, &err) != VT_OK)
        fail_msg("log: %s", err.msg);
    e = vf_log_passport_entry(&r);
    if (vf_log_append_many(l, &idx, &e, 1, &err) != VT_OK)
        fail_msg("append: %s", err.msg);
    assert_int_equal(s->ops->passport_get(s, &got, "pass-pg-row", &err), VT_OK);
    assert_string_equal(got.token, tok1);
    assert_int_equal(got.issued_at, 1000);
    vs_passport_clear(&got);
    assert_int_equal(s->log->find(s, &at, NULL, NULL, "passport", "pass-pg-row", &err), VT_OK);
    assert_int_equal(at, idx);

    snprintf(r.id, sizeof(r.id), "pass-pg-dup");
    assert_int_equal(s->ops->passport_put(s, &r, &err), VT_OK);
    r.token = tok2;
    e = vf_log_passport_entry(&r);
    assert_int_not_equal(vf_log_append_many(l, &idx, &e, 1, &err), VT_OK);
    assert_non_null(strstr(err.msg, "passport insert"));
    assert_int_equal(s->log->find(s, &at, NULL, NULL, "passport", "pass-pg-dup", NULL), VT_E_NOTFOUND);
    vf_log_close(l);
    vs_close(s);
    vt_test_rmdir(dir);
}

/* Lost between BEGIN and COMMIT: that statement fails, the store reconnects, and nothing
 * of the transaction is committed; the next transaction runs on the new connection. */
static void test_lost_inside_transaction(void **state)
{
    vs_store *s = open_store();
    uint64_t size = 0, size2 = 0, at = 0;
    uint8_t leaf[32] = { 1 }, hashes[1][32] = { { 1 } };
    unsigned long r0 = s->lost_connections;
    char *cp = NULL;
    vt_err err = { 0 };
    vs_log_put e = { .kind = "receipt", .ref = "lost-in-tx", .data = (const uint8_t *)"x", .len = 1,
                     .leaf = leaf, .hashes = (const uint8_t(*)[32])hashes, .count = 1 };

    (void)state;
    assert_int_equal(s->log->begin(s, &size, &err), VT_OK);
    e.index = size;
    e.first = vt_tlog_stored_index(0, size);
    terminate_others();
    assert_int_equal(s->log->put(s, &e, &err), VT_E_IO);
    assert_int_equal(s->lost_connections, r0 + 1);
    (void)s->log->end(s, false, NULL);
    assert_int_equal(s->log->find(s, &at, NULL, NULL, "receipt", "lost-in-tx", &err), VT_E_NOTFOUND);
    assert_int_equal(s->log->head(s, &size2, &cp, &err), VT_OK);
    assert_int_equal(size2, size);
    free(cp);
    /* the next transaction, on the new connection, commits */
    assert_int_equal(s->log->begin(s, &size2, &err), VT_OK);
    assert_int_equal(size2, size);
    assert_int_equal(s->log->put(s, &e, &err), VT_OK);
    assert_int_equal(s->log->end(s, true, &err), VT_OK);
    assert_int_equal(s->log->find(s, &at, NULL, NULL, "receipt", "lost-in-tx", &err), VT_OK);
    assert_int_equal(at, size);
    assert_int_equal(s->lost_connections, r0 + 1);
    vs_close(s);
}

/* Outside a transaction the statement that finds its connection lost runs again on a new
 * one: the caller sees no error, and it is not counted as a failure.  When the connection
 * cannot be reopened (the database refuses connections) the statement fails with the
 * error of its first run, and the next statement, once the database is back, reconnects. */
static void test_lost_outside_transaction(void **state)
{
    vs_store *s = open_store();
    unsigned long r0 = s->lost_connections;
    vt_time now = vt_time_now();
    uint8_t a[VS_CHALLENGE_TAG_LEN], b[VS_CHALLENGE_TAG_LEN];
    bool fresh = false;
    vt_err err = { 0 };

    (void)state;
    memset(a, 0xa1, sizeof(a));
    memset(b, 0xb2, sizeof(b));
    assert_int_equal(s->ops->ping(s, &err), VT_OK);
    terminate_others();
    if (s->ops->challenge_spend(s, &fresh, a, now + 60, now, &err) != VT_OK)
        fail_msg("challenge after the connection was lost: %s", err.msg);
    assert_true(fresh);
    terminate_others();
    assert_int_equal(s->ops->challenge_spend(s, &fresh, a, now + 60, now, &err), VT_OK);
    assert_false(fresh); /* recorded once, and found by the statement's second run */
    assert_int_equal(s->lost_connections, r0);

    alter_database("ALLOW_CONNECTIONS false");
    terminate_others();
    assert_int_equal(s->ops->challenge_spend(s, &fresh, b, now + 60, now, &err), VT_E_IO);
    assert_non_null(strstr(err.msg, "challenge spend"));
    alter_database("ALLOW_CONNECTIONS true");
    if (s->ops->challenge_spend(s, &fresh, b, now + 60, now, &err) != VT_OK)
        fail_msg("challenge once the database is back: %s", err.msg);
    assert_true(fresh);
    vs_close(s);
}

/* ---- challenges (shared by replicas: the key and the taken tags in the database) ---- */

static bool spend(vs_store *s, uint8_t byte, vt_time expires, vt_time now)
{
    uint8_t tag[VS_CHALLENGE_TAG_LEN];
    bool fresh = false;
    vt_err err = { 0 };

    memset(tag, byte, sizeof(tag));
    if (s->ops->challenge_spend(s, &fresh, tag, expires, now, &err) != VT_OK)
        fail_msg("challenge spend: %s", err.msg);
    return fresh;
}

/* Rows of taken tags made of these bytes (others' tags share the table). */
static int taken_rows(const uint8_t *bytes, int n)
{
    PGconn *c = PQconnectdb(url);
    int rows = 0;

    for (int i = 0; i < n; i++) {
        char hex[2 * VS_CHALLENGE_TAG_LEN + 1];
        const char *v[1] = { hex };
        uint8_t tag[VS_CHALLENGE_TAG_LEN];
        PGresult *r;
        memset(tag, bytes[i], sizeof(tag));
        vt_hex_encode(hex, tag, sizeof(tag));
        r = PQexecParams(c, "SELECT count(*) FROM challenges_taken WHERE tag = decode($1, 'hex')", 1, NULL, v, NULL,
                         NULL, 0);
        assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
        rows += atoi(PQgetvalue(r, 0, 0));
        PQclear(r);
    }
    PQfinish(c);
    return rows;
}

/* Every replica gets the same key: the first one's. */
static void test_challenge_key_shared(void **state)
{
    vs_store *a = open_store(), *b = open_store();
    uint8_t ka[VS_CHALLENGE_KEY_LEN], kb[VS_CHALLENGE_KEY_LEN], zero[VS_CHALLENGE_KEY_LEN] = { 0 };
    vt_err err = { 0 };
    (void)state;

    assert_int_equal(a->ops->challenge_key(a, ka, &err), VT_OK);
    assert_int_equal(b->ops->challenge_key(b, kb, &err), VT_OK);
    assert_memory_equal(ka, kb, sizeof(ka));
    assert_memory_not_equal(ka, zero, sizeof(ka));
    vs_close(a);
    vs_close(b);
    a = open_store();
    assert_int_equal(a->ops->challenge_key(a, kb, &err), VT_OK);
    assert_memory_equal(ka, kb, sizeof(ka)); /* and after a restart */
    vs_close(a);
}

/* A tag is taken once, also through another replica's connection. */
static void test_challenge_taken_once(void **state)
{
    vs_store *a = open_store(), *b = open_store();
    const vt_time t0 = 1800000000;
    (void)state;

    assert_true(spend(a, 0xc1, t0 + 300, t0 + 1));
    assert_false(spend(a, 0xc1, t0 + 300, t0 + 2)); /* a replay */
    assert_false(spend(b, 0xc1, t0 + 300, t0 + 2)); /* at another replica */
    assert_true(spend(b, 0xc2, t0 + 300, t0 + 2));
    vs_close(a);
    vs_close(b);
}

/* Tags whose nonces expired are swept at most once per VS_SWEEP_EVERY seconds per
 * connection, not at every spend. */
static void test_challenge_sweep_not_per_spend(void **state)
{
    vs_store *s = open_store();
    const vt_time T = 1900000000, every = VS_SWEEP_EVERY;
    const uint8_t mine[] = { 0xd1, 0xd2, 0xd3 };
    (void)state;

    assert_true(spend(s, 0xd1, T + 30, T));          /* the first spend sweeps (before its insert) */
    assert_true(spend(s, 0xd2, T + 331, T + 31));    /* d1 has expired: no sweep within the interval */
    assert_int_equal(taken_rows(mine, 3), 2);
    assert_true(spend(s, 0xd3, T + every + 300, T + every)); /* sweeps d1, and only it */
    assert_int_equal(taken_rows(mine, 3), 2);
    assert_int_equal(taken_rows(mine, 1), 0);
    vs_close(s);
}

/* A key release's replay record (store_cases.h). */
static void test_replay_records(void **state)
{
    vs_store *a = open_store(), *b = open_store();
    (void)state;

    store_case_replay_records(a, b, "pg");
    vs_close(a);
    vs_close(b);
}

/* An environment's revision (store_cases.h), and a table from before revisions: the column added
 * at open, each environment at revision 1. */
static void test_env_revisions(void **state)
{
    vs_store *a = open_store(), *b;
    PGconn *c = PQconnectdb(url);
    char id[48];
    PGresult *r;
    (void)state;

    snprintf(id, sizeof(id), "pg-%ld", (long)getpid());
    b = open_store();
    store_case_env_revisions(a, b, id);
    vs_close(a);
    vs_close(b);
    if (PQstatus(c) != CONNECTION_OK)
        fail_msg("connect: %s", PQerrorMessage(c));
    r = PQexec(c, "ALTER TABLE environments DROP COLUMN revision;"
                  "INSERT INTO environments (id, json, updated_at) VALUES ('pg-old', '{\"o\":1}', 5)"
                  " ON CONFLICT (id) DO UPDATE SET json = EXCLUDED.json");
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        fail_msg("old table: %s", PQresultErrorMessage(r));
    PQclear(r);
    PQfinish(c);
    a = open_store();
    assert_int_equal(store_case_env_rev(a, "pg-old", "{\"o\":1}"), 1);
    assert_int_equal(store_case_env_put(a, "pg-old", "{\"o\":2}"), 2);
    vs_close(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_array_literals_exact),
        cmocka_unit_test(test_passport_row_with_entry),
        cmocka_unit_test(test_lost_inside_transaction),
        cmocka_unit_test(test_lost_outside_transaction),
        cmocka_unit_test(test_challenge_key_shared),
        cmocka_unit_test(test_challenge_taken_once),
        cmocka_unit_test(test_challenge_sweep_not_per_spend),
        cmocka_unit_test(test_replay_records),
        cmocka_unit_test(test_env_revisions),
    };

    url = getenv("VERITEE_TEST_PG_URL");
    if (url == NULL || *url == '\0') {
        printf("skipped: VERITEE_TEST_PG_URL not set (tests/e2e/test_verifier_pg.sh runs this on its cluster)\n");
        return 77;
    }
    {
        PGconn *c = PQconnectdb(url);
        PGresult *r = PQexec(c, "SELECT current_database()");
        if (PQresultStatus(r) != PGRES_TUPLES_OK) {
            fprintf(stderr, "%s: %s\n", url, PQerrorMessage(c));
            return 1;
        }
        snprintf(dbname, sizeof(dbname), "%s", PQgetvalue(r, 0, 0));
        PQclear(r);
        PQfinish(c);
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
