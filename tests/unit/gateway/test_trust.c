/* The gateway's trust state without sockets: what the boot measures and in which order
 * (measure.c), the model watch, when the gateway may serve under its passport and the
 * retry jitter (upkeep.c).  Failure cases first. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vt_test.h"

#include "gateway/config.h"
#include "gateway/hooks.h"
#include "gateway/trust.h"

typedef struct fixture {
    char dir[512], model[600], cfgpath[600], state[600];
    char text[4096]; /* the bytes cfg was parsed from */
    vt_gw_config cfg;
    bool o_no_file;  /* boot without a config file: the effective config is measured */
} fixture;

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

/* The upkeep thread's re-measurement, as it runs it: with the trust lock held. */
static void remeasure(vt_gw_trust *t)
{
    pthread_mutex_lock(&t->mu);
    vt__gw_remeasure_locked(t);
    pthread_mutex_unlock(&t->mu);
}

/* A model directory of two files and a config naming it, with the pii and policy auditors
 * (extra_auditor appended to the array when not NULL). */
static void setup_cfg(fixture *fx, const char *extra_auditor)
{
    char json[4096], p[700];
    vt_err err = { 0 };

    memset(fx, 0, sizeof(*fx));
    vt_test_mkdtemp(fx->dir, sizeof(fx->dir));
    snprintf(fx->model, sizeof(fx->model), "%s/model", fx->dir);
    snprintf(fx->state, sizeof(fx->state), "%s/state", fx->dir);
    snprintf(fx->cfgpath, sizeof(fx->cfgpath), "%s/gateway.json", fx->dir);
    assert_int_equal(mkdir(fx->model, 0700), 0);
    snprintf(p, sizeof(p), "%s/weights.bin", fx->model);
    write_file(p, "0123456789abcdef");
    snprintf(p, sizeof(p), "%s/tokenizer.json", fx->model);
    write_file(p, "{\"vocab\":[]}");
    snprintf(json, sizeof(json),
             "{\"upstream\":\"http://127.0.0.1:9\",\"model_check_ms\":0,\"models\":[\"%s\"],"
             "\"auditors\":[{\"name\":\"pii\"},{\"name\":\"policy\",\"blocked_terms\":[\"x\"]}%s%s]}",
             fx->model, extra_auditor != NULL ? "," : "", extra_auditor != NULL ? extra_auditor : "");
    write_file(fx->cfgpath, json);
    snprintf(fx->text, sizeof(fx->text), "%s", json);
    vt_gw_config_defaults(&fx->cfg);
    if (vt_gw_config_parse(&fx->cfg, json, strlen(json), &err) != VT_OK)
        fail_msg("config: %s", err.msg);
}

static void teardown_cfg(fixture *fx)
{
    vt_gw_config_free(&fx->cfg);
    vt_test_rmdir(fx->dir);
}

/* The fixture's config again with models (a JSON array) in place of the one model. */
static void reconfig_models(fixture *fx, const char *models)
{
    char json[4096];
    vt_err err = { 0 };

    snprintf(json, sizeof(json),
             "{\"upstream\":\"http://127.0.0.1:9\",\"model_check_ms\":0,\"models\":%s,"
             "\"auditors\":[{\"name\":\"pii\"},{\"name\":\"policy\",\"blocked_terms\":[\"x\"]}]}",
             models);
    write_file(fx->cfgpath, json);
    snprintf(fx->text, sizeof(fx->text), "%s", json);
    vt_gw_config_free(&fx->cfg);
    vt_gw_config_defaults(&fx->cfg);
    if (vt_gw_config_parse(&fx->cfg, json, strlen(json), &err) != VT_OK)
        fail_msg("config: %s", err.msg);
}

