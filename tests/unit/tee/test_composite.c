/* Composite evidence (tee/composite.c) made entirely by the simulators: a
 * simulated TDX quote whose report_data is the binding, and simulated Nitro
 * documents standing in for devices (their report_data is their nonce, as a
 * GPU's is its SPDM nonce).  The real NVIDIA vectors go through the same
 * code in tests/e2e/test_composite.sh. */
#include "vt_test.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define T0 1748736000 /* 2025-06-01T00:00:00Z */
#define NDEV 2

struct fx {
    char state[512];
    uint8_t nonce[32];
    uint8_t pub[5];
    vt_buf dev[NDEV + 1]; /* the last one: same nonce, not bound */
    vt_buf other_nonce_dev;
    vt_buf quote;
    vt_collateral *coll;
    vt_buf container;
};

static void sim_dev(vt_buf *out, const struct fx *f, const uint8_t nonce[32])
{
    vt_sim_nitro_opts o;
    vt_err err = { 0 };

    memset(&o, 0, sizeof(o));
    o.nonce = nonce;
    o.nonce_len = 32;
    o.now = T0;
    o.state_dir = f->state;
    if (vt_sim_nitro(out, &o, &err) != VT_OK)
        fail_msg("vt_sim_nitro: %s", err.msg);
}

