/*
 * Internal: condition variables whose timed waits run on the monotonic clock
 * (cond.c).  pthread_cond_timedwait's default clock is the wall clock, so a
 * clock step (NTP, a VM resumed, an operator's `date -s`) would stretch or cut
 * every wait in progress: stepped back an hour, the gateway's receipt sink and
 * re-attestation would sleep an hour.  A wait set up here lasts what it says.
 */
#ifndef VT_BASE_COND_H
#define VT_BASE_COND_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

/* pthread_cond_init with CLOCK_MONOTONIC for timed waits; 0 or an errno. */
int vt__cond_init(pthread_cond_t *cv);
/* The monotonic time ms milliseconds from now (< 0 counts as 0): a deadline for
 * pthread_cond_timedwait on a cv from vt__cond_init, kept across spurious wakeups.
 * The _ns form for finer waits (the log's commit delay). */
struct timespec vt__cond_deadline(int64_t ms);
struct timespec vt__cond_deadline_ns(int64_t ns);
/* Waits on cv (mu held) for at most ms milliseconds (< 0 counts as 0): 0 when
 * signalled (or spuriously woken, as always), ETIMEDOUT when the time ran out.
 * cv must come from vt__cond_init. */
int vt__cond_wait_ms(pthread_cond_t *cv, pthread_mutex_t *mu, int64_t ms);

#endif