/* The fixture's config again with the first `from` in its text replaced by `to`. */
static void reconfig_text(fixture *fx, const char *from, const char *to)
{
    char json[4096], *at = strstr(fx->text, from);
    vt_err err = { 0 };

    assert_non_null(at);
    snprintf(json, sizeof(json), "%.*s%s%s", (int)(at - fx->text), fx->text, to, at + strlen(from));
    write_file(fx->cfgpath, json);
    snprintf(fx->text, sizeof(fx->text), "%s", json);
    vt_gw_config_free(&fx->cfg);
    vt_gw_config_defaults(&fx->cfg);
    if (vt_gw_config_parse(&fx->cfg, json, strlen(json), &err) != VT_OK)
        fail_msg("config: %s", err.msg);
}

static void append_byte(const char *path)
{
    FILE *f = fopen(path, "a");
    assert_non_null(f);
    fputc('!', f);
    assert_int_equal(fclose(f), 0);
}

/* vt_measure_path, and then (once, when armed) a change to tamper_path: a model file replaced
 * after its bytes were hashed, before the model server loads it. */
static const char *tamper_path;
static const char *tamper_text; /* NULL: one byte appended; else the file's new content */
vt_status __real_vt_measure_path(vt_measurement **out, const char *path, const vt_measure_opts *opts, vt_err *err);
vt_status __wrap_vt_measure_path(vt_measurement **out, const char *path, const vt_measure_opts *opts, vt_err *err);
vt_status __wrap_vt_measure_path(vt_measurement **out, const char *path, const vt_measure_opts *opts, vt_err *err)
{
    vt_status rc = __real_vt_measure_path(out, path, opts, err);

    if (tamper_path != NULL && tamper_text != NULL)
        write_file(tamper_path, tamper_text);
    else if (tamper_path != NULL)
        append_byte(tamper_path);
    tamper_path = NULL;
    tamper_text = NULL;
    return rc;
}

static vt_status boot(vt_gw_trust **t, fixture *fx, const char *transport, vt_err *err)
{
    vt_gw_trust_opts o;
    memset(&o, 0, sizeof(o));
    o.cfg = &fx->cfg;
    o.config_path = fx->o_no_file ? NULL : fx->cfgpath;
    o.config_text = fx->o_no_file ? NULL : (const uint8_t *)fx->text;
    o.config_len = fx->o_no_file ? 0 : strlen(fx->text);
    o.state_dir = fx->state;
    o.platform = VT_TEE_MOCK;
    o.measure_only = true; /* the log only: no register, no key, no passport */
    o.transport_json = transport;
    return vt_gw_trust_boot(t, &o, err);
}

static void test_gateway_trust__refusals(void **state)
{
    fixture fx;
    vt_gw_trust *t = (vt_gw_trust *)0x1;
    vt_err err = { 0 };
    char p[700];
    (void)state;

    /* An artifact auditor with no reference digests needs a verifier to take them from. */
    setup_cfg(&fx, "{\"name\":\"artifact\"}");
    assert_int_equal(boot(&t, &fx, NULL, &err), VT_E_ARG);
    assert_null(t);
    assert_non_null(strstr(err.msg, "reference_digests"));
    teardown_cfg(&fx);

    /* A model path that does not exist is named in the error. */
    setup_cfg(&fx, NULL);
    snprintf(p, sizeof(p), "%s/weights.bin", fx.model);
    assert_int_equal(unlink(p), 0);
    snprintf(p, sizeof(p), "%s/tokenizer.json", fx.model);
    assert_int_equal(unlink(p), 0);
    assert_int_equal(rmdir(fx.model), 0);
    t = (vt_gw_trust *)0x1;
    assert_int_not_equal(boot(&t, &fx, NULL, &err), VT_OK);
    assert_null(t);
    assert_non_null(strstr(err.msg, fx.model));
    teardown_cfg(&fx);
}

