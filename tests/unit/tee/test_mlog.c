/* The measurement log: event binding, replay, parsing untrusted logs, register
 * extension, and the registry's replay check against evidence. */
#include "vt_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void digest_of(uint8_t out[32], const char *s)
{
    assert_int_equal(vt_digest(VT_MD_SHA256, s, strlen(s), out, NULL), VT_OK);
}

static vt_mlog *sample_log(void)
{
    vt_mlog *l = NULL;
    uint8_t d[32];

    assert_int_equal(vt_mlog_new(&l, NULL), VT_OK);
    digest_of(d, "weights");
    assert_int_equal(vt_mlog_append(l, VT_COMPONENT_MODEL, "llama-3-8b", VT_MD_SHA256, d, 32, NULL, NULL), VT_OK);
    digest_of(d, "pii");
    assert_int_equal(vt_mlog_append(l, VT_COMPONENT_AUDITOR, "pii", VT_MD_SHA256, d, 32, NULL, NULL), VT_OK);
    return l;
}

/* data48 and the replay, recomputed from the definition in mlog.h. */
static void test_attest_mlog__replay_matches_definition(void **state)
{
    vt_mlog *l = sample_log();
    uint8_t reg[48] = { 0 }, got[48];

    (void)state;
    for (size_t i = 0; i < vt_mlog_count(l); i++) {
        const vt_mlog_event *e = vt_mlog_get(l, i);
        size_t n = strlen(e->name);
        uint8_t rec[512], data[48];
        size_t k = 0;
        memcpy(rec, "veritee-event-v1", 17); /* with its NUL */
        k = 17;
        rec[k++] = (uint8_t)e->component;
        rec[k++] = (uint8_t)n;
        rec[k++] = (uint8_t)(n >> 8);
        memcpy(rec + k, e->name, n);
        k += n;
        rec[k++] = (uint8_t)e->alg;
        rec[k++] = (uint8_t)e->digest_len;
        memcpy(rec + k, e->digest, e->digest_len);
        k += e->digest_len;
        assert_int_equal(vt_digest(VT_MD_SHA384, rec, k, data, NULL), VT_OK);
        {
            uint8_t cat[96];
            memcpy(cat, reg, 48);
            memcpy(cat + 48, data, 48);
            assert_int_equal(vt_digest(VT_MD_SHA384, cat, sizeof(cat), reg, NULL), VT_OK);
        }
    }
    assert_int_equal(vt_mlog_replay(got, l, NULL), VT_OK);
    assert_memory_equal(got, reg, 48);
    vt_mlog_free(l);
}

static void test_attest_mlog__json_round_trip_and_order_matters(void **state)
{
    vt_mlog *l = sample_log(), *back = NULL, *swapped = NULL;
    char *text = NULL;
    uint8_t a[48], b[48], d[32];

    (void)state;
    assert_int_equal(vt_mlog_to_json(&text, l, NULL), VT_OK);
    assert_int_equal(vt_mlog_parse(&back, (const uint8_t *)text, strlen(text), NULL), VT_OK);
    assert_int_equal(vt_mlog_replay(a, l, NULL), VT_OK);
    assert_int_equal(vt_mlog_replay(b, back, NULL), VT_OK);
    assert_memory_equal(a, b, 48);
    /* The same events in another order are another boot. */
    assert_int_equal(vt_mlog_new(&swapped, NULL), VT_OK);
    digest_of(d, "pii");
    assert_int_equal(vt_mlog_append(swapped, VT_COMPONENT_AUDITOR, "pii", VT_MD_SHA256, d, 32, NULL, NULL), VT_OK);
    digest_of(d, "weights");
    assert_int_equal(vt_mlog_append(swapped, VT_COMPONENT_MODEL, "llama-3-8b", VT_MD_SHA256, d, 32, NULL, NULL),
                     VT_OK);
    assert_int_equal(vt_mlog_replay(b, swapped, NULL), VT_OK);
    assert_memory_not_equal(a, b, 48);
    free(text);
    vt_mlog_free(l);
    vt_mlog_free(back);
    vt_mlog_free(swapped);
}

