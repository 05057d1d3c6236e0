/* The verifier unit tests' fixture: a temporary SQLite store and the log sequencer
 * on it (test_log.c, test_store_sqlite.c). */
#ifndef VT_TEST_VERIFIER_FX_H
#define VT_TEST_VERIFIER_FX_H

#include <stdio.h>
#include <stdlib.h>

#include "vt_test.h"

#include "verifier/log.h"
#include "verifier/store.h"

struct fx {
    char dir[4096], url[4200];
    vf_log *log;
    vs_store *st;
};

static inline int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    vt_err err = { 0 };

    vt_test_mkdtemp(f->dir, sizeof(f->dir));
    snprintf(f->url, sizeof(f->url), "sqlite:%s/verifier.db", f->dir);
    if (vs_open(&f->st, f->url, &err) != VT_OK ||
        vf_log_open(&f->log, f->url, f->dir, "test.example/log", NULL, &err) != VT_OK)
        fail_msg("open: %s", err.msg);
    *state = f;
    return 0;
}

static inline int teardown(void **state)
{
    struct fx *f = *state;

    vf_log_close(f->log);
    vs_close(f->st);
    vt_test_rmdir(f->dir);
    free(f);
    return 0;
}

#endif