static void test_gateway_trust__boot_measurements(void **state)
{
    fixture fx;
    vt_gw_trust *t = NULL;
    vt_measurement *m = NULL;
    vt_buf cfgb;
    vt_err err = { 0 };
    uint8_t d[32];
    const char *transport = "{\"https\":\"127.0.0.1:8443\"}";
    (void)state;

    setup_cfg(&fx, NULL);
    if (boot(&t, &fx, transport, &err) != VT_OK)
        fail_msg("boot: %s", err.msg);
    /* model, pii, policy, runtime, config, transport: in this order. */
    assert_int_equal(vt_mlog_count(t->log), 6);
    const vt_component want[] = { VT_COMPONENT_MODEL, VT_COMPONENT_AUDITOR, VT_COMPONENT_AUDITOR,
                                  VT_COMPONENT_RUNTIME, VT_COMPONENT_CONFIG, VT_COMPONENT_OTHER };
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(vt_mlog_get(t->log, i)->component, want[i]);
    assert_string_equal(vt_mlog_get(t->log, 0)->name, "model");
    assert_non_null(strstr(vt_mlog_get(t->log, 1)->name, "pii@"));
    assert_non_null(strstr(vt_mlog_get(t->log, 2)->name, "policy@"));
    assert_string_equal(vt_mlog_get(t->log, 3)->name, "veritee");
    assert_string_equal(vt_mlog_get(t->log, 4)->name, "gateway.json");
    assert_string_equal(vt_mlog_get(t->log, 5)->name, "transport");
    assert_null(t->reg); /* measure_only: the register is not touched */

    /* The model event is the model's measurement root (what `veritee measure` prints). */
    assert_int_equal(vt_measure_path(&m, fx.model, NULL, &err), VT_OK);
    assert_memory_equal(vt_mlog_get(t->log, 0)->digest, m->root, 32);
    assert_memory_equal(t->model, m->root, 32);
    vt_measurement_free(m);
    /* The auditor events are the chain's config digests. */
    assert_memory_equal(vt_mlog_get(t->log, 1)->digest, vt_audit_chain_get(t->chain, 0)->config_digest, 32);
    assert_memory_equal(vt_mlog_get(t->log, 2)->digest, vt_audit_chain_get(t->chain, 1)->config_digest, 32);
    /* The config event is SHA-256 of the file's bytes; the transport event of the listeners' JSON. */
    vt_buf_init(&cfgb);
    assert_int_equal(vt_file_read(&cfgb, fx.cfgpath, 1 << 20, &err), VT_OK);
    assert_int_equal(vt_digest(VT_MD_SHA256, cfgb.data, cfgb.len, d, &err), VT_OK);
    assert_memory_equal(vt_mlog_get(t->log, 4)->digest, d, 32);
    vt_buf_free(&cfgb);
    assert_int_equal(vt_digest(VT_MD_SHA256, transport, strlen(transport), d, &err), VT_OK);
    assert_memory_equal(vt_mlog_get(t->log, 5)->digest, d, 32);
    /* Without an attestation there is no passport and the gateway serves (development). */
    assert_null(t->key);
    assert_true(atomic_load(&t->serving));
    vt_gw_trust_free(t);

    /* A different auditor configuration is a different auditor event. */
    teardown_cfg(&fx);
    setup_cfg(&fx, "{\"name\":\"execution\"}");
    assert_int_equal(boot(&t, &fx, NULL, &err), VT_OK);
    assert_int_equal(vt_mlog_count(t->log), 6); /* model, pii, policy, execution, runtime, config */
    assert_int_equal(vt_mlog_get(t->log, 3)->component, VT_COMPONENT_AUDITOR);
    vt_gw_trust_free(t);
    teardown_cfg(&fx);
}

