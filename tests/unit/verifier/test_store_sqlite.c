/* The SQLite store's key-release replay records: a request's nonce is fresh once and a
 * replay after; expired records are swept at most once per VS_SWEEP_EVERY seconds per
 * connection (not a write transaction per release), and a swept one is fresh again. */
#include <string.h>

#include "vt_test.h"

#include "verifier_fx.h"

static bool seen(vs_store *s, const char *nonce, vt_time expires, vt_time now)
{
    bool fresh = false;
    vt_err err = { 0 };

    if (s->keys->seen(s, &fresh, nonce, expires, now, &err) != VT_OK)
        fail_msg("seen: %s", err.msg);
    return fresh;
}

static void test_store_sqlite_replay_records(void **state)
{
    struct fx *f = *state;
    const vt_time T = 1800000000, every = VS_SWEEP_EVERY;

    assert_true(seen(f->st, "r1", T + 10, T));        /* the first insert sweeps (nothing yet) */
    assert_false(seen(f->st, "r1", T + 10, T + 1));   /* a replay */
    assert_true(seen(f->st, "r2", T + 100, T + 2));
    /* r1 expired at T + 10, but no insert sweeps again before T + every: still refused */
    assert_false(seen(f->st, "r1", T + 80, T + every - 1));
    assert_true(seen(f->st, "r3", T + every + 100, T + every)); /* sweeps r1, not r2 */
    assert_true(seen(f->st, "r1", T + every + 100, T + every + 1));
    assert_false(seen(f->st, "r2", T + every + 100, T + every + 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_store_sqlite_replay_records, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
