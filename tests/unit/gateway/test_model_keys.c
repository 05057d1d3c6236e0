/* The gateway's boot step for encrypted models (model_keys.c): what it does with the key
 * broker's answer.  The broker is a stand-in: vt_http_request is wrapped (-Wl,--wrap) to answer
 * as POST /v1/keys/{id}/release does, with a JWE made here to the gateway's enclave key.
 * Failure cases first. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "vt_test.h"

#include "gateway/config.h"
#include "gateway/trust.h"

#define RESOURCE "model-key"
#define PLAIN "weights of the model, 0123456789abcdef"

static char *answer; /* the broker's answer body (200) */
static int asked;    /* release requests made */

vt_status __wrap_vt_http_request(vt_http_response *out, const char *method, const char *url, const char *body,
                                 const vt_http_client_opts *opts, vt_err *err);
vt_status __wrap_vt_http_request(vt_http_response *out, const char *method, const char *url, const char *body,
                                 const vt_http_client_opts *opts, vt_err *err)
{
    (void)body;
    (void)opts;
    memset(out, 0, sizeof(*out));
    vt_buf_init(&out->body);
    asked++;
    assert_string_equal(method, "POST");
    assert_non_null(strstr(url, "/v1/keys/" RESOURCE "/release"));
    out->status = 200;
    if (vt_buf_append(&out->body, answer, strlen(answer), err) != VT_OK || vt_buf_terminate(&out->body, err) != VT_OK)
        return VT_E_NOMEM;
    return VT_OK;
}

typedef struct fixture {
    char dir[512], into[512], enc[600], plain[600], cfgpath[600], text[4096], out[700];
    uint8_t key[32];
    vt_gw_config cfg;
    vt_gw_trust *t;
} fixture;

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

/* An encrypted model, a tmpfs directory for its plaintext, a config naming them, a boot that
 * measured it, and an enclave key and a passport (the attestation is not what is tested). */
static bool setup(fixture *fx)
{
    struct statfs fs;
    vt_gw_trust_opts o;
    vt_err err = { 0 };

    memset(fx, 0, sizeof(*fx));
    snprintf(fx->into, sizeof(fx->into), "/dev/shm/vt-test-model-keys-XXXXXX");
    if (statfs("/dev/shm", &fs) != 0 || (unsigned long)fs.f_type != 0x01021994 /* tmpfs */ || mkdtemp(fx->into) == NULL)
        return false; /* no tmpfs to decrypt into */
    vt_test_mkdtemp(fx->dir, sizeof(fx->dir));
    snprintf(fx->plain, sizeof(fx->plain), "%s/m.gguf", fx->dir);
    snprintf(fx->enc, sizeof(fx->enc), "%s/m.gguf.vtw", fx->dir);
    snprintf(fx->cfgpath, sizeof(fx->cfgpath), "%s/gateway.json", fx->dir);
    snprintf(fx->out, sizeof(fx->out), "%s/m.gguf", fx->into);
    write_file(fx->plain, PLAIN);
    assert_int_equal(vt_random(fx->key, sizeof(fx->key), NULL), VT_OK);
    if (vt_weights_encrypt_file(NULL, fx->enc, fx->plain, fx->key, "m.gguf", NULL, &err) != VT_OK)
        fail_msg("encrypt: %s", err.msg);
    snprintf(fx->text, sizeof(fx->text),
             "{\"upstream\":\"http://127.0.0.1:9\",\"verifier\":\"http://127.0.0.1:9\",\"model_check_ms\":0,"
             "\"encrypted_models\":[{\"file\":\"%s\",\"name\":\"m.gguf\",\"resource\":\"" RESOURCE "\","
             "\"into\":\"%s\"}],\"auditors\":[{\"name\":\"pii\"}]}",
             fx->enc, fx->into);
    write_file(fx->cfgpath, fx->text);
    vt_gw_config_defaults(&fx->cfg);
    if (vt_gw_config_parse(&fx->cfg, fx->text, strlen(fx->text), &err) != VT_OK)
        fail_msg("config: %s", err.msg);
    memset(&o, 0, sizeof(o));
    o.cfg = &fx->cfg;
    o.config_path = fx->cfgpath;
    o.config_text = (const uint8_t *)fx->text;
    o.config_len = strlen(fx->text);
    o.state_dir = fx->dir;
    o.platform = VT_TEE_MOCK;
    o.measure_only = true;
    if (vt_gw_trust_boot(&fx->t, &o, &err) != VT_OK)
        fail_msg("boot: %s", err.msg);
    assert_int_equal(vt_pkey_generate(&fx->t->key, VT_KEY_EC_P256, NULL), VT_OK);
    fx->t->passport = strdup("eyJhbGciOiJFUzI1NiJ9.e30.c2ln");
    assert_non_null(fx->t->passport);
    asked = 0;
    return true;
}