static void test_gateway_trust__model_watch(void **state)
{
    fixture fx;
    vt_gw_trust *t = NULL;
    vt_err err = { 0 };
    char p[700];
    (void)state;

    setup_cfg(&fx, NULL);
    assert_int_equal(boot(&t, &fx, NULL, &err), VT_OK);
    assert_int_equal(t->file_count, 3); /* the directory and its two files */
    assert_false(vt__gw_model_check(t));
    assert_false(t->model_unknown);
    /* One byte appended to one file of the model: changed, and it stays changed. */
    snprintf(p, sizeof(p), "%s/weights.bin", fx.model);
    append_byte(p);
    assert_true(vt__gw_model_check(t));
    assert_true(t->model_unknown);
    assert_true(vt__gw_model_check(t));

    /* Re-measured: the new digest is logged and becomes the current model. */
    {
        vt_measurement *m = NULL;
        size_t before = vt_mlog_count(t->log);
        remeasure(t);
        assert_int_equal(vt_mlog_count(t->log), before + 1);
        assert_int_equal(vt_measure_path(&m, fx.model, NULL, &err), VT_OK);
        assert_memory_equal(vt_mlog_get(t->log, before)->digest, m->root, 32);
        assert_memory_equal(t->model, m->root, 32);
        assert_false(t->model_unknown);
        vt_measurement_free(m);
    }
    vt_gw_trust_free(t);
    teardown_cfg(&fx);
}

/* A model directory of one file: the file is watched too (in-place writes leave the
 * directory's own times alone). */
static void test_gateway_trust__model_watch_one_file_directory(void **state)
{
    fixture fx;
    vt_gw_trust *t = NULL;
    vt_err err = { 0 };
    char dir[700], p[800], models[900];
    (void)state;

    setup_cfg(&fx, NULL);
    snprintf(dir, sizeof(dir), "%s/single", fx.dir);
    assert_int_equal(mkdir(dir, 0700), 0);
    snprintf(p, sizeof(p), "%s/weights.gguf", dir);
    write_file(p, "0123456789abcdef");
    snprintf(models, sizeof(models), "[\"%s\"]", dir);
    reconfig_models(&fx, models);
    assert_int_equal(boot(&t, &fx, NULL, &err), VT_OK);
    assert_false(vt__gw_model_check(t));
    append_byte(p);
    assert_true(vt__gw_model_check(t));
    assert_true(t->model_unknown);
    vt_gw_trust_free(t);
    teardown_cfg(&fx);
}

/* A model changed while (or just after) the boot hashed it: the snapshot is taken before the
 * hashing, so the first check sees the change. */
static void test_gateway_trust__model_changed_while_measured(void **state)
{
    fixture fx;
    vt_gw_trust *t = NULL;
    vt_err err = { 0 };
    char p[700], models[800];
    (void)state;

    setup_cfg(&fx, NULL);
    snprintf(p, sizeof(p), "%s/weights.gguf", fx.dir);
    write_file(p, "0123456789abcdef");
    snprintf(models, sizeof(models), "[\"%s\"]", p);
    reconfig_models(&fx, models);
    tamper_path = p;
    assert_int_equal(boot(&t, &fx, NULL, &err), VT_OK);
    assert_null(tamper_path);
    assert_true(vt__gw_model_check(t));
    vt_gw_trust_free(t);

    /* The same for a file of a model directory. */
    snprintf(p, sizeof(p), "%s/weights.bin", fx.model);
    snprintf(models, sizeof(models), "[\"%s\"]", fx.model);
    reconfig_models(&fx, models);
    tamper_path = p;
    assert_int_equal(boot(&t, &fx, NULL, &err), VT_OK);
    assert_null(tamper_path);
    assert_true(vt__gw_model_check(t));
    vt_gw_trust_free(t);
    teardown_cfg(&fx);
}

/* A file added to a subdirectory of the model after boot (an adapter the server may load). */
static void test_gateway_trust__model_watch_subdirectory(void **state)
{
    fixture fx;
    vt_gw_trust *t = NULL;
    vt_err err = { 0 };
    char p[700];
    (void)state;

    setup_cfg(&fx, NULL);
    snprintf(p, sizeof(p), "%s/adapters", fx.model);
    assert_int_equal(mkdir(p, 0700), 0);
    snprintf(p, sizeof(p), "%s/adapters/a.bin", fx.model);
    write_file(p, "adapter");
    assert_int_equal(boot(&t, &fx, NULL, &err), VT_OK);
    assert_false(vt__gw_model_check(t));
    snprintf(p, sizeof(p), "%s/adapters/b.bin", fx.model);
    write_file(p, "another adapter");
    assert_true(vt__gw_model_check(t));
    vt_gw_trust_free(t);
    teardown_cfg(&fx);
}

