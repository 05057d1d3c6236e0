/* Condition variables with monotonic timed waits (see cond.h). */
#include <errno.h>
#include <time.h>

#include "base/cond.h"

int vt__cond_init(pthread_cond_t *cv)
{
    pthread_condattr_t a;
    int rc = pthread_condattr_init(&a);

    if (rc != 0)
        return rc;
    rc = pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    if (rc == 0)
        rc = pthread_cond_init(cv, &a);
    pthread_condattr_destroy(&a);
    return rc;
}

struct timespec vt__cond_deadline_ns(int64_t ns)
{
    struct timespec ts;

    if (ns < 0)
        ns = 0;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += (time_t)(ns / 1000000000L);
    ts.tv_nsec += (long)(ns % 1000000000L);
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

struct timespec vt__cond_deadline(int64_t ms)
{
    return vt__cond_deadline_ns(ms < 0 ? 0 : ms > INT64_MAX / 1000000 ? INT64_MAX : ms * 1000000);
}

int vt__cond_wait_ms(pthread_cond_t *cv, pthread_mutex_t *mu, int64_t ms)
{
    struct timespec ts = vt__cond_deadline(ms);

    return pthread_cond_timedwait(cv, mu, &ts);
}
