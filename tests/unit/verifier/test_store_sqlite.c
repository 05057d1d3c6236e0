/* The SQLite store: the cases both backends must show (store_cases.h). */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "vt_test.h"

#include "store_cases.h"
#include "verifier_fx.h"

static void test_store_sqlite_replay_records(void **state)
{
    struct fx *f = *state;
    vs_store *b = NULL;
    vt_err err = { 0 };

    assert_int_equal(vs_open(&b, f->url, &err), VT_OK);
    store_case_replay_records(f->st, b, "lite");
    vs_close(b);
}

/* A database from before challenges were kept in memory loses their table on open. */
static void test_store_sqlite_old_challenges_dropped(void **state)
{
    struct fx *f = *state;
    char path[4200];
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    vs_store *b = NULL;
    vt_err err = { 0 };

    snprintf(path, sizeof(path), "%s/verifier.db", f->dir);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "CREATE TABLE challenges (nonce TEXT PRIMARY KEY, issued_at INTEGER NOT NULL,"
                                  " expires_at INTEGER NOT NULL, used INTEGER NOT NULL);"
                                  "CREATE INDEX challenges_expiry ON challenges(expires_at);"
                                  "INSERT INTO challenges VALUES ('00', 1, 2, 0);",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(vs_open(&b, f->url, &err), VT_OK);
    vs_close(b);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master WHERE name LIKE 'challenges%'", -1, &q,
                                        NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(q, 0), 0);
    sqlite3_finalize(q);
    sqlite3_close(db);
}

static void test_store_sqlite_env_revisions(void **state)
{
    struct fx *f = *state;
    vs_store *b = NULL;
    vt_err err = { 0 };

    assert_int_equal(vs_open(&b, f->url, &err), VT_OK);
    store_case_env_revisions(f->st, b, "lite");
    vs_close(b);
}

/* A database from before environments had a revision gets the column at open, each
 * environment at revision 1, and counts from there; connections opening it after add nothing. */
static void test_store_sqlite_env_revision_added(void **state)
{
    struct fx *f = *state;
    char path[4200];
    sqlite3 *db = NULL;
    vs_store *a = NULL, *b = NULL;
    vt_err err = { 0 };

    snprintf(path, sizeof(path), "%s/old.db", f->dir);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "CREATE TABLE environments (id TEXT PRIMARY KEY, json TEXT NOT NULL,"
                                  " updated_at INTEGER NOT NULL);"
                                  "INSERT INTO environments VALUES ('old', '{\"o\":1}', 5);",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    snprintf(path, sizeof(path), "sqlite:%s/old.db", f->dir);
    assert_int_equal(vs_open(&a, path, &err), VT_OK);
    assert_int_equal(vs_open(&b, path, &err), VT_OK);
    assert_int_equal(store_case_env_rev(a, "old", "{\"o\":1}"), 1);
    assert_int_equal(store_case_env_put(b, "old", "{\"o\":2}"), 2);
    store_case_env_revisions(a, b, "old");
    vs_close(b);
    vs_close(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_store_sqlite_replay_records, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_sqlite_old_challenges_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_sqlite_env_revisions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_sqlite_env_revision_added, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