/* Two models, the second changed: its new digest is what the re-measurement logs (logging the
 * unchanged first one again would let the changed model pass the next attestation). */
static void test_gateway_trust__remeasure_every_model(void **state)
{
    fixture fx;
    vt_gw_trust *t = NULL;
    vt_measurement *m = NULL;
    vt_err err = { 0 };
    char p[700], models[1400];
    size_t before;
    bool logged = false;
    (void)state;

    setup_cfg(&fx, NULL);
    snprintf(p, sizeof(p), "%s/second.gguf", fx.dir);
    write_file(p, "second model");
    snprintf(models, sizeof(models), "[\"%s\",\"%s\"]", fx.model, p);
    reconfig_models(&fx, models);
    assert_int_equal(boot(&t, &fx, NULL, &err), VT_OK);
    append_byte(p);
    assert_true(vt__gw_model_check(t));
    before = vt_mlog_count(t->log);
    remeasure(t);
    assert_int_equal(vt_measure_path(&m, p, NULL, &err), VT_OK);
    for (size_t i = before; i < vt_mlog_count(t->log); i++) {
        const vt_mlog_event *e = vt_mlog_get(t->log, i);
        logged |= e->component == VT_COMPONENT_MODEL && memcmp(e->digest, m->root, 32) == 0;
    }
    assert_true(logged);
    assert_false(t->model_unknown);
    vt_measurement_free(m);
    vt_gw_trust_free(t);
    teardown_cfg(&fx);
}

/* The config file rewritten while the boot hashes the model (the gateway has parsed it by then):
 * the config event is the digest of the bytes in effect, not of what the file holds later. */
static void test_gateway_trust__config_measured_as_parsed(void **state)
{
    fixture fx;
    vt_gw_trust *t = NULL;
    vt_err err = { 0 };
    uint8_t d[32];
    (void)state;

    setup_cfg(&fx, NULL);
    tamper_path = fx.cfgpath;
    tamper_text = "{\"upstream\":\"http://127.0.0.1:9\",\"auditors\":[{\"name\":\"pii\"}]}";
    assert_int_equal(boot(&t, &fx, NULL, &err), VT_OK);
    assert_null(tamper_path);
    assert_int_equal(vt_digest(VT_MD_SHA256, fx.text, strlen(fx.text), d, &err), VT_OK);
    assert_int_equal(vt_mlog_get(t->log, 4)->component, VT_COMPONENT_CONFIG);
    assert_memory_equal(vt_mlog_get(t->log, 4)->digest, d, 32);
    vt_gw_trust_free(t);
    teardown_cfg(&fx);
}

/* After a re-measurement the watch goes on: a second change (after a first one that only
 * touched the file, or changed it to another reference value) is noticed and measured too. */
static void test_gateway_trust__model_watch_after_remeasure(void **state)
{
    fixture fx;
    vt_gw_trust *t = NULL;
    vt_err err = { 0 };
    char p[700];
    (void)state;

    setup_cfg(&fx, NULL);
    assert_int_equal(boot(&t, &fx, NULL, &err), VT_OK);
    snprintf(p, sizeof(p), "%s/weights.bin", fx.model);
    append_byte(p);
    assert_true(vt__gw_model_check(t));
    remeasure(t);
    assert_false(t->model_unknown);
    assert_false(vt__gw_model_check(t));
    append_byte(p);
    assert_true(vt__gw_model_check(t));
    assert_true(t->model_unknown);
    vt_gw_trust_free(t);
    teardown_cfg(&fx);
}

/* The model watch's period (model_check_ms) is in what is measured: the config event is the
 * digest of the file that sets it, or, without a file, of the effective config, which names it;
 * another period is another config event.  And the period the watch keeps is that one. */