static void teardown(fixture *fx)
{
    vt_gw_trust_free(fx->t); /* removes the plaintext it decrypted */
    vt_gw_config_free(&fx->cfg);
    vt_test_rmdir(fx->dir);
    rmdir(fx->into);
    free(answer);
    answer = NULL;
    vt_wipe(fx->key, sizeof(fx->key));
}

/* The broker's 200 answer: the model key (64 hex, as 'model keygen' writes it) encrypted to the
 * gateway's enclave key, its protected header naming kid (NULL: no kid). */
static void broker_answers(const fixture *fx, const char *kid)
{
    char hex[65], *jwe = NULL;

    vt_hex_encode(hex, fx->key, sizeof(fx->key));
    assert_int_equal(vt_jwe_encrypt(&jwe, fx->t->key, kid, (const uint8_t *)hex, 64, NULL), VT_OK);
    free(answer);
    assert_int_not_equal(asprintf(&answer, "{\"resource\":\"" RESOURCE "\",\"passport\":\"pass-1\",\"jwe\":\"%s\"}",
                                  jwe),
                         -1);
    free(jwe);
    vt_wipe(hex, sizeof(hex));
}

/* Another resource's key (a genuine answer of the broker, swapped) is refused before it is used:
 * the error names both resources, and no plaintext is written. */
static void test_gateway_model_keys__answer_for_another_resource_refused(void **state)
{
    fixture fx;
    vt_err err = { 0 };

    (void)state;
    if (!setup(&fx))
        skip();
    broker_answers(&fx, "other-key");
    assert_int_equal(vt__gw_model_keys_open(fx.t, &err), VT_E_POLICY);
    assert_int_equal(asked, 1);
    assert_non_null(strstr(err.msg, "answer for '" RESOURCE "' is not that resource's key"));
    assert_non_null(strstr(err.msg, "'other-key'"));
    assert_int_not_equal(access(fx.out, F_OK), 0);
    teardown(&fx);
}

/* An answer whose header names no resource is refused too. */
static void test_gateway_model_keys__answer_naming_no_resource_refused(void **state)
{
    fixture fx;
    vt_err err = { 0 };

    (void)state;
    if (!setup(&fx))
        skip();
    broker_answers(&fx, NULL);
    assert_int_equal(vt__gw_model_keys_open(fx.t, &err), VT_E_POLICY);
    assert_non_null(strstr(err.msg, "names no kid"));
    assert_int_not_equal(access(fx.out, F_OK), 0);
    teardown(&fx);
}

/* The answer for the resource asked for opens the model. */
static void test_gateway_model_keys__answer_for_the_resource_decrypts(void **state)
{
    fixture fx;
    vt_err err = { 0 };
    vt_buf b;

    (void)state;
    if (!setup(&fx))
        skip();
    broker_answers(&fx, RESOURCE);
    if (vt__gw_model_keys_open(fx.t, &err) != VT_OK)
        fail_msg("open: %s", err.msg);
    vt_buf_init(&b);
    assert_int_equal(vt_file_read(&b, fx.out, 4096, &err), VT_OK);
    assert_int_equal(b.len, strlen(PLAIN));
    assert_memory_equal(b.data, PLAIN, b.len);
    vt_buf_free(&b);
    teardown(&fx);
    assert_int_not_equal(access(fx.out, F_OK), 0); /* removed with the gateway */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gateway_model_keys__answer_for_another_resource_refused),
        cmocka_unit_test(test_gateway_model_keys__answer_naming_no_resource_refused),
        cmocka_unit_test(test_gateway_model_keys__answer_for_the_resource_decrypts),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