static vt_status build(vt_buf *out, struct fx *f, const vt_buf *devs, size_t n)
{
    vt_composite_part cpu = { VT_TEE_TDX, f->quote.data, f->quote.len, f->coll };
    vt_composite_part parts[NDEV + 1];
    vt_err err = { 0 };

    for (size_t i = 0; i < n; i++)
        parts[i] = (vt_composite_part){ VT_TEE_NONE, devs[i].data, devs[i].len, NULL };
    out->len = 0;
    return vt_composite_build(out, &cpu, parts, n, f->nonce, sizeof(f->nonce), f->pub, sizeof(f->pub), &err);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    uint8_t other[32], digests[NDEV][VT_COMPOSITE_DIGEST_LEN];
    vt_sim_tdx_opts to;
    vt_err err = { 0 };

    assert_non_null(f);
    vt_test_mkdtemp(f->state, sizeof(f->state));
    for (int i = 0; i < 32; i++) {
        f->nonce[i] = (uint8_t)(0x30 + i);
        other[i] = (uint8_t)(0x90 + i);
    }
    memcpy(f->pub, "\x04\x01\x02\x03\x04", 5);
    for (int i = 0; i <= NDEV; i++)
        sim_dev(&f->dev[i], f, f->nonce);
    sim_dev(&f->other_nonce_dev, f, other);
    for (int i = 0; i < NDEV; i++)
        assert_int_equal(vt_digest(VT_MD_SHA384, f->dev[i].data, f->dev[i].len, digests[i], &err), VT_OK);
    memset(&to, 0, sizeof(to));
    to.version = 4;
    to.now = T0;
    to.state_dir = f->state;
    assert_int_equal(vt_composite_binding(to.report_data, f->nonce, 32, f->pub, sizeof(f->pub),
                                          (const uint8_t(*)[VT_COMPOSITE_DIGEST_LEN])digests, NDEV, &err),
                     VT_OK);
    assert_int_equal(vt_collateral_new(&f->coll, &err), VT_OK);
    if (vt_sim_tdx(&f->quote, f->coll, &to, &err) != VT_OK)
        fail_msg("vt_sim_tdx: %s", err.msg);
    assert_int_equal(build(&f->container, f, f->dev, NDEV), VT_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    for (int i = 0; i <= NDEV; i++)
        vt_buf_free(&f->dev[i]);
    vt_buf_free(&f->other_nonce_dev);
    vt_buf_free(&f->quote);
    vt_buf_free(&f->container);
    vt_collateral_free(f->coll);
    vt_test_rmdir(f->state);
    free(f);
    return 0;
}

static vt_status verify(vt_result *res, const struct fx *f, const uint8_t *p, size_t len, bool expect_nonce)
{
    vt_verify_opts vo;
    uint8_t want[64];
    vt_err err = { 0 };

    memset(&vo, 0, sizeof(vo));
    vo.now = T0 + 60;
    vo.trust_sim = true;
    vo.state_dir = f->state;
    vo.allow_missing_collateral = true; /* the Nitro stand-ins have no TCB collateral */
    if (expect_nonce) {
        assert_int_equal(vt_report_data_bind(want, f->nonce, sizeof(f->nonce), f->pub, sizeof(f->pub), &err), VT_OK);
        vo.expected_report_data = want;
        vo.expected_report_data_len = sizeof(want);
    }
    return vt_evidence_verify(res, p, len, &vo, &err);
}

static const char *error_msg(const vt_result *r, const char *check)
{
    for (size_t i = 0; i < r->error_count; i++)
        if (strcmp(r->errors[i].check, check) == 0)
            return r->errors[i].msg;
    return NULL;
}

/* The binding is exactly the framing composite.h and composite.md describe. */
static void test_tee_composite__binding_framing(void **state)
{
    static const uint8_t d[2][VT_COMPOSITE_DIGEST_LEN] = { { 1 }, { 2 } };
    uint8_t nonce[32] = { 9 }, pub[3] = { 7, 7, 7 }, got[64], want[64];
    const void *parts[8];
    size_t lens[8];
    vt_err err = { 0 };

    (void)state;
    parts[0] = "veritee-composite-v1";
    lens[0] = 20;
    parts[1] = "\0\0\0\x20";
    lens[1] = 4;
    parts[2] = nonce;
    lens[2] = 32;
    parts[3] = "\0\0\0\x03";
    lens[3] = 4;
    parts[4] = pub;
    lens[4] = 3;
    parts[5] = "\0\0\0\x02";
    lens[5] = 4;
    parts[6] = d[0];
    lens[6] = 48;
    parts[7] = d[1];
    lens[7] = 48;
    assert_int_equal(vt_digestv(VT_MD_SHA512, parts, lens, 8, want, &err), VT_OK);
    assert_int_equal(vt_composite_binding(got, nonce, 32, pub, 3, d, 2, &err), VT_OK);
    assert_memory_equal(got, want, 64);
    assert_int_equal(vt_composite_binding(got, nonce, 31, pub, 3, d, 2, &err), VT_E_ARG);
    assert_int_equal(vt_composite_binding(got, nonce, 32, NULL, 3, d, 2, &err), VT_E_ARG);
    assert_int_equal(vt_composite_binding(got, nonce, 32, pub, 3, d, VT_COMPOSITE_DEVICES_MAX + 1, &err), VT_E_ARG);
}

static void test_tee_composite__accepted(void **state)
{
    struct fx *f = *state;
    vt_result res;
    char *js = NULL;
    vt_err err = { 0 };

    assert_int_equal(vt_evidence_probe(f->container.data, f->container.len), VT_TEE_COMPOSITE);
    assert_int_equal(verify(&res, f, f->container.data, f->container.len, true), VT_OK);
    if (!res.valid)
        fail_msg("rejected: [%s] %s", res.errors[0].check, res.errors[0].msg);
    assert_int_equal(res.claims.platform, VT_TEE_COMPOSITE);
    assert_true(res.signature_valid);
    assert_true(res.chain_valid);
    assert_false(res.claims.hardware_attested);
    assert_non_null(vt_claims_get(&res.claims, "binding"));
    assert_non_null(vt_claims_get(&res.claims, "dev1.sha384"));
    assert_non_null(vt_claims_get(&res.claims, "cpu.mrtd"));
    assert_non_null(vt_claims_get(&res.claims, "cpu.td_attributes"));
    assert_non_null(vt_claims_get(&res.claims, "cpu_platform")); /* the appraisal's rules for the cpu.* claims */
    assert_int_equal(vt_claims_get(&res.claims, "cpu_platform")->len, 3);
    assert_memory_equal(vt_claims_get(&res.claims, "cpu_platform")->value, "tdx", 3);
    assert_memory_equal(vt_claims_get(&res.claims, "nonce")->value, f->nonce, 32);
    assert_int_equal(vt_evidence_inspect(&js, VT_TEE_NONE, f->container.data, f->container.len, &err), VT_OK);
    assert_non_null(strstr(js, "\"sha384_matches_evidence\": true"));
    assert_non_null(strstr(js, "\"mrtd\""));
    free(js);
}

static void test_tee_composite__wrong_expected_nonce(void **state)
{
    struct fx *f = *state;
    vt_result res;
    vt_verify_opts vo;
    uint8_t want[64] = { 0 };
    vt_err err = { 0 };

    memset(&vo, 0, sizeof(vo));
    vo.now = T0 + 60;
    vo.trust_sim = true;
    vo.state_dir = f->state;
    vo.allow_missing_collateral = true;
    vo.expected_report_data = want;
    vo.expected_report_data_len = sizeof(want);
    assert_int_equal(vt_evidence_verify(&res, f->container.data, f->container.len, &vo, &err), VT_OK);
    assert_false(res.valid);
    assert_non_null(error_msg(&res, "report_data"));
}

/* A device replaced inside the container, its listed digest left alone. */
static void test_tee_composite__spliced_device_named(void **state)
{
    struct fx *f = *state;
    vt_buf other;
    json_t *root, *dev;
    vt_result res;
    char *text;
    const char *msg;

    vt_buf_init(&other);
    assert_int_equal(build(&other, f, &f->dev[1], NDEV), VT_OK); /* devices[0] = the unbound dev[2] */
    root = json_loadb((const char *)f->container.data, f->container.len, 0, NULL);
    dev = json_loadb((const char *)other.data, other.len, 0, NULL);
    assert_non_null(root);
    assert_non_null(dev);
    json_object_set(json_array_get(json_object_get(root, "devices"), 1), "evidence",
                    json_object_get(json_array_get(json_object_get(dev, "devices"), 1), "evidence"));
    text = json_dumps(root, JSON_PRESERVE_ORDER);
    assert_int_equal(verify(&res, f, (const uint8_t *)text, strlen(text), true), VT_OK);
    assert_false(res.valid);
    msg = error_msg(&res, "binding");
    assert_non_null(msg);
    assert_non_null(strstr(msg, "devices[1]"));
    assert_non_null(strstr(msg, "not the report the CPU committed to"));
    free(text);
    json_decref(root);
    json_decref(dev);
    vt_buf_free(&other);
}

/* A device set rebuilt around another report: the CPU no longer commits to it. */
static void test_tee_composite__rebuilt_set_rejected(void **state)
{
    struct fx *f = *state;
    vt_buf other, devs[NDEV];
    vt_result res;
    const char *msg;

    vt_buf_init(&other);
    devs[0] = f->dev[0];
    devs[1] = f->dev[2];
    assert_int_equal(build(&other, f, devs, NDEV), VT_OK);
    assert_int_equal(verify(&res, f, other.data, other.len, true), VT_OK);
    assert_false(res.valid);
    msg = error_msg(&res, "binding");
    assert_non_null(msg);
    assert_non_null(strstr(msg, "does not commit"));
    /* Dropping a device is the same. */
    assert_int_equal(build(&other, f, f->dev, 1), VT_OK);
    assert_int_equal(verify(&res, f, other.data, other.len, true), VT_OK);
    assert_false(res.valid);
    assert_non_null(error_msg(&res, "binding"));
    vt_buf_free(&other);
}

static void test_tee_composite__other_nonce_named(void **state)
{
    struct fx *f = *state;
    vt_buf other, devs[NDEV];
    vt_result res;
    bool named = false;

    vt_buf_init(&other);
    devs[0] = f->dev[0];
    devs[1] = f->other_nonce_dev;
    assert_int_equal(build(&other, f, devs, NDEV), VT_OK);
    assert_int_equal(verify(&res, f, other.data, other.len, false), VT_OK);
    assert_false(res.valid);
    for (size_t i = 0; i < res.error_count; i++)
        named = named || strstr(res.errors[i].msg, "devices[1] (nitro) was not collected with the composite nonce");
    assert_true(named);
    vt_buf_free(&other);
}

static void test_tee_composite__truncations(void **state)
{
    struct fx *f = *state;
    vt_result *res = malloc(sizeof(*res));
    size_t step = f->container.len / 60 + 1;

    assert_non_null(res);
    for (size_t n = 0; n < f->container.len - 1; n += step) {
        vt_status rc = verify(res, f, f->container.data, n, false);
        if (rc != VT_E_FORMAT)
            fail_msg("prefix of %zu bytes: status %d", n, rc);
        assert_false(res->valid);
    }
    free(res);
}

static void test_tee_composite__tampered_fields(void **state)
{
    struct fx *f = *state;
    static const char *const edits[][2] = {
        { "\"format\": \"veritee-composite-v1\"", "\"format\": \"veritee-composite-v1\", \"x\": 1" },
        { "\"platform\": \"nitro\"", "\"platform\": \"composite\"" },
        { "\"platform\": \"tdx\"", "\"platform\": \"sevsnp\"" },
        { "\"nonce\": \"30", "\"nonce\": \"3" },
        { "\"sha384\": \"", "\"sha384\": \"00" },
        { "\"evidence\": \"", "\"evidence\": \"!" },
    };
    vt_result res;

    for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
        char *s = malloc(f->container.len + 64), *at;
        size_t pre, olen = strlen(edits[i][0]), nlen = strlen(edits[i][1]);
        vt_status rc;

        assert_non_null(s);
        memcpy(s, f->container.data, f->container.len);
        s[f->container.len] = '\0';
        at = strstr(s, edits[i][0]);
        if (at == NULL)
            fail_msg("edit %zu: '%s' not in the container", i, edits[i][0]);
        pre = (size_t)(at - s);
        memmove(at + nlen, at + olen, f->container.len - pre - olen + 1);
        memcpy(at, edits[i][1], nlen);
        rc = verify(&res, f, (const uint8_t *)s, strlen(s), false);
        if (rc != VT_E_FORMAT)
            fail_msg("edit %zu: status %d, not a format error", i, rc);
        assert_false(res.valid);
        free(s);
    }
}