static void test_gateway_trust__model_check_ms_measured(void **state)
{
    fixture fx;
    vt_gw_trust *t = NULL;
    vt_err err = { 0 };
    uint8_t every[32], hourly[32], eff_every[32], eff_hourly[32];
    char *cfgjson = NULL, p[700];
    (void)state;

    setup_cfg(&fx, NULL); /* "model_check_ms":0 */
    assert_int_equal(boot(&t, &fx, NULL, &err), VT_OK);
    assert_int_equal(vt_mlog_get(t->log, 4)->component, VT_COMPONENT_CONFIG);
    memcpy(every, vt_mlog_get(t->log, 4)->digest, 32);
    vt_gw_trust_free(t);
    fx.o_no_file = true;
    assert_int_equal(boot(&t, &fx, NULL, &err), VT_OK);
    memcpy(eff_every, vt_mlog_get(t->log, 4)->digest, 32);
    assert_int_equal(vt_gw_config_to_json(&cfgjson, &fx.cfg, &err), VT_OK);
    assert_non_null(strstr(cfgjson, "\"model_check_ms\": 0"));
    free(cfgjson);
    vt_gw_trust_free(t);
    fx.o_no_file = false;

    /* The same config but for the period: another config event, with or without the file. */
    reconfig_text(&fx, "\"model_check_ms\":0", "\"model_check_ms\":3600000");
    assert_int_equal(boot(&t, &fx, NULL, &err), VT_OK);
    memcpy(hourly, vt_mlog_get(t->log, 4)->digest, 32);
    assert_memory_not_equal(hourly, every, 32);
    /* ... and it is the period in effect: checked once, a change is not seen within the hour. */
    assert_false(vt__gw_model_check(t));
    snprintf(p, sizeof(p), "%s/weights.bin", fx.model);
    append_byte(p);
    assert_false(vt__gw_model_check(t));
    vt_gw_trust_free(t);
    fx.o_no_file = true;
    assert_int_equal(boot(&t, &fx, NULL, &err), VT_OK);
    memcpy(eff_hourly, vt_mlog_get(t->log, 4)->digest, 32);
    assert_memory_not_equal(eff_hourly, eff_every, 32);
    vt_gw_trust_free(t);
    teardown_cfg(&fx);
}

/* A key set for a pin: one P-256 key with kid, and an issuer. */
static void write_jwks(const char *path, const char *kid)
{
    vt_pkey *k = NULL;
    char *jwk = NULL, text[1024];

    assert_int_equal(vt_pkey_generate(&k, VT_KEY_EC_P256, NULL), VT_OK);
    assert_int_equal(vt_jwk_from_pkey(&jwk, k, kid, NULL), VT_OK);
    snprintf(text, sizeof(text), "{\"keys\":[%s],\"issuer\":\"http://127.0.0.1:9\"}", jwk);
    write_file(path, text);
    free(jwk);
    vt_pkey_free(k);
}

/* The pinned verifier key set ("verifier_jwks") is measured by its bytes, not only its path: a
 * config event of its own after the config file's ("verifier_jwks", SHA-256 of the file as read),
 * the keys trusted are those bytes (a file rewritten while the boot hashes the model changes
 * neither), the same file is the same digest, another file at the same path (the config, and so
 * its event, unchanged) is another digest; without a pin there is no such event. */
