/* Environments: strict parsing of untrusted JSON, defaults, canonical form. */
#include "vt_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define D32 "3f2a000000000000000000000000000000000000000000000000000000000001"
#define D48 "aa00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000bb"

static const char good[] = "{\"id\":\"prod-llm\",\"description\":\"production\","
                           "\"platforms\":[\"tdx\",\"sevsnp\"],"
                           "\"registers\":{\"mrtd\":\"" D48 "\",\"rtmr0\":\"" D48 "\"},"
                           "\"components\":{\"model\":[\"" D32 "\"],\"auditors\":[\"" D32 "\",\"" D48 "\"]},"
                           "\"min_tcb_status\":\"SWHardeningNeeded\",\"allow_debug\":false,"
                           "\"allow_simulated\":true,\"max_evidence_age\":120,\"passport_lifetime\":600,"
                           "\"sevsnp_min_tcb\":{\"milan\":{\"bootloader\":3,\"tee\":0,\"snp\":8,\"microcode\":115},"
                           "\"turin\":{\"fmc\":1,\"bootloader\":2,\"tee\":0,\"snp\":3,\"microcode\":70}},"
                           "\"sevsnp_allow_smt\":false,\"sevsnp_max_vmpl\":2,\"sevsnp_allow_migration_agent\":true,"
                           "\"tdx_td_attributes\":\"0000001000000000\",\"tdx_td_attributes_mask\":\"01000030000000c0\","
                           "\"azure_tdx_td_attributes\":\"0000000000000000\","
                           "\"azure_tdx_td_attributes_mask\":\"0100002000000080\"}";

static void test_appraise_env__good_and_roundtrip(void **state)
{
    vt_env *e = calloc(1, sizeof(*e)), *back = calloc(1, sizeof(*back));
    char *json = NULL;
    vt_err err = { 0 };

    (void)state;
    assert_int_equal(vt_env_parse(e, good, strlen(good), NULL, &err), VT_OK);
    assert_string_equal(e->id, "prod-llm");
    assert_int_equal(e->platforms, (1u << VT_TEE_TDX) | (1u << VT_TEE_SEVSNP));
    assert_int_equal(e->register_count, 2);
    assert_string_equal(e->registers[0].name, "mrtd");
    assert_int_equal(e->registers[0].len, 48);
    assert_int_equal(e->digest_count[VT_SUBMOD_MODEL], 1);
    assert_int_equal(e->digest_count[VT_SUBMOD_AUDITORS], 2);
    assert_int_equal(e->digest_count[VT_SUBMOD_RUNTIME], 0);
    assert_int_equal(e->digests[VT_SUBMOD_AUDITORS][1].len, 48);
    assert_string_equal(e->min_tcb_status, "SWHardeningNeeded");
    assert_true(e->allow_simulated);
    assert_int_equal(e->max_evidence_age, 120);
    assert_int_equal(e->passport_lifetime, 600);
    assert_true(e->snp_min_tcb[0].set);
    assert_false(e->snp_min_tcb[1].set);
    assert_true(e->snp_min_tcb[2].set);
    assert_int_equal(e->snp_min_tcb[0].microcode, 115);
    assert_int_equal(e->snp_min_tcb[2].fmc, 1);
    assert_false(e->snp_allow_smt);
    assert_int_equal(e->snp_max_vmpl, 2);
    assert_true(e->snp_allow_migration_agent);
    assert_true(e->tdx_attributes == UINT64_C(0x10000000));
    assert_true(e->tdx_attributes_mask == UINT64_C(0xc000000030000001));
    assert_true(e->azure_tdx_attributes == 0);
    assert_true(e->azure_tdx_attributes_mask == UINT64_C(0x8000000020000001));

    assert_int_equal(vt_env_to_json(&json, e, &err), VT_OK);
    assert_int_equal(vt_env_parse(back, json, strlen(json), NULL, &err), VT_OK);
    assert_memory_equal(e, back, sizeof(*e));
    free(json);

    /* Defaults, and an id given by the caller (the API path). */
    assert_int_equal(vt_env_parse(e, "{}", 2, "dev", &err), VT_OK);
    assert_string_equal(e->id, "dev");
    assert_int_equal(e->platforms, 0);
    assert_string_equal(e->min_tcb_status, "UpToDate");
    assert_int_equal(e->max_evidence_age, 300);
    assert_int_equal(e->passport_lifetime, 3600);
    assert_false(e->allow_debug);
    assert_false(e->allow_simulated);
    /* Safe policy defaults: no SEV-SNP minimum (status Unknown), VMPL 0 only, no migration agent,
     * TD_ATTRIBUTES with DEBUG clear and SEPT_VE_DISABLE set. */
    for (int p = 0; p < VT_ENV_SNP_PRODUCTS; p++)
        assert_false(e->snp_min_tcb[p].set);
    assert_true(e->snp_allow_smt);
    assert_int_equal(e->snp_max_vmpl, 0);
    assert_false(e->snp_allow_migration_agent);
    assert_true(e->tdx_attributes == UINT64_C(0x10000000));
    assert_true(e->tdx_attributes_mask == UINT64_C(0x10000001));
    /* An Azure CVM's TD (Azure's paravisor): DEBUG clear, SEPT_VE_DISABLE not judged. */
    assert_true(e->azure_tdx_attributes == 0);
    assert_true(e->azure_tdx_attributes_mask == UINT64_C(0x1));
    assert_int_equal(vt_env_parse(e, "{\"id\":\"a\"}", 10, "b", &err), VT_OK);
    assert_string_equal(e->id, "b");
    assert_int_equal(vt_env_parse(e, "{}", 2, "../etc", &err), VT_E_ARG);
    free(e);
    free(back);
}

