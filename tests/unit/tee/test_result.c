/* Claims as the plugins record them (tee/result.c): text claims stay text only when
 * every byte is printable, and the JSON shows text as a string and bytes as hex. */
#include "vt_test.h"

#include <stdlib.h>
#include <string.h>

#include "tee/plugin.h"

static char *json_of(const vt_claims *c)
{
    char *json = NULL;

    assert_int_equal(vt_claims_to_json(&json, c, NULL), VT_OK);
    return json;
}

static void test_tee_result__text_claim_is_a_json_string(void **state)
{
    vt_claims *c = calloc(1, sizeof(*c));
    char *json;

    (void)state;
    assert_non_null(c);
    vt__claims_add_text(c, "driver_version", "550.90.07");
    assert_int_equal(c->field_count, 1);
    assert_true(c->fields[0].text);
    assert_int_equal(c->fields[0].len, 9);
    json = json_of(c);
    assert_non_null(strstr(json, "\"driver_version\": \"550.90.07\""));
    assert_null(strstr(json, "3535302e")); /* not hex any more */
    free(json);
    free(c);
}

static void test_tee_result__unprintable_text_falls_back_to_hex(void **state)
{
    vt_claims *c = calloc(1, sizeof(*c));
    char *json;

    (void)state;
    assert_non_null(c);
    vt__claims_add_text(c, "module_id", "i-\x01\x7f\"x");
    vt__claims_add_text(c, "digest", "\xc3\xa9"); /* UTF-8 is not printable ASCII */
    vt__claims_add_text(c, "empty", "");
    assert_int_equal(c->field_count, 3);
    assert_false(c->fields[0].text);
    assert_false(c->fields[1].text);
    assert_false(c->fields[2].text);
    json = json_of(c);
    assert_non_null(strstr(json, "\"module_id\": \"692d017f2278\""));
    assert_non_null(strstr(json, "\"digest\": \"c3a9\""));
    assert_non_null(strstr(json, "\"empty\": \"\""));
    free(json);
    free(c);
}

static void test_tee_result__binary_claim_stays_hex_and_copy_keeps_kind(void **state)
{
    vt_claims *c = calloc(1, sizeof(*c));
    static const uint8_t b[3] = { 0x41, 0x42, 0x43 }; /* printable bytes, but binary */
    char *json;

    (void)state;
    assert_non_null(c);
    vt__claims_add(c, "mr", b, sizeof(b));
    vt__claims_add_text(c, "vbios_version", "96.00.9F.00.01");
    vt__claims_copy(c, "cpu.mr", &c->fields[0]);
    vt__claims_copy(c, "cpu.vbios_version", &c->fields[1]);
    /* A claim flagged text with bytes that are not printable is shown as hex. */
    c->fields[0].text = true;
    c->fields[0].value[0] = 0x07;
    json = json_of(c);
    assert_non_null(strstr(json, "\"mr\": \"074243\""));
    assert_non_null(strstr(json, "\"cpu.mr\": \"414243\""));
    assert_non_null(strstr(json, "\"cpu.vbios_version\": \"96.00.9F.00.01\""));
    assert_false(c->fields[2].text);
    assert_true(c->fields[3].text);
    free(json);
    free(c);
}

static void test_tee_result__full_claims_drop_text_silently(void **state)
{
    vt_claims *c = calloc(1, sizeof(*c));
    char big[VT_CLAIM_VALUE_MAX + 2];

    (void)state;
    assert_non_null(c);
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    vt__claims_add_text(c, "too_long", big); /* over VT_CLAIM_VALUE_MAX: not added */
    assert_int_equal(c->field_count, 0);
    c->field_count = VT_CLAIMS_MAX;
    vt__claims_add_text(c, "x", "y"); /* full: not added, nothing overwritten */
    assert_int_equal(c->field_count, VT_CLAIMS_MAX);
    free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tee_result__text_claim_is_a_json_string),
        cmocka_unit_test(test_tee_result__unprintable_text_falls_back_to_hex),
        cmocka_unit_test(test_tee_result__binary_claim_stays_hex_and_copy_keeps_kind),
        cmocka_unit_test(test_tee_result__full_claims_drop_text_silently),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
