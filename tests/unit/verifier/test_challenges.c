/* The verifier's challenges: a nonce is taken once, an expired one is told apart from one
 * never issued, a forged or altered one (its time moved, its tag changed) and one from
 * before a restart are unknown, the in-memory taken set is bounded and frees what expired,
 * racing takes of one nonce let exactly one through; with a shared key (replicas) another
 * replica's nonce is good and the take goes to the store, which decides. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vt_test.h"

#include "verifier/challenges.h"

static const vt_time T0 = 1800000000, TTL = 300;

static vf_challenges *book(size_t max_taken)
{
    vf_challenges *c = NULL;
    vt_err err = { 0 };
    assert_int_equal(vf_challenges_new(&c, TTL, max_taken, NULL, &err), VT_OK);
    return c;
}

static void issue(vf_challenges *c, uint8_t n[VF_NONCE_LEN], vt_time now)
{
    vt_err err = { 0 };
    assert_int_equal(vf_challenges_issue(c, n, now, &err), VT_OK);
}

static vs_take take_at(vf_challenges *c, const uint8_t n[VF_NONCE_LEN], vt_time now, vt_time *issued)
{
    vs_take t = VS_TAKE_OK;
    vt_time i = -1;
    vt_err err = { 0 };
    assert_int_equal(vf_challenges_take(c, NULL, &t, &i, n, now, &err), VT_OK);
    if (issued != NULL)
        *issued = i;
    return t;
}

static void test_challenges_taken_once(void **state)
{
    vf_challenges *c = book(0), *other = book(0), *none = NULL;
    uint8_t a[VF_NONCE_LEN], b[VF_NONCE_LEN], x[VF_NONCE_LEN];
    vt_time issued = 0;
    vt_err err = { 0 };
    (void)state;

    assert_int_equal(vf_challenges_new(&none, 0, 0, NULL, &err), VT_E_ARG); /* a lifetime is needed */
    assert_null(none);
    issue(c, a, T0);
    issue(c, b, T0);
    assert_memory_not_equal(a, b, VF_NONCE_LEN);
    assert_int_equal(take_at(other, a, T0 + 1, NULL), VS_TAKE_UNKNOWN); /* another process (a restart) */
    memcpy(x, a, sizeof(x));
    x[VF_NONCE_LEN - 1] ^= 1;
    assert_int_equal(take_at(c, x, T0 + 1, NULL), VS_TAKE_UNKNOWN); /* its tag changed */
    memcpy(x, a, sizeof(x));
    x[15] ^= 0x10; /* its issue time moved (to live longer) */
    assert_int_equal(take_at(c, x, T0 + 1, NULL), VS_TAKE_UNKNOWN);
    assert_int_equal(take_at(c, a, T0 + 1, &issued), VS_TAKE_OK);
    assert_int_equal(issued, T0);
    assert_int_equal(take_at(c, a, T0 + 2, NULL), VS_TAKE_USED); /* a replay */
    assert_int_equal(take_at(c, b, T0 + TTL, NULL), VS_TAKE_EXPIRED);
    assert_int_equal(take_at(c, b, T0 + TTL + 1, NULL), VS_TAKE_EXPIRED); /* an expired one is not spent */
    issue(c, b, T0 + 10);
    assert_int_equal(take_at(c, b, T0 + 10 + TTL - 1, NULL), VS_TAKE_OK); /* the last second of its life */
    vf_challenges_free(c);
    vf_challenges_free(other);
}

/* At most max_taken unexpired nonces are remembered: past that a take is refused (the
 * nonce stays good), and once older ones expire there is room again.  Many nonces make the
 * table grow; every one is still refused a second time. */
static void test_challenges_bounded(void **state)
{
    enum { MAX = 100, MANY = 5000 };
    vf_challenges *c = book(MAX);
    uint8_t (*n)[VF_NONCE_LEN] = calloc(MANY, VF_NONCE_LEN), last[VF_NONCE_LEN];
    vs_take t;
    vt_time issued;
    vt_err err = { 0 };
    (void)state;

    assert_non_null(n);
    for (int i = 0; i < MAX; i++) {
        issue(c, n[i], T0);
        assert_int_equal(take_at(c, n[i], T0 + 1, NULL), VS_TAKE_OK);
    }
    issue(c, last, T0 + 2);
    assert_int_equal(vf_challenges_take(c, NULL, &t, &issued, last, T0 + 2, &err), VT_E_LIMIT);
    assert_non_null(strstr(err.msg, "nonces in use"));
    assert_int_equal(take_at(c, n[0], T0 + 2, NULL), VS_TAKE_USED); /* still remembered */
    /* the first MAX expire at T0 + TTL: room again, and `last` was not spent by the refusal */
    assert_int_equal(take_at(c, last, T0 + TTL, NULL), VS_TAKE_OK);
    assert_int_equal(take_at(c, last, T0 + TTL, NULL), VS_TAKE_USED);
    vf_challenges_free(c);

    c = book(0);
    for (int i = 0; i < MANY; i++) {
        issue(c, n[i], T0 + i / 100);
        assert_int_equal(take_at(c, n[i], T0 + i / 100, NULL), VS_TAKE_OK);
    }
    for (int i = 0; i < MANY; i++)
        assert_int_equal(take_at(c, n[i], T0 + MANY / 100, NULL), VS_TAKE_USED);
    vf_challenges_free(c);
    free(n);
}