static void test_appraise_env__id_rules(void **state)
{
    (void)state;
    assert_true(vt_env_id_valid("prod-llm_2.eu"));
    assert_true(vt_env_id_valid("a"));
    assert_false(vt_env_id_valid(""));
    assert_false(vt_env_id_valid(".hidden"));
    assert_false(vt_env_id_valid("-x"));
    assert_false(vt_env_id_valid("a/b"));
    assert_false(vt_env_id_valid("a b"));
    assert_false(vt_env_id_valid("0123456789012345678901234567890123456789012345678901234567890123"));
    assert_true(vt_env_id_valid("012345678901234567890123456789012345678901234567890123456789012"));
    assert_false(vt_env_id_valid(NULL));
}

static void test_appraise_env__each_bad_field_named(void **state)
{
    static const struct {
        const char *json;
        const char *needle;
    } bad[] = {
        { "{\"id\":\"x\",\"colour\":1}", "unknown field \"colour\"" },
        { "{\"id\":\"x\",\"id\":\"y\"}", "not JSON" },
        { "[]", "not a JSON object" },
        { "{\"description\":\"x\"}", "id is missing" },
        { "{\"id\":\"a/b\"}", "id must be" },
        { "{\"id\":7}", "id must be" },
        { "{\"id\":\"x\",\"description\":\"a\\nb\"}", "description" },
        { "{\"id\":\"x\",\"platforms\":\"tdx\"}", "platforms" },
        { "{\"id\":\"x\",\"platforms\":[\"sgx\"]}", "platforms[0]" },
        { "{\"id\":\"x\",\"platforms\":[\"auto\"]}", "platforms[0]" },
        { "{\"id\":\"x\",\"platforms\":[\"tdx\",\"tdx\"]}", "twice" },
        { "{\"id\":\"x\",\"registers\":[]}", "registers" },
        { "{\"id\":\"x\",\"registers\":{\"mrtd\":\"zz\"}}", "registers.mrtd is not valid hex" },
        { "{\"id\":\"x\",\"registers\":{\"mrtd\":\"abc\"}}", "registers.mrtd" },
        { "{\"id\":\"x\",\"registers\":{\"mrtd\":\"\"}}", "registers.mrtd is empty" },
        { "{\"id\":\"x\",\"registers\":{\"MRTD\":\"00\"}}", "claim name" },
        { "{\"id\":\"x\",\"registers\":{\"mrtd\":1}}", "registers.mrtd" },
        { "{\"id\":\"x\",\"components\":{\"weights\":[\"" D32 "\"]}}", "components.weights" },
        { "{\"id\":\"x\",\"components\":{\"model\":[]}}", "components.model is empty" },
        { "{\"id\":\"x\",\"components\":{\"model\":\"" D32 "\"}}", "components.model" },
        { "{\"id\":\"x\",\"components\":{\"model\":[\"00ff\"]}}", "components.model[0] is 2 bytes" },
        { "{\"id\":\"x\",\"components\":{\"config\":[\"" D32 "\",\"xx\"]}}", "components.config[1]" },
        { "{\"id\":\"x\",\"min_tcb_status\":\"Revoked\"}", "min_tcb_status" },
        { "{\"id\":\"x\",\"min_tcb_status\":\"uptodate\"}", "min_tcb_status" },
        { "{\"id\":\"x\",\"allow_debug\":1}", "allow_debug must be true or false" },
        { "{\"id\":\"x\",\"allow_simulated\":\"yes\"}", "allow_simulated" },
        { "{\"id\":\"x\",\"max_evidence_age\":0}", "max_evidence_age" },
        { "{\"id\":\"x\",\"max_evidence_age\":1.5}", "max_evidence_age" },
        { "{\"id\":\"x\",\"max_evidence_age\":999999}", "max_evidence_age" },
        { "{\"id\":\"x\",\"passport_lifetime\":-1}", "passport_lifetime" },
        { "{\"id\":\"x\",\"sevsnp_min_tcb\":[]}", "sevsnp_min_tcb is not an object" },
        { "{\"id\":\"x\",\"sevsnp_min_tcb\":{\"naples\":{}}}", "sevsnp_min_tcb.naples is not a product line" },
        { "{\"id\":\"x\",\"sevsnp_min_tcb\":{\"milan\":{\"tee\":0,\"snp\":0,\"microcode\":0}}}",
          "sevsnp_min_tcb.milan.bootloader" },
        { "{\"id\":\"x\",\"sevsnp_min_tcb\":{\"milan\":{\"bootloader\":256,\"tee\":0,\"snp\":0,\"microcode\":0}}}",
          "sevsnp_min_tcb.milan.bootloader must be an SPL value" },
        { "{\"id\":\"x\",\"sevsnp_min_tcb\":{\"milan\":{\"fmc\":1,\"bootloader\":1,\"tee\":0,\"snp\":0,\"microcode\":0}}}",
          "sevsnp_min_tcb.milan.fmc is not a TCB component" },
        { "{\"id\":\"x\",\"sevsnp_min_tcb\":{\"turin\":{\"bootloader\":1,\"tee\":0,\"snp\":0,\"microcode\":0}}}",
          "sevsnp_min_tcb.turin.fmc" },
        { "{\"id\":\"x\",\"sevsnp_allow_smt\":1}", "sevsnp_allow_smt must be true or false" },
        { "{\"id\":\"x\",\"sevsnp_max_vmpl\":4}", "sevsnp_max_vmpl must be an integer 0..3" },
        { "{\"id\":\"x\",\"sevsnp_max_vmpl\":-1}", "sevsnp_max_vmpl" },
        { "{\"id\":\"x\",\"sevsnp_allow_migration_agent\":\"no\"}", "sevsnp_allow_migration_agent" },
        { "{\"id\":\"x\",\"tdx_td_attributes\":\"10000000\"}", "tdx_td_attributes must be 16 hex digits" },
        { "{\"id\":\"x\",\"tdx_td_attributes_mask\":\"zz00001000000000\"}", "tdx_td_attributes_mask is not valid hex" },
        { "{\"id\":\"x\",\"tdx_td_attributes\":\"0000005000000000\"}", "outside tdx_td_attributes_mask" },
        { "{\"id\":\"x\",\"azure_tdx_td_attributes\":\"00\"}", "azure_tdx_td_attributes must be 16 hex digits" },
        { "{\"id\":\"x\",\"azure_tdx_td_attributes_mask\":\"0g00000000000000\"}",
          "azure_tdx_td_attributes_mask is not valid hex" },
        { "{\"id\":\"x\",\"azure_tdx_td_attributes\":\"0000001000000000\"}",
          "azure_tdx_td_attributes sets bits outside azure_tdx_td_attributes_mask" },
    };
    vt_env *e = calloc(1, sizeof(*e));

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        vt_err err = { 0 };
        vt_status rc = vt_env_parse(e, bad[i].json, strlen(bad[i].json), NULL, &err);
        if (rc == VT_OK)
            fail_msg("accepted: %s", bad[i].json);
        if (strstr(err.msg, bad[i].needle) == NULL)
            fail_msg("%s: message \"%s\" does not name \"%s\"", bad[i].json, err.msg, bad[i].needle);
        assert_string_equal(e->id, ""); /* nothing half-filled */
    }
    free(e);
}

static void test_appraise_env__limits(void **state)
{
    vt_env *e = calloc(1, sizeof(*e));
    vt_buf b;
    vt_err err = { 0 };

    (void)state;
    vt_buf_init(&b);
    assert_int_equal(vt_buf_append_str(&b, "{\"id\":\"x\",\"components\":{\"model\":[", NULL), VT_OK);
    for (int i = 0; i < VT_ENV_MAX_VALUES + 1; i++)
        assert_int_equal(vt_buf_append_str(&b, i ? ",\"" D32 "\"" : "\"" D32 "\"", NULL), VT_OK);
    assert_int_equal(vt_buf_append_str(&b, "]}}", NULL), VT_OK);
    assert_int_equal(vt_env_parse(e, (const char *)b.data, b.len, NULL, &err), VT_E_LIMIT);
    assert_int_equal(vt_env_parse(e, (const char *)b.data, VT_ENV_MAX_BYTES + 1, NULL, &err), VT_E_LIMIT);
    vt_buf_free(&b);
    free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_appraise_env__good_and_roundtrip),
        cmocka_unit_test(test_appraise_env__id_rules),
        cmocka_unit_test(test_appraise_env__each_bad_field_named),
        cmocka_unit_test(test_appraise_env__limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