static void test_gateway_trust__verifier_jwks_measured(void **state)
{
    fixture fx;
    vt_gw_trust *t = NULL;
    vt_err err = { 0 };
    vt_buf b;
    uint8_t d[32], first[32], cfg_first[32];
    char jwks[700], entry[800];
    (void)state;

    setup_cfg(&fx, NULL);
    snprintf(jwks, sizeof(jwks), "%s/verifier-jwks.json", fx.dir);
    snprintf(entry, sizeof(entry), "\"model_check_ms\":0,\"verifier\":\"http://127.0.0.1:9\",\"verifier_jwks\":\"%s\",",
             jwks);
    reconfig_text(&fx, "\"model_check_ms\":0,", entry);
    write_jwks(jwks, "first");

    /* The file replaced while the model is hashed: the boot had read it already. */
    tamper_path = jwks;
    tamper_text = "{\"keys\":[]}";
    vt_buf_init(&b);
    assert_int_equal(vt_file_read(&b, jwks, 1 << 16, &err), VT_OK);
    if (boot(&t, &fx, NULL, &err) != VT_OK)
        fail_msg("boot: %s", err.msg);
    assert_null(tamper_path);
    /* model, pii, policy, runtime, config, verifier_jwks */
    assert_int_equal(vt_mlog_count(t->log), 6);
    assert_int_equal(vt_mlog_get(t->log, 4)->component, VT_COMPONENT_CONFIG);
    assert_string_equal(vt_mlog_get(t->log, 4)->name, "gateway.json");
    assert_int_equal(vt_mlog_get(t->log, 5)->component, VT_COMPONENT_CONFIG);
    assert_string_equal(vt_mlog_get(t->log, 5)->name, "verifier_jwks");
    assert_int_equal(vt_digest(VT_MD_SHA256, b.data, b.len, d, &err), VT_OK);
    assert_memory_equal(vt_mlog_get(t->log, 5)->digest, d, 32); /* the bytes read ... */
    assert_non_null(t->pin);
    assert_non_null(vt_jwks_find(t->pin, "first")); /* ... are the keys trusted */
    memcpy(first, d, 32);
    memcpy(cfg_first, vt_mlog_get(t->log, 4)->digest, 32);
    vt_gw_trust_free(t);

    /* The same file again: the same digest. */
    write_file(jwks, (const char *)b.data);
    vt_buf_free(&b);
    assert_int_equal(boot(&t, &fx, NULL, &err), VT_OK);
    assert_memory_equal(vt_mlog_get(t->log, 5)->digest, first, 32);
    vt_gw_trust_free(t);

    /* Another key set at the same path: the config file's event is the same, the key set's not. */
    write_jwks(jwks, "second");
    assert_int_equal(boot(&t, &fx, NULL, &err), VT_OK);
    assert_int_equal(vt_mlog_count(t->log), 6);
    assert_memory_equal(vt_mlog_get(t->log, 4)->digest, cfg_first, 32);
    assert_memory_not_equal(vt_mlog_get(t->log, 5)->digest, first, 32);
    assert_non_null(vt_jwks_find(t->pin, "second"));
    vt_gw_trust_free(t);

    /* Without a file the effective config is measured, then the key set as with one. */
    fx.o_no_file = true;
    assert_int_equal(boot(&t, &fx, NULL, &err), VT_OK);
    assert_int_equal(vt_mlog_count(t->log), 6);
    assert_string_equal(vt_mlog_get(t->log, 5)->name, "verifier_jwks");
    vt_gw_trust_free(t);
    fx.o_no_file = false;

    /* A pin that is not a key set stops the boot, naming the key. */
    write_file(jwks, "{\"keys\":[]}");
    t = (vt_gw_trust *)0x1;
    assert_int_equal(boot(&t, &fx, NULL, &err), VT_E_ARG);
    assert_null(t);
    assert_non_null(strstr(err.msg, "verifier_jwks"));
    teardown_cfg(&fx);
}

