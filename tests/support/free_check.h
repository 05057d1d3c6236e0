/*
 * What a secret leaves in freed memory: every block freed while it still holds one of the
 * markers is counted.  A test links with -Wl,--wrap=free (its own frees and the library's go
 * through the check) and calls vt_test_free_check_libevent() before any libevent call (so
 * do libevent's); jansson's frees can be routed with json_set_alloc_funcs(malloc,
 * vt_test_free_checked).
 */
#ifndef VT_TEST_FREE_CHECK_H
#define VT_TEST_FREE_CHECK_H

#include <stddef.h>

/* The markers looked for (NULL or "" for none; borrowed: they must outlive the checks). */
void vt_test_free_marks(const char *mark, const char *mark2);
/* Blocks freed with a marker in them since the last reset. */
size_t vt_test_freed_unwiped(void);
void vt_test_freed_reset(void);
/* free, after the check. */
void vt_test_free_checked(void *p);
/* libevent's allocations through the check (realloc as malloc, copy, checked free). */
void vt_test_free_check_libevent(void);

#endif
