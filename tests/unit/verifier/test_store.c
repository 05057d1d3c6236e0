/* The store's challenges (SQLite): a nonce is taken once, an expired one is told apart from
 * one never issued, and long-expired challenges are swept at most once per
 * VS_CHALLENGE_GC_EVERY seconds of issue time per connection, not at every challenge. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "vt_test.h"

#include "verifier_fx.h"

static void put(struct fx *f, const char *nonce, vt_time issued, vt_time expires)
{
    vt_err err = { 0 };
    assert_int_equal(f->st->ops->challenge_put(f->st, nonce, issued, expires, &err), VT_OK);
}

static vs_take take(struct fx *f, const char *nonce, vt_time now)
{
    vs_take t = VS_TAKE_OK;
    vt_time issued = 0;
    vt_err err = { 0 };
    assert_int_equal(f->st->ops->challenge_take(f->st, &t, &issued, nonce, now, &err), VT_OK);
    return t;
}

static int rows(struct fx *f)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    char path[4200];
    int n = -1;

    snprintf(path, sizeof(path), "%s/verifier.db", f->dir);
    if (sqlite3_open(path, &db) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "SELECT count(*) FROM challenges", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static void test_challenge_taken_once(void **state)
{
    struct fx *f = *state;
    const vt_time t0 = 1800000000;

    put(f, "aa01", t0, t0 + 300);
    put(f, "aa02", t0, t0 + 300);
    assert_int_equal(take(f, "ffff", t0 + 1), VS_TAKE_UNKNOWN);
    assert_int_equal(take(f, "aa01", t0 + 1), VS_TAKE_OK);
    assert_int_equal(take(f, "aa01", t0 + 2), VS_TAKE_USED); /* a replay */
    assert_int_equal(take(f, "aa02", t0 + 301), VS_TAKE_EXPIRED);
    assert_int_equal(take(f, "aa02", t0 + 302), VS_TAKE_EXPIRED); /* an expired one is not spent */
}

static void test_challenge_sweep_not_per_put(void **state)
{
    struct fx *f = *state;
    const vt_time T = 1800000000, keep = VS_CHALLENGE_KEEP, every = VS_CHALLENGE_GC_EVERY;

    /* z expires 30 s after the keep window of a sweep at T begins: that sweep keeps it */
    put(f, "zz", T - keep - 100, T - keep + 30); /* the first put sweeps (nothing yet) */
    put(f, "ww", T, T + 300);                    /* past the interval: sweeps, z stays */
    assert_int_equal(rows(f), 2);
    /* Within the interval z becomes sweepable, but no put sweeps again until T + every. */
    put(f, "v1", T + 31, T + 331);
    put(f, "v2", T + every - 1, T + every + 299);
    assert_int_equal(rows(f), 4);
    assert_int_equal(take(f, "zz", T + every - 1), VS_TAKE_EXPIRED);
    /* The first put at T + every sweeps it, and only it. */
    put(f, "v3", T + every, T + every + 300);
    assert_int_equal(rows(f), 4);
    assert_int_equal(take(f, "zz", T + every), VS_TAKE_UNKNOWN);
    assert_int_equal(take(f, "v3", T + every), VS_TAKE_OK);
    assert_int_equal(take(f, "ww", T + every), VS_TAKE_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_challenge_taken_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_challenge_sweep_not_per_put, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