struct racer {
    vf_challenges *c;
    const uint8_t *nonce;
    int ok;
};

static void *race(void *arg)
{
    struct racer *r = arg;
    vt_time issued;
    vs_take t;
    vt_err err = { 0 };

    for (int i = 0; i < 200; i++)
        if (vf_challenges_take(r->c, NULL, &t, &issued, r->nonce + (size_t)i * VF_NONCE_LEN, T0 + 1, &err) == VT_OK &&
            t == VS_TAKE_OK)
            r->ok++;
    return NULL;
}

static void test_challenges_race(void **state)
{
    enum { THREADS = 4, NONCES = 200 };
    vf_challenges *c = book(0);
    uint8_t *n = malloc((size_t)NONCES * VF_NONCE_LEN);
    pthread_t th[THREADS];
    struct racer r[THREADS];
    int total = 0;
    (void)state;

    assert_non_null(n);
    for (int i = 0; i < NONCES; i++)
        issue(c, n + (size_t)i * VF_NONCE_LEN, T0);
    for (int i = 0; i < THREADS; i++) {
        r[i] = (struct racer){ c, n, 0 };
        assert_int_equal(pthread_create(&th[i], NULL, race, &r[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        total += r[i].ok;
    }
    assert_int_equal(total, NONCES); /* each nonce through exactly once */
    vf_challenges_free(c);
    free(n);
}

/* A stand-in for the replicas' store: records the tags it is given (challenge_spend). */
struct spent {
    vs_store base;
    uint8_t tags[8][VS_CHALLENGE_TAG_LEN];
    vt_time expires[8];
    int n;
    bool fail;
};

static vt_status spend(vs_store *s, bool *fresh, const uint8_t tag[VS_CHALLENGE_TAG_LEN], vt_time expires,
                       vt_time now, vt_err *err)
{
    struct spent *sp = (struct spent *)s;
    (void)now;
    if (sp->fail)
        return vt_err_set(err, VT_E_IO, "store: down");
    for (int i = 0; i < sp->n; i++)
        if (memcmp(sp->tags[i], tag, VS_CHALLENGE_TAG_LEN) == 0) {
            *fresh = false;
            return VT_OK;
        }
    assert_true(sp->n < 8);
    memcpy(sp->tags[sp->n], tag, VS_CHALLENGE_TAG_LEN);
    sp->expires[sp->n++] = expires;
    *fresh = true;
    return VT_OK;
}

static void test_challenges_shared(void **state)
{
    static const struct vs_ops ops = { .challenge_spend = spend };
    uint8_t key[VS_CHALLENGE_KEY_LEN], a[VF_NONCE_LEN];
    vf_challenges *r1 = NULL, *r2 = NULL;
    struct spent sp;
    vs_take t;
    vt_time issued;
    vt_err err = { 0 };
    (void)state;

    memset(&sp, 0, sizeof(sp));
    sp.base.ops = &ops;
    memset(key, 0x5a, sizeof(key));
    assert_int_equal(vf_challenges_new(&r1, TTL, 0, key, &err), VT_OK);
    assert_int_equal(vf_challenges_new(&r2, TTL, 0, key, &err), VT_OK);
    issue(r1, a, T0); /* issued by one replica, taken at another */
    assert_int_equal(vf_challenges_take(r2, &sp.base, &t, &issued, a, T0 + 1, &err), VT_OK);
    assert_int_equal(t, VS_TAKE_OK);
    assert_int_equal(issued, T0);
    assert_int_equal(sp.n, 1);
    assert_memory_equal(sp.tags[0], a + VF_NONCE_LEN - VS_CHALLENGE_TAG_LEN, VS_CHALLENGE_TAG_LEN);
    assert_int_equal(sp.expires[0], T0 + TTL);
    assert_int_equal(vf_challenges_take(r1, &sp.base, &t, &issued, a, T0 + 2, &err), VT_OK);
    assert_int_equal(t, VS_TAKE_USED);
    /* expired, or not issued under the key: decided before the store is asked */
    assert_int_equal(vf_challenges_take(r1, &sp.base, &t, &issued, a, T0 + TTL, &err), VT_OK);
    assert_int_equal(t, VS_TAKE_EXPIRED);
    a[0] ^= 1;
    assert_int_equal(vf_challenges_take(r1, &sp.base, &t, &issued, a, T0 + 2, &err), VT_OK);
    assert_int_equal(t, VS_TAKE_UNKNOWN);
    assert_int_equal(sp.n, 1);
    /* the store's failure is the caller's error */
    issue(r1, a, T0);
    sp.fail = true;
    assert_int_equal(vf_challenges_take(r1, &sp.base, &t, &issued, a, T0 + 1, &err), VT_E_IO);
    vf_challenges_free(r1);
    vf_challenges_free(r2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_challenges_taken_once),
        cmocka_unit_test(test_challenges_bounded),
        cmocka_unit_test(test_challenges_race),
        cmocka_unit_test(test_challenges_shared),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
