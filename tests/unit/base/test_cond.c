/* Condition variables with monotonic timed waits (base/cond.h): the deadline is on the
 * monotonic clock (a wall-clock step cannot stretch it), a wait times out, a signal ends it. */
#include "vt_test.h"

#include <errno.h>
#include <time.h>

#include "base/cond.h"

static void test_base_cond__deadline_is_monotonic(void **state)
{
    struct timespec mono, real, d;

    (void)state;
    clock_gettime(CLOCK_MONOTONIC, &mono);
    clock_gettime(CLOCK_REALTIME, &real);
    d = vt__cond_deadline(1500);
    /* monotonic now + 1.5 s, give or take a slow machine; nowhere near the wall clock
     * (about 1.8e9 s since 1970, against the machine's uptime) */
    assert_true(d.tv_sec >= mono.tv_sec + 1 && d.tv_sec <= mono.tv_sec + 60);
    assert_true(d.tv_nsec >= 0 && d.tv_nsec < 1000000000L);
    assert_true(real.tv_sec - d.tv_sec > 86400 * 365);
    d = vt__cond_deadline(-5); /* negative counts as now */
    assert_true(d.tv_sec >= mono.tv_sec && d.tv_sec <= mono.tv_sec + 60);
    d = vt__cond_deadline(999); /* the nanoseconds carry */
    assert_true(d.tv_nsec >= 0 && d.tv_nsec < 1000000000L);
    /* the nanosecond form: 2.5 ms ahead, on the same clock; 999,999,999 ns carries too */
    clock_gettime(CLOCK_MONOTONIC, &mono);
    d = vt__cond_deadline_ns(2500000);
    assert_true(d.tv_sec * 1000000000LL + d.tv_nsec >= mono.tv_sec * 1000000000LL + mono.tv_nsec + 2500000);
    assert_true(d.tv_sec <= mono.tv_sec + 60);
    d = vt__cond_deadline_ns(999999999);
    assert_true(d.tv_nsec >= 0 && d.tv_nsec < 1000000000L);
    d = vt__cond_deadline_ns(-1);
    assert_true(d.tv_sec >= mono.tv_sec && d.tv_sec <= mono.tv_sec + 60);
}

struct sig {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int flag;
};

static void *signaller(void *arg)
{
    struct sig *s = arg;

    pthread_mutex_lock(&s->mu);
    s->flag = 1;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

static void test_base_cond__times_out_and_wakes(void **state)
{
    struct sig s = { .flag = 0 };
    pthread_t th;
    int rc = 0;

    (void)state;
    pthread_mutex_init(&s.mu, NULL);
    assert_int_equal(vt__cond_init(&s.cv), 0);
    pthread_mutex_lock(&s.mu);
    assert_int_equal(vt__cond_wait_ms(&s.cv, &s.mu, 20), ETIMEDOUT); /* nobody signals */
    assert_int_equal(pthread_create(&th, NULL, signaller, &s), 0);
    while (!s.flag && rc == 0)
        rc = vt__cond_wait_ms(&s.cv, &s.mu, 60000);
    assert_int_equal(rc, 0);
    assert_int_equal(s.flag, 1);
    pthread_mutex_unlock(&s.mu);
    pthread_join(th, NULL);
    pthread_cond_destroy(&s.cv);
    pthread_mutex_destroy(&s.mu);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base_cond__deadline_is_monotonic),
        cmocka_unit_test(test_base_cond__times_out_and_wakes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
