/* The key broker's generations as the log says (src/verifier/kbs_gen.c): which log entries
 * count, and how a resource's generation and event follow them.  Failure cases first. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vt_test.h"

#include "verifier/kbs_gen.h"

/* A compact JWS with this header and payload (unsigned: the learner reads entries from a tree
 * it checked, and never verifies signatures). */
static char *token(const char *header, const char *payload)
{
    vt_buf h, p;
    char *t = NULL;

    vt_buf_init(&h);
    vt_buf_init(&p);
    assert_int_equal(vt_base64_encode(&h, (const uint8_t *)header, strlen(header), true, NULL), VT_OK);
    assert_int_equal(vt_base64_encode(&p, (const uint8_t *)payload, strlen(payload), true, NULL), VT_OK);
    assert_int_not_equal(asprintf(&t, "%.*s.%.*s.c2ln", (int)h.len, (const char *)h.data, (int)p.len,
                                  (const char *)p.data),
                         -1);
    vt_buf_free(&h);
    vt_buf_free(&p);
    return t;
}

#define HDR "{\"alg\":\"ES256\",\"kid\":\"k\",\"typ\":\"" VF_KBS_RESOURCE_TYP "\"}"

static void learn(vf_kbs_gen *g, const char *header, const char *payload)
{
    char *t = token(header, payload);
    vf_kbs_gen_learn(g, 0, (const uint8_t *)t, strlen(t));
    free(t);
}

static void entry(vf_kbs_gen *g, const char *id, long long gen, const char *event)
{
    char p[256];
    snprintf(p, sizeof(p), "{\"type\":\"kbs_resource\",\"resource\":\"%s\",\"generation\":%lld,\"event\":\"%s\","
                           "\"policy\":\"00\",\"iat\":1}", id, gen, event);
    learn(g, HDR, p);
}

/* Entries that are not a registration or revocation of a valid id at a valid generation teach
 * nothing. */
static void test_verifier_kbs_gen__other_entries_ignored(void **state)
{
    vf_kbs_gen *g = NULL;
    uint64_t gen = 9;
    bool reg = true;
    static const char *const payloads[] = {
        "{\"type\":\"kbs_release\",\"resource\":\"r\",\"generation\":1,\"event\":\"registered\"}",
        "{\"type\":\"kbs_resource\",\"resource\":\"r\",\"generation\":0,\"event\":\"registered\"}",
        "{\"type\":\"kbs_resource\",\"resource\":\"r\",\"generation\":-1,\"event\":\"registered\"}",
        "{\"type\":\"kbs_resource\",\"resource\":\"r\",\"generation\":9007199254740993,\"event\":\"registered\"}",
        "{\"type\":\"kbs_resource\",\"resource\":\"r\",\"generation\":\"1\",\"event\":\"registered\"}",
        "{\"type\":\"kbs_resource\",\"resource\":\"r\",\"generation\":1.5,\"event\":\"registered\"}",
        "{\"type\":\"kbs_resource\",\"resource\":\"r\",\"generation\":1,\"event\":\"released\"}",
        "{\"type\":\"kbs_resource\",\"resource\":\"r/x\",\"generation\":1,\"event\":\"registered\"}",
        "{\"type\":\"kbs_resource\",\"resource\":\"\",\"generation\":1,\"event\":\"registered\"}",
        "{\"type\":\"kbs_resource\",\"generation\":1,\"event\":\"registered\"}",
        "{\"type\":\"kbs_resource\",\"resource\":\"r\",\"resource\":\"s\",\"generation\":1,\"event\":\"registered\"}",
        "[]",
        "not json",
    };
    static const char *const raw[] = { "", ".", "..", "a.b", "a.b.c", "e30.e30.e30", "!!!.e30.e30" };

    (void)state;
    assert_int_equal(vf_kbs_gen_new(&g, NULL), VT_OK);
    for (size_t i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++)
        learn(g, HDR, payloads[i]);
    /* A valid payload under another typ (a receipt, a passport, a release's outcome) or none. */
    learn(g, "{\"alg\":\"ES256\",\"typ\":\"veritee-kbs+jwt\"}",
          "{\"type\":\"kbs_resource\",\"resource\":\"r\",\"generation\":1,\"event\":\"registered\"}");
    learn(g, "{\"alg\":\"ES256\"}", "{\"type\":\"kbs_resource\",\"resource\":\"r\",\"generation\":1,\"event\":\"registered\"}");
    for (size_t i = 0; i < sizeof(raw) / sizeof(raw[0]); i++)
        vf_kbs_gen_learn(g, 0, (const uint8_t *)raw[i], strlen(raw[i]));
    assert_false(vf_kbs_gen_get(g, "r", &gen, &reg));
    assert_int_equal(gen, 0);
    assert_false(reg);
    assert_int_equal(vf_kbs_gen_count(g), 0);
    assert_false(vf_kbs_gen_get(NULL, "r", &gen, &reg));
    vf_kbs_gen_free(g);
}

