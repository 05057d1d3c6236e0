/* Store behaviour both backends must show, run by test_store_sqlite.c and test_store_pg.c
 * on their own stores. */
#ifndef VT_TEST_STORE_CASES_H
#define VT_TEST_STORE_CASES_H

#include <stdio.h>
#include <stdlib.h>

#include "vt_test.h"

#include "verifier/store.h"

static inline bool store_case_seen(vs_store *s, const char *nonce, vt_time expires, vt_time now)
{
    bool fresh = false;
    vt_err err = { 0 };

    if (s->keys->seen(s, &fresh, nonce, expires, now, &err) != VT_OK)
        fail_msg("seen: %s", err.msg);
    return fresh;
}

/* A key release's replay record (a and b: two connections to one database; p: a prefix that
 * keeps these nonces apart from others in the database): fresh once, a replay after (also
 * through the other connection); expired ones are swept at most once per VS_SWEEP_EVERY
 * seconds per connection (not a write per release), and a swept one is fresh again. */
static inline void store_case_replay_records(vs_store *a, vs_store *b, const char *p)
{
    const vt_time T = 1950000000, every = VS_SWEEP_EVERY;
    char r1[32], r2[32], r3[32];

    snprintf(r1, sizeof(r1), "%s-r1", p);
    snprintf(r2, sizeof(r2), "%s-r2", p);
    snprintf(r3, sizeof(r3), "%s-r3", p);
    assert_true(store_case_seen(a, r1, T + 10, T)); /* the first insert sweeps (nothing yet) */
    assert_false(store_case_seen(a, r1, T + 10, T + 1)); /* a replay */
    assert_false(store_case_seen(b, r1, T + 10, T + 1)); /* through the other connection */
    assert_true(store_case_seen(a, r2, T + 100, T + 2));
    /* r1 expired at T + 10, but no insert on a sweeps again before T + every: still refused */
    assert_false(store_case_seen(a, r1, T + 80, T + every - 1));
    assert_true(store_case_seen(a, r3, T + every + 100, T + every)); /* sweeps r1, not r2 */
    assert_true(store_case_seen(a, r1, T + every + 100, T + every + 1));
    assert_false(store_case_seen(a, r2, T + every + 100, T + every + 1));
}

static inline uint64_t store_case_env_put(vs_store *s, const char *id, const char *json)
{
    uint64_t rev = 0;
    vt_err err = { 0 };

    if (s->ops->env_put(s, &rev, id, json, 1950000000, &err) != VT_OK)
        fail_msg("env_put: %s", err.msg);
    return rev;
}

/* Environment id's revision through s, its document checked to be json. */
static inline uint64_t store_case_env_rev(vs_store *s, const char *id, const char *json)
{
    uint64_t rev = 0;
    char *got = NULL;
    vt_err err = { 0 };

    if (s->ops->env_get(s, &got, &rev, id, &err) != VT_OK)
        fail_msg("env_get: %s", err.msg);
    assert_string_equal(got, json);
    free(got);
    return rev;
}

/* An environment's revision (a and b: two connections to one database; p: a prefix for its
 * ids): 1 at its first put, one more at every put after, through either connection, the same
 * document put again too; each environment counts its own; the reads give the put's. */
static inline void store_case_env_revisions(vs_store *a, vs_store *b, const char *p)
{
    char e1[32], e2[32];
    uint64_t rev = 9;
    char *json = (char *)"unset";
    vt_err err = { 0 };

    snprintf(e1, sizeof(e1), "%s-env1", p);
    snprintf(e2, sizeof(e2), "%s-env2", p);
    assert_int_equal(store_case_env_put(a, e1, "{\"v\":1}"), 1);
    assert_int_equal(store_case_env_rev(a, e1, "{\"v\":1}"), 1);
    assert_int_equal(store_case_env_put(a, e1, "{\"v\":2}"), 2);
    assert_int_equal(store_case_env_put(b, e1, "{\"v\":2}"), 3);
    assert_int_equal(store_case_env_rev(a, e1, "{\"v\":2}"), 3);
    assert_int_equal(store_case_env_rev(b, e1, "{\"v\":2}"), 3);
    assert_int_equal(store_case_env_put(b, e2, "{\"w\":1}"), 1);
    assert_int_equal(store_case_env_rev(a, e1, "{\"v\":2}"), 3);
    /* rev_out is optional; an absent environment gives none. */
    assert_int_equal(a->ops->env_put(a, NULL, e2, "{\"w\":2}", 1950000001, &err), VT_OK);
    assert_int_equal(store_case_env_rev(b, e2, "{\"w\":2}"), 2);
    assert_int_equal(a->ops->env_get(a, &json, &rev, "no-such-env", &err), VT_E_NOTFOUND);
    assert_null(json);
    assert_int_equal(rev, 0);
}

#endif
