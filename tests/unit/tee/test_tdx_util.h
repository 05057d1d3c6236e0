/* Shared helpers for the TDX plugin tests: call vt__tee_tdx.verify directly
 * with a request filled here (no registry involved). */
#ifndef VT_TEST_TDX_UTIL_H
#define VT_TEST_TDX_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vt_test.h"

#include "tee/plugin.h"

static inline vt_x509 *tdx_test_intel_root(void)
{
    vt_x509 *root = NULL;
    vt_err err = { 0 };

    if (vt__roots_intel_sgx(&root, &err) != VT_OK)
        fail_msg("%s", err.msg);
    return root; /* borrowed, process lifetime */
}

/* Collateral from <vectors>/<rel> (a directory), or NULL for rel == NULL. */
static inline vt_collateral *tdx_test_coll(const char *rel)
{
    vt_collateral *c = NULL;
    vt_err err = { 0 };
    char path[4096];

    if (rel == NULL)
        return NULL;
    vt_test_path(path, sizeof(path), rel);
    assert_int_equal(vt_collateral_new(&c, &err), VT_OK);
    if (vt_collateral_load_dir(c, path, &err) != VT_OK)
        fail_msg("%s", err.msg);
    return c;
}

/* Runs the plugin; returns its status.  res is reset first. */
static inline vt_status tdx_test_run(vt_result *res, const uint8_t *q, size_t len, const vt_collateral *coll,
                                     vt_time now, vt_x509 *const *roots, size_t root_count, size_t prod_count,
                                     vt_verify_cache *cache)
{
    vt_verify_opts o;
    vt__verify_req req;
    vt_err err = { 0 };

    memset(&o, 0, sizeof(o));
    memset(&req, 0, sizeof(req));
    memset(res, 0, sizeof(*res));
    o.platform = VT_TEE_TDX;
    o.now = now;
    o.collateral = coll;
    o.cache = cache;
    req.evidence = q;
    req.len = len;
    req.opts = &o;
    req.roots = roots;
    req.root_count = root_count;
    req.prod_root_count = prod_count;
    return vt__tee_tdx.verify(&req, res, &err);
}

static inline bool tdx_test_has(const vt_finding *f, size_t n, const char *check)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(f[i].check, check) == 0)
            return true;
    return false;
}
#define tdx_has_error(r, c) tdx_test_has((r)->errors, (r)->error_count, (c))
#define tdx_has_warning(r, c) tdx_test_has((r)->warnings, (r)->warning_count, (c))

static inline void tdx_test_dump(const vt_result *r)
{
    for (size_t i = 0; i < r->error_count; i++)
        fprintf(stderr, "  error %s: %s\n", r->errors[i].check, r->errors[i].msg);
    for (size_t i = 0; i < r->warning_count; i++)
        fprintf(stderr, "  warning %s: %s\n", r->warnings[i].check, r->warnings[i].msg);
}

/* Accepted = the plugin read it and found nothing wrong with signatures or chain. */
static inline bool tdx_test_accepted(vt_status rc, const vt_result *r)
{
    return rc == VT_OK && r->error_count == 0 && r->signature_valid && r->chain_valid;
}

#endif
