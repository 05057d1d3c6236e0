/* Shared fixture: mock evidence whose software register holds a measurement
 * log of model, auditors, runtime and config, verified through the registry
 * (with the log replayed), plus an environment that lists those digests. */
#ifndef APPRAISE_FX_H
#define APPRAISE_FX_H

#include "vt_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fx {
    char state[512];
    vt_mlog *log;
    vt_buf ev;
    vt_result res;
    vt_env env;
    vt_time now;
    uint8_t model[32], auditor[2][32], runtime[32], config[32];
};

static void fx_digest(uint8_t out[32], const char *what)
{
    assert_int_equal(vt_digest(VT_MD_SHA256, what, strlen(what), out, NULL), VT_OK);
}

static void fx_event(struct fx *f, vt_component c, const char *name, const uint8_t d[32])
{
    vt_register_opts o = { .platform = VT_TEE_MOCK, .state_dir = f->state };
    vt_register *r = NULL;
    assert_int_equal(vt_mlog_append(f->log, c, name, VT_MD_SHA256, d, 32, NULL, NULL), VT_OK);
    assert_int_equal(vt_register_open(&r, &o, NULL), VT_OK);
    assert_int_equal(vt_register_extend_event(r, vt_mlog_get(f->log, vt_mlog_count(f->log) - 1), NULL, NULL), VT_OK);
    vt_register_free(r);
}

static void fx_hex(char *out, const uint8_t *p, size_t n)
{
    vt_hex_encode(out, p, n);
}

/* Environment JSON listing the fixture's digests; extra is spliced in (",..."). */
static void fx_env(struct fx *f, const char *extra)
{
    char m[65], a0[65], a1[65], r[65], c[65], json[2048];
    vt_err err = { 0 };

    fx_hex(m, f->model, 32);
    fx_hex(a0, f->auditor[0], 32);
    fx_hex(a1, f->auditor[1], 32);
    fx_hex(r, f->runtime, 32);
    fx_hex(c, f->config, 32);
    snprintf(json, sizeof(json),
             "{\"id\":\"prod\",\"platforms\":[\"mock\",\"tdx\"],\"allow_simulated\":true,"
             "\"components\":{\"model\":[\"%s\"],\"auditors\":[\"%s\",\"%s\"],\"runtime\":[\"%s\"],"
             "\"config\":[\"%s\"]}%s}",
             m, a0, a1, r, c, extra != NULL ? extra : "");
    if (vt_env_parse(&f->env, json, strlen(json), NULL, &err) != VT_OK)
        fail_msg("env: %s", err.msg);
}

static void fx_verify(struct fx *f, const vt_mlog *log)
{
    vt_verify_opts o;
    vt_err err = { 0 };

    memset(&o, 0, sizeof(o));
    o.now = f->now;
    o.trust_sim = true;
    o.state_dir = f->state;
    o.mlog = log;
    assert_int_equal(vt_evidence_verify(&f->res, f->ev.data, f->ev.len, &o, &err), VT_OK);
}

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    vt_collect_opts co;
    vt_tee_kind kind;

    vt_test_mkdtemp(f->state, sizeof(f->state));
    f->now = vt_time_now();
    fx_digest(f->model, "model weights");
    fx_digest(f->auditor[0], "pii auditor");
    fx_digest(f->auditor[1], "policy auditor");
    fx_digest(f->runtime, "runtime");
    fx_digest(f->config, "config");
    assert_int_equal(vt_mlog_new(&f->log, NULL), VT_OK);
    fx_event(f, VT_COMPONENT_MODEL, "llama-3-8b", f->model);
    fx_event(f, VT_COMPONENT_AUDITOR, "pii", f->auditor[0]);
    fx_event(f, VT_COMPONENT_AUDITOR, "policy", f->auditor[1]);
    fx_event(f, VT_COMPONENT_RUNTIME, "veritee", f->runtime);
    fx_event(f, VT_COMPONENT_CONFIG, "gateway.json", f->config);
    memset(&co, 0, sizeof(co));
    co.platform = VT_TEE_MOCK;
    co.state_dir = f->state;
    vt_buf_init(&f->ev);
    assert_int_equal(vt_evidence_collect(&f->ev, &kind, &co, NULL), VT_OK);
    fx_verify(f, f->log);
    assert_true(f->res.valid);
    fx_env(f, NULL);
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;

    vt_buf_free(&f->ev);
    vt_mlog_free(f->log);
    vt_test_rmdir(f->state);
    free(f);
    return 0;
}

#endif