static void test_attest_mlog__rejects_bad_logs(void **state)
{
    static const char *bad[] = {
        "",
        "[]",
        "{\"format\":\"other\",\"register\":\"sha384\",\"events\":[]}",
        "{\"format\":\"veritee-mlog-v1\",\"register\":\"sha1\",\"events\":[]}",
        "{\"format\":\"veritee-mlog-v1\",\"register\":\"sha384\",\"events\":{}}",
        "{\"format\":\"veritee-mlog-v1\",\"register\":\"sha384\",\"events\":[{\"component\":\"model\",\"name\":\"m\","
        "\"alg\":\"sha256\",\"digest\":\"00\"}]}",
        "{\"format\":\"veritee-mlog-v1\",\"register\":\"sha384\",\"events\":[{\"component\":\"weights\",\"name\":\"m\","
        "\"alg\":\"sha256\",\"digest\":\"0000000000000000000000000000000000000000000000000000000000000000\"}]}",
        "{\"format\":\"veritee-mlog-v1\",\"register\":\"sha384\",\"events\":[{\"component\":\"model\",\"name\":\"\","
        "\"alg\":\"sha256\",\"digest\":\"0000000000000000000000000000000000000000000000000000000000000000\"}]}",
        "{\"format\":\"veritee-mlog-v1\",\"register\":\"sha384\",\"events\":[{\"component\":\"model\",\"name\":\"m\","
        "\"alg\":\"md5\",\"digest\":\"00000000000000000000000000000000\"}]}",
        "{\"format\":\"veritee-mlog-v1\",\"register\":\"sha384\",\"events\":[{\"component\":\"model\",\"name\":\"m\","
        "\"alg\":\"sha256\",\"digest\":\"0000000000000000000000000000000000000000000000000000000000000000\","
        "\"extra\":1}]}",
    };
    vt_mlog *l = NULL;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        vt_err err = { 0 };
        vt_status rc = vt_mlog_parse(&l, (const uint8_t *)bad[i], strlen(bad[i]), &err);
        if (rc == VT_OK)
            fail_msg("bad log %zu accepted", i);
        assert_null(l);
        assert_true(err.msg[0] != '\0');
    }
}

static void test_attest_mlog__limits(void **state)
{
    vt_mlog *l = NULL;
    vt_buf b;
    uint8_t d[32] = { 0 };
    vt_err err = { 0 };
    char *text = NULL;

    (void)state;
    vt_buf_init(&b);
    assert_int_equal(vt_buf_reserve(&b, VT_MLOG_MAX_BYTES + 1, NULL), VT_OK);
    memset(b.data, ' ', VT_MLOG_MAX_BYTES + 1);
    assert_int_equal(vt_mlog_parse(&l, b.data, VT_MLOG_MAX_BYTES + 1, &err), VT_E_LIMIT);
    assert_int_equal(vt_mlog_new(&l, NULL), VT_OK);
    for (int i = 0; i < VT_MLOG_MAX_EVENTS; i++)
        assert_int_equal(vt_mlog_append(l, VT_COMPONENT_OTHER, "e", VT_MD_SHA256, d, 32, NULL, NULL), VT_OK);
    assert_int_equal(vt_mlog_append(l, VT_COMPONENT_OTHER, "e", VT_MD_SHA256, d, 32, NULL, &err), VT_E_LIMIT);
    assert_int_equal(vt_mlog_append(l, VT_COMPONENT_OTHER, "e", VT_MD_SHA384, d, 32, NULL, &err), VT_E_ARG);
    assert_int_equal(vt_mlog_to_json(&text, l, NULL), VT_OK);
    free(text);
    vt_mlog_free(l);
    vt_buf_free(&b);
}

static void test_attest_mlog__every_truncation_rejected(void **state)
{
    vt_mlog *l = sample_log(), *back = NULL;
    char *text = NULL;

    (void)state;
    assert_int_equal(vt_mlog_to_json(&text, l, NULL), VT_OK);
    for (size_t n = 0; n < strlen(text) - 1; n++) {
        if (vt_mlog_parse(&back, (const uint8_t *)text, n, NULL) == VT_OK)
            fail_msg("truncation to %zu accepted", n);
    }
    free(text);
    vt_mlog_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_attest_mlog__replay_matches_definition),
        cmocka_unit_test(test_attest_mlog__json_round_trip_and_order_matters),
        cmocka_unit_test(test_attest_mlog__rejects_bad_logs),
        cmocka_unit_test(test_attest_mlog__limits),
        cmocka_unit_test(test_attest_mlog__every_truncation_rejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