static void test_tee_composite__build_args(void **state)
{
    struct fx *f = *state;
    vt_composite_part cpu = { VT_TEE_TDX, f->quote.data, f->quote.len, NULL };
    vt_composite_part dev = { VT_TEE_NONE, f->dev[0].data, f->dev[0].len, NULL };
    vt_composite_part nested = { VT_TEE_NONE, f->container.data, f->container.len, NULL };
    vt_composite_part liar = { VT_TEE_TDX, f->dev[0].data, f->dev[0].len, NULL };
    vt_buf out;
    vt_err err = { 0 };

    vt_buf_init(&out);
    assert_int_equal(vt_composite_build(&out, &cpu, &dev, 1, f->nonce, 31, NULL, 0, &err), VT_E_ARG);
    assert_int_equal(vt_composite_build(&out, &cpu, &dev, 0, f->nonce, 32, NULL, 0, &err), VT_E_ARG);
    assert_int_equal(vt_composite_build(&out, &cpu, &nested, 1, f->nonce, 32, NULL, 0, &err), VT_E_ARG);
    assert_int_equal(vt_composite_build(&out, &cpu, &liar, 1, f->nonce, 32, NULL, 0, &err), VT_E_ARG);
    assert_int_equal(out.len, 0);
    vt_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tee_composite__binding_framing),
        cmocka_unit_test_setup_teardown(test_tee_composite__accepted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tee_composite__wrong_expected_nonce, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tee_composite__spliced_device_named, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tee_composite__rebuilt_set_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tee_composite__other_nonce_named, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tee_composite__truncations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tee_composite__tampered_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tee_composite__build_args, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
