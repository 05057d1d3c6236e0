/* Helpers shared by the unit tests: vector paths, file loading, temp dirs.
 * Include after <stdarg.h>/<stddef.h>/<setjmp.h> and <cmocka.h>. */
#ifndef VT_TEST_H
#define VT_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "veritee/veritee.h"

/* $VERITEE_VECTORS, or NULL when the directory does not exist. */
const char *vt_test_vectors(void);
/* Exits with 77 (skip) when the vectors are absent, printing why. */
void vt_test_require_vectors(void);
/* Loads <vectors>/<rel> into b; fails the test when missing. */
void vt_test_load(vt_buf *b, const char *rel);
/* Joins <vectors>/<rel> into out. */
void vt_test_path(char *out, size_t out_len, const char *rel);
/* A fresh empty directory under $VERITEE_TEST_TMP or /tmp; removed by vt_test_rmdir. */
void vt_test_mkdtemp(char *out, size_t out_len);
void vt_test_rmdir(const char *dir);
/* A cmocka fixture for tests that need only a state directory: the setup makes
 * *state a vt_test_state_dir with a fresh empty one, the teardown removes it. */
typedef struct vt_test_state_dir {
    char state[512];
} vt_test_state_dir;
int vt_test_state_dir_setup(void **state);
int vt_test_state_dir_teardown(void **state);
/* Parses an RFC 3339 time or fails the test. */
vt_time vt_test_time(const char *s);
/* True when the result has an error with this check name. */
bool vt_test_has_error(const vt_result *r, const char *check);
/* Fails the test unless claim name is present and its value is the lowercase hex want. */
void vt_test_claim_hex(const vt_result *r, const char *name, const char *want);

#endif
