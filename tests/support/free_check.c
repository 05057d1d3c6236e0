/* Counts blocks freed with a marker still in them (free_check.h).  In a file of its own: it
 * defines __wrap_free, which only a test linked with -Wl,--wrap=free may pull in. */
#include <malloc.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "free_check.h"

static const char *marks[2];
static atomic_size_t unwiped; /* the library's server threads free too */

void vt_test_free_marks(const char *mark, const char *mark2)
{
    marks[0] = mark;
    marks[1] = mark2;
}

size_t vt_test_freed_unwiped(void)
{
    return atomic_load(&unwiped);
}

void vt_test_freed_reset(void)
{
    atomic_store(&unwiped, 0);
}

static void check_block(void *p)
{
    size_t n = p != NULL ? malloc_usable_size(p) : 0;

    for (size_t i = 0; i < 2; i++) {
        size_t m = marks[i] != NULL ? strlen(marks[i]) : 0;
        if (m > 0 && n >= m && memmem(p, n, marks[i], m) != NULL) {
            atomic_fetch_add(&unwiped, 1);
            return;
        }
    }
}

void __real_free(void *p);
void __wrap_free(void *p);
void __wrap_free(void *p)
{
    check_block(p);
    __real_free(p);
}

void vt_test_free_checked(void *p)
{
    check_block(p);
    __real_free(p);
}

/* realloc as malloc, copy, checked free: the old block is freed as any other. */
static void *checked_realloc(void *p, size_t n)
{
    void *q;
    size_t old;

    if (p == NULL)
        return malloc(n);
    q = malloc(n);
    if (q == NULL)
        return NULL;
    old = malloc_usable_size(p);
    memcpy(q, p, old < n ? old : n);
    vt_test_free_checked(p);
    return q;
}

void vt_test_free_check_libevent(void)
{
    event_set_mem_functions(malloc, checked_realloc, vt_test_free_checked);
}