/* The highest generation wins, whatever the order; at one generation a revocation wins. */
static void test_verifier_kbs_gen__highest_generation_wins(void **state)
{
    vf_kbs_gen *g = NULL;
    uint64_t gen = 0;
    bool reg = false;
    char id[16];

    (void)state;
    assert_int_equal(vf_kbs_gen_new(&g, NULL), VT_OK);
    entry(g, "model-key", 1, "registered");
    assert_true(vf_kbs_gen_get(g, "model-key", &gen, &reg));
    assert_int_equal(gen, 1);
    assert_true(reg);
    entry(g, "model-key", 3, "registered");
    entry(g, "model-key", 2, "revoked"); /* an older one, told late */
    assert_true(vf_kbs_gen_get(g, "model-key", &gen, &reg));
    assert_int_equal(gen, 3);
    assert_true(reg);
    entry(g, "model-key", 4, "revoked");
    entry(g, "model-key", 4, "registered");
    assert_true(vf_kbs_gen_get(g, "model-key", &gen, &reg));
    assert_int_equal(gen, 4);
    assert_false(reg);
    /* Many ids, learnt out of order, each found. */
    for (int i = 99; i >= 0; i--) {
        snprintf(id, sizeof(id), "k%02d", i);
        entry(g, id, i + 1, "registered");
    }
    assert_int_equal(vf_kbs_gen_count(g), 101);
    for (int i = 0; i < 100; i++) {
        snprintf(id, sizeof(id), "k%02d", i);
        assert_true(vf_kbs_gen_get(g, id, &gen, &reg));
        assert_int_equal(gen, (uint64_t)i + 1);
    }
    assert_false(vf_kbs_gen_get(g, "k100", &gen, &reg));
    vf_kbs_gen_free(g);
}

/* The map saved for STATE/log-follow loads back to the same map; text that is not such a map is
 * refused at its first bad line. */
static void test_verifier_kbs_gen__save_load(void **state)
{
    static const char *const bad[] = {
        "1 registered model-key",         /* no newline: cut short */
        "0 registered model-key\n",       /* generation 0 */
        "01 registered model-key\n",      /* a leading zero */
        "9007199254740993 revoked k\n",   /* past 2^53 */
        "1 granted model-key\n",          /* another event */
        "1 registered ../x\n",            /* not an id */
        "1 registered model-key extra\n", /* more on the line */
        "1  registered model-key\n",      /* two spaces */
        "\n",
    };
    vf_kbs_gen *g = NULL, *back = NULL;
    uint64_t gen = 0;
    bool reg = true;
    vt_buf one, two;
    vt_err err = { 0 };

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(vf_kbs_gen_new(&g, NULL), VT_OK);
        if (vf_kbs_gen_load(g, (const uint8_t *)bad[i], strlen(bad[i]), &err) != VT_E_FORMAT)
            fail_msg("taken: %s", bad[i]);
        vf_kbs_gen_free(g);
    }
    assert_int_equal(vf_kbs_gen_new(&g, NULL), VT_OK);
    assert_int_equal(vf_kbs_gen_new(&back, NULL), VT_OK);
    entry(g, "model-key", 4, "revoked");
    entry(g, "adapter", 2, "registered");
    vt_buf_init(&one);
    vt_buf_init(&two);
    assert_int_equal(vf_kbs_gen_save(g, &one, &err), VT_OK);
    assert_int_equal(one.len, strlen("2 registered adapter\n4 revoked model-key\n"));
    assert_memory_equal(one.data, "2 registered adapter\n4 revoked model-key\n", one.len);
    assert_int_equal(vf_kbs_gen_load(back, one.data, one.len, &err), VT_OK);
    assert_true(vf_kbs_gen_get(back, "model-key", &gen, &reg));
    assert_int_equal(gen, 4);
    assert_false(reg);
    assert_int_equal(vf_kbs_gen_save(back, &two, &err), VT_OK);
    assert_int_equal(one.len, two.len);
    assert_memory_equal(one.data, two.data, one.len);
    vt_buf_free(&one);
    vt_buf_free(&two);
    vf_kbs_gen_free(g);
    vf_kbs_gen_free(back);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verifier_kbs_gen__other_entries_ignored),
        cmocka_unit_test(test_verifier_kbs_gen__highest_generation_wins),
        cmocka_unit_test(test_verifier_kbs_gen__save_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