static void test_gateway_trust__serving(void **state)
{
    fixture fx;
    vt_gw_trust *t = NULL;
    vt_err err = { 0 };
    (void)state;

    setup_cfg(&fx, NULL);
    assert_int_equal(boot(&t, &fx, NULL, &err), VT_OK);
    /* No passport: not serving (unless the operator allows unverified). */
    vt__gw_update_serving(t);
    assert_false(atomic_load(&t->serving));
    t->o.allow_unverified = true;
    vt__gw_update_serving(t);
    assert_true(atomic_load(&t->serving));
    t->o.allow_unverified = false;

    t->passport = strdup("token");
    t->exp = vt_time_now() + 3600;
    snprintf(t->status, sizeof(t->status), "affirming");
    vt__gw_update_serving(t);
    assert_true(atomic_load(&t->serving));
    /* Expired: not serving, whatever the status said. */
    t->exp = vt_time_now() - 1;
    vt__gw_update_serving(t);
    assert_false(atomic_load(&t->serving));
    t->exp = vt_time_now() + 3600;
    /* A warning passport serves only with serve_on_warning; contraindicated never. */
    snprintf(t->status, sizeof(t->status), "warning");
    vt__gw_update_serving(t);
    assert_false(atomic_load(&t->serving));
    fx.cfg.serve_on_warning = true;
    vt__gw_update_serving(t);
    assert_true(atomic_load(&t->serving));
    snprintf(t->status, sizeof(t->status), "contraindicated");
    vt__gw_update_serving(t);
    assert_false(atomic_load(&t->serving));
    vt_gw_trust_free(t);
    teardown_cfg(&fx);
}

/* The passport expires while the upkeep thread is busy (hashing a changed model, waiting on
 * the verifier) and has not said so yet: requests are refused from its exp on all the same. */
static void test_gateway_trust__not_serving_past_exp(void **state)
{
    fixture fx;
    vt_gw_trust *t = NULL;
    vt_gw_hooks h;
    vt_gw_ctx ctx;
    vt_gw_verdict v;
    vt_buf body;
    vt_err err = { 0 };
    (void)state;

    setup_cfg(&fx, NULL);
    assert_int_equal(boot(&t, &fx, NULL, &err), VT_OK);
    t->passport = strdup("token");
    snprintf(t->status, sizeof(t->status), "affirming");
    t->exp = vt_time_now() + 1;
    vt__gw_update_serving(t);
    assert_true(atomic_load(&t->serving));
    sleep(2); /* past exp; nothing called vt__gw_update_serving */
    vt_gw_trust_hooks(&h, t);
    memset(&ctx, 0, sizeof(ctx));
    ctx.method = "GET";
    ctx.path = "/v1/models";
    memset(&v, 0, sizeof(v));
    vt_buf_init(&body);
    assert_int_equal(h.on_request(h.arg, &ctx, &body, &v, &err), VT_OK);
    assert_true(v.block);
    assert_int_equal(v.status, 503);
    vt_buf_free(&v.body);
    vt_gw_trust_free(t);
    teardown_cfg(&fx);
}

static void test_gateway_trust__jitter(void **state)
{
    (void)state;
    assert_int_equal(vt__gw_jitter_ms(0), 0);
    assert_int_equal(vt__gw_jitter_ms(1), 1);
    long lo = 1000, hi = 0;
    for (int i = 0; i < 2000; i++) {
        long v = vt__gw_jitter_ms(1000);
        assert_true(v >= 500 && v <= 1000);
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    assert_true(hi - lo > 250); /* spread over the range, not a constant */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gateway_trust__refusals),
        cmocka_unit_test(test_gateway_trust__boot_measurements),
        cmocka_unit_test(test_gateway_trust__model_watch),
        cmocka_unit_test(test_gateway_trust__model_watch_one_file_directory),
        cmocka_unit_test(test_gateway_trust__model_changed_while_measured),
        cmocka_unit_test(test_gateway_trust__model_watch_subdirectory),
        cmocka_unit_test(test_gateway_trust__remeasure_every_model),
        cmocka_unit_test(test_gateway_trust__model_watch_after_remeasure),
        cmocka_unit_test(test_gateway_trust__config_measured_as_parsed),
        cmocka_unit_test(test_gateway_trust__model_check_ms_measured),
        cmocka_unit_test(test_gateway_trust__verifier_jwks_measured),
        cmocka_unit_test(test_gateway_trust__serving),
        cmocka_unit_test(test_gateway_trust__not_serving_past_exp),
        cmocka_unit_test(test_gateway_trust__jitter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
