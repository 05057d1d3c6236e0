/* Measurement registers (veritee/register.h): each platform's extend, reset
 * and lock, and the verifier's side, end to end through the attester and
 * vt_evidence_verify: the mock register, TDX RTMR3 through sysfs, the
 * simulated Nitro NSM's PCR 16 (extend, lock, reported once locked), and
 * SEV-SNP's REPORT_DATA binding.  TPM PCR 23 against swtpm: tests/e2e/
 * test_tpm_swtpm.sh and test_gateway_platforms.sh. */
#include "vt_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tee/tpm_sim.h"
#include "veritee/attester.h"

static const uint8_t nonce[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

static vt_mlog *sample_log(void)
{
    static const char *const names[] = { "model.bin", "pii@1", "veritee", "gateway.json" };
    static const vt_component comps[] = { VT_COMPONENT_MODEL, VT_COMPONENT_AUDITOR, VT_COMPONENT_RUNTIME,
                                          VT_COMPONENT_CONFIG };
    vt_mlog *l = NULL;

    assert_int_equal(vt_mlog_new(&l, NULL), VT_OK);
    for (size_t i = 0; i < 4; i++) {
        uint8_t d[32];
        assert_int_equal(vt_digest(VT_MD_SHA256, names[i], strlen(names[i]), d, NULL), VT_OK);
        assert_int_equal(vt_mlog_append(l, comps[i], names[i], VT_MD_SHA256, d, 32, NULL, NULL), VT_OK);
    }
    return l;
}

static void add_late_event(vt_mlog *l)
{
    uint8_t d[32];

    memset(d, 0x1a, sizeof(d));
    assert_int_equal(vt_mlog_append(l, VT_COMPONENT_MODEL, "late", VT_MD_SHA256, d, 32, NULL, NULL), VT_OK);
}

static vt_register *open_reg(vt_tee_kind k, bool simulate, const char *state, const char *sysroot)
{
    vt_register_opts o;
    vt_register *r = NULL;
    vt_err err = { 0 };

    memset(&o, 0, sizeof(o));
    o.platform = k;
    o.simulate = simulate;
    o.state_dir = state;
    o.sysroot = sysroot;
    if (vt_register_open(&r, &o, &err) != VT_OK)
        fail_msg("vt_register_open(%s): %s", vt_tee_name(k), err.msg);
    return r;
}

/* Extends every event of l, checking each new value against the replay of the prefix. */
static void extend_all(vt_register *r, const vt_mlog *l, vt_md md, bool readback)
{
    vt_mlog *prefix = NULL;
    uint8_t got[VT_REGISTER_LEN], want[VT_REGISTER_LEN], zero[VT_REGISTER_LEN] = { 0 };
    vt_err err = { 0 };

    assert_int_equal(vt_mlog_new(&prefix, NULL), VT_OK);
    for (size_t i = 0; i < vt_mlog_count(l); i++) {
        const vt_mlog_event *e = vt_mlog_get(l, i);
        if (vt_register_extend_event(r, e, got, &err) != VT_OK)
            fail_msg("extend %zu: %s", i, err.msg);
        assert_int_equal(vt_mlog_append(prefix, e->component, e->name, e->alg, e->digest, e->digest_len, NULL, NULL),
                         VT_OK);
        assert_int_equal(vt_mlog_replay_md(want, md, prefix, NULL), VT_OK);
        assert_memory_equal(got, readback ? want : zero, vt_md_len(md));
    }
    vt_mlog_free(prefix);
}

/* Evidence from the attester (as the gateway makes it) and its verification with log. */
static void attest_and_verify(vt_result *res, vt_tee_kind k, bool simulate, const char *state,
                              const vt_mlog *attest_log, const vt_mlog *verify_log)
{
    vt_attester_opts ao;
    vt_verify_opts vo;
    vt_pkey *key = NULL;
    vt_buf ev, raw;
    vt_collateral *coll = NULL;
    vt_tee_kind kind;
    uint8_t rd[VT_REPORT_DATA_LEN];
    vt_err err = { 0 };

    vt_buf_init(&ev);
    vt_buf_init(&raw);
    assert_int_equal(vt_pkey_generate(&key, VT_KEY_EC_P256, NULL), VT_OK);
    assert_int_equal(vt_pkey_public_raw(&raw, key, NULL), VT_OK);
    assert_int_equal(vt_report_data_bind(rd, nonce, sizeof(nonce), raw.data, raw.len, NULL), VT_OK);
    assert_int_equal(vt_collateral_new(&coll, NULL), VT_OK);
    memset(&ao, 0, sizeof(ao));
    ao.platform = k;
    ao.simulate = simulate;
    ao.state_dir = state;
    if (vt_attester_evidence(&ev, coll, &kind, &ao, attest_log, nonce, sizeof(nonce), key, &err) != VT_OK)
        fail_msg("vt_attester_evidence(%s): %s", vt_tee_name(k), err.msg);
    assert_int_equal(kind, k);
    memset(&vo, 0, sizeof(vo));
    vo.now = vt_time_now();
    vo.trust_sim = true;
    vo.state_dir = state;
    vo.collateral = coll;
    vo.expected_report_data = rd;
    vo.expected_report_data_len = sizeof(rd);
    vo.mlog = verify_log;
    assert_int_equal(vt_evidence_verify(res, ev.data, ev.len, &vo, &err), VT_OK);
    vt_collateral_free(coll);
    vt_pkey_free(key);
    vt_buf_free(&raw);
    vt_buf_free(&ev);
}

static bool has_error(const vt_result *res, const char *check)
{
    for (size_t i = 0; i < res->error_count; i++)
        if (strcmp(res->errors[i].check, check) == 0)
            return true;
    return false;
}

static void expect_valid(const vt_result *res)
{
    if (!res->valid)
        for (size_t i = 0; i < res->error_count; i++)
            print_message("error %s: %s\n", res->errors[i].check, res->errors[i].msg);
    assert_true(res->valid);
}

static void test_tee_register__spec_per_platform(void **state)
{
    vt_register_spec s;

    (void)state;
    vt_register_spec_get(&s, VT_TEE_TDX);
    assert_int_equal(s.binding, VT_REGISTER_EXTENDED);
    assert_string_equal(s.claim, "rtmr3");
    assert_int_equal(s.md, VT_MD_SHA384);
    vt_register_spec_get(&s, VT_TEE_MOCK);
    assert_string_equal(s.claim, "mr");
    vt_register_spec_get(&s, VT_TEE_NITRO);
    assert_string_equal(s.claim, "pcr16");
    assert_int_equal(s.md, VT_MD_SHA384);
    vt_register_spec_get(&s, VT_TEE_TPM);
    assert_string_equal(s.claim, "pcr23");
    assert_int_equal(s.md, VT_MD_SHA256);
    vt_register_spec_get(&s, VT_TEE_SEVSNP);
    assert_int_equal(s.binding, VT_REGISTER_REPORT_DATA);
    vt_register_spec_get(&s, VT_TEE_NVGPU);
    assert_int_equal(s.binding, VT_REGISTER_NONE);
    assert_null(s.claim);
}

static void test_tee_register__unsupported_platforms(void **state)
{
    vt_register_opts o;
    vt_register *r = NULL;
    vt_err err = { 0 };

    (void)state;
    memset(&o, 0, sizeof(o));
    o.platform = VT_TEE_NVGPU;
    assert_int_equal(vt_register_open(&r, &o, &err), VT_E_UNSUPPORTED);
    assert_null(r);
    o.platform = VT_TEE_NONE;
    assert_int_equal(vt_register_open(&r, &o, &err), VT_E_UNSUPPORTED);
    assert_int_equal(vt_register_open(&r, NULL, &err), VT_E_ARG);
}

/* A TPM register reports its TPM's failure (no TPM at this TCTI), never a silent success. */
static void test_tee_register__tpm_without_tpm_fails(void **state)
{
    vt_register_opts o;
    vt_register *r = NULL;
    vt_mlog *l = sample_log();
    vt_err err = { 0 };

    (void)state;
    memset(&o, 0, sizeof(o));
    o.platform = VT_TEE_TPM;
    o.tpm_tcti = "swtpm:host=127.0.0.1,port=1";
    assert_int_equal(vt_register_open(&r, &o, &err), VT_OK);
    assert_int_not_equal(vt_register_reset(r, &err), VT_OK);
    assert_int_not_equal(vt_register_extend_event(r, vt_mlog_get(l, 0), NULL, &err), VT_OK);
    vt_register_free(r);
    vt_mlog_free(l);
}

/* Mock: reset to zero, every extend reads back as the replay, and the registry replays. */
static void test_tee_register__mock_extend_reset_verify(void **state)
{
    const vt_test_state_dir *f = *state;
    vt_mlog *l = sample_log();
    vt_register *r = open_reg(VT_TEE_MOCK, false, f->state, NULL);
    vt_result *res = calloc(1, sizeof(*res));

    assert_int_equal(vt_register_reset(r, NULL), VT_OK);
    extend_all(r, l, VT_MD_SHA384, true);
    assert_int_equal(vt_register_lock(r, NULL), VT_OK); /* nothing to lock */
    attest_and_verify(res, VT_TEE_MOCK, false, f->state, l, l);
    expect_valid(res);
    /* A log one event ahead of the register (crash between append and extend) is refused. */
    add_late_event(l);
    attest_and_verify(res, VT_TEE_MOCK, false, f->state, l, l);
    assert_false(res->valid);
    assert_true(has_error(res, "measurement_log"));
    /* A reset starts the next boot from zero: the old log no longer replays. */
    assert_int_equal(vt_register_reset(r, NULL), VT_OK);
    attest_and_verify(res, VT_TEE_MOCK, false, f->state, l, l);
    assert_true(has_error(res, "measurement_log"));
    vt_register_free(r);
    vt_mlog_free(l);
    free(res);
}

/* TDX: each extend is one 48-byte write of the event's SHA-384 to RTMR3's sysfs file. */
static void test_tee_register__tdx_rtmr3_sysfs_write(void **state)
{
    const vt_test_state_dir *f = *state;
    char dir[700], path[800];
    vt_mlog *l = sample_log();
    vt_register *r = open_reg(VT_TEE_TDX, false, NULL, f->state);
    uint8_t want[48];
    vt_buf b;
    vt_err err = { 0 };

    assert_int_equal(vt_register_extend_event(r, vt_mlog_get(l, 0), NULL, &err), VT_E_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "6.16"));
    snprintf(dir, sizeof(dir), "%s/sys/class/misc/tdx_guest/measurements", f->state);
    assert_int_equal(vt_mkdir_p(dir, 0755, &err), VT_OK);
    snprintf(path, sizeof(path), "%s/rtmr3:sha384", dir);
    assert_int_equal(vt_file_write(path, "", 0, 0644, &err), VT_OK);
    assert_int_equal(vt_register_reset(r, &err), VT_OK); /* an RTMR cannot be reset: nothing happens */
    assert_int_equal(vt_register_extend_event(r, vt_mlog_get(l, 2), NULL, &err), VT_OK);
    vt_buf_init(&b);
    assert_int_equal(vt_file_read(&b, path, 64, &err), VT_OK);
    assert_int_equal(b.len, 48);
    assert_int_equal(vt_mlog_event_data(want, vt_mlog_get(l, 2), NULL), VT_OK);
    assert_memory_equal(b.data, want, 48);
    vt_buf_free(&b);
    vt_register_free(r);
    vt_mlog_free(l);
}

/* Under the TDX simulator nothing is extended: the simulated quote's RTMR3 is the log's replay. */
static void test_tee_register__tdx_sim_extends_nothing(void **state)
{
    const vt_test_state_dir *f = *state;
    vt_mlog *l = sample_log(), *other = sample_log();
    vt_register *r = open_reg(VT_TEE_TDX, true, f->state, "/nonexistent");
    vt_result *res = calloc(1, sizeof(*res));

    extend_all(r, l, VT_MD_SHA384, false);
    attest_and_verify(res, VT_TEE_TDX, true, f->state, l, l);
    expect_valid(res);
    add_late_event(other);
    attest_and_verify(res, VT_TEE_TDX, true, f->state, l, other);
    assert_true(has_error(res, "measurement_log"));
    vt_register_free(r);
    vt_mlog_free(other);
    vt_mlog_free(l);
    free(res);
}

/* Nitro under simulation: PCR 16 of the simulated NSM is extended, then locked; the NSM reports
 * it only once locked, refuses extends after, and the verifier replays the log against it. */
static void test_tee_register__nitro_sim_extend_lock_verify(void **state)
{
    const vt_test_state_dir *f = *state;
    vt_mlog *l = sample_log();
    vt_register *r = open_reg(VT_TEE_NITRO, true, f->state, NULL);
    vt_result *res = calloc(1, sizeof(*res));
    vt_err err = { 0 };

    assert_int_equal(vt_register_reset(r, NULL), VT_OK);
    extend_all(r, l, VT_MD_SHA384, true);
    /* Not locked yet: the document has no PCR 16, so no log can be replayed. */
    attest_and_verify(res, VT_TEE_NITRO, true, f->state, l, l);
    assert_true(has_error(res, "measurement_log"));
    assert_null(vt_claims_get(&res->claims, "pcr16"));
    assert_int_equal(vt_register_lock(r, &err), VT_OK);
    attest_and_verify(res, VT_TEE_NITRO, true, f->state, l, l);
    expect_valid(res);
    assert_non_null(vt_claims_get(&res->claims, "pcr16"));
    /* Locked: a further extend is refused as the NSM refuses it, and the register is unchanged. */
    add_late_event(l);
    assert_int_equal(vt_register_extend_event(r, vt_mlog_get(l, 4), NULL, &err), VT_E_IO);
    assert_non_null(strstr(err.msg, "ReadOnlyIndex"));
    attest_and_verify(res, VT_TEE_NITRO, true, f->state, l, l);
    assert_false(res->valid);
    assert_true(has_error(res, "measurement_log"));
    /* A new enclave: zero and unlocked again. */
    assert_int_equal(vt_register_reset(r, NULL), VT_OK);
    extend_all(r, l, VT_MD_SHA384, true);
    vt_register_free(r);
    vt_mlog_free(l);
    free(res);
}

/* The simulated NSM refuses what the real one refuses, and a damaged state file is an error. */
static void test_tee_register__nitro_sim_state_checked(void **state)
{
    const vt_test_state_dir *f = *state;
    vt_mlog *l = sample_log();
    vt_register *r = open_reg(VT_TEE_NITRO, true, f->state, NULL);
    char path[700];
    vt_err err = { 0 };

    assert_int_equal(vt_register_extend_event(r, vt_mlog_get(l, 0), NULL, &err), VT_OK);
    snprintf(path, sizeof(path), "%s/sim/nitro_nsm", f->state);
    assert_int_equal(vt_file_write(path, "VTNSMSIM", 8, 0600, &err), VT_OK);
    assert_int_equal(vt_register_extend_event(r, vt_mlog_get(l, 1), NULL, &err), VT_E_FORMAT);
    assert_int_equal(vt_register_reset(r, &err), VT_OK);
    assert_int_equal(vt_register_extend_event(r, vt_mlog_get(l, 1), NULL, &err), VT_OK);
    vt_register_free(r);
    /* The real NSM without /dev/nsm: unsupported, not a silent success. */
    r = open_reg(VT_TEE_NITRO, false, NULL, f->state);
    assert_int_equal(vt_register_extend_event(r, vt_mlog_get(l, 0), NULL, &err), VT_E_UNSUPPORTED);
    assert_int_equal(vt_register_lock(r, &err), VT_E_UNSUPPORTED);
    vt_register_free(r);
    vt_mlog_free(l);
}

/* SEV-SNP: no register; the log is bound into REPORT_DATA at each attestation. */
static void test_tee_register__sevsnp_report_data_binding(void **state)
{
    static const char label[] = "veritee-log-binding-v1";
    const vt_test_state_dir *f = *state;
    vt_mlog *l = sample_log(), *other = sample_log();
    vt_register *r = open_reg(VT_TEE_SEVSNP, true, f->state, NULL);
    vt_result *res = calloc(1, sizeof(*res));
    uint8_t rd[64], got[64], want[64], replay[48];
    const vt_claim *c;

    /* The binding's definition: SHA-512(label 0x00 || report_data || SHA-384 replay). */
    for (int i = 0; i < 64; i++)
        rd[i] = (uint8_t)i;
    assert_int_equal(vt_mlog_replay(replay, l, NULL), VT_OK);
    {
        const void *parts[3] = { label, rd, replay };
        size_t lens[3] = { sizeof(label), 64, 48 };
        assert_int_equal(vt_digestv(VT_MD_SHA512, parts, lens, 3, want, NULL), VT_OK);
    }
    assert_int_equal(vt_register_bind_report_data(got, rd, l, NULL), VT_OK);
    assert_memory_equal(got, want, 64);
    assert_int_equal(vt_register_bind_report_data(rd, rd, l, NULL), VT_OK); /* in place */
    assert_memory_equal(rd, want, 64);
    assert_int_equal(vt_register_bind_report_data(got, rd, NULL, NULL), VT_E_ARG);

    extend_all(r, l, VT_MD_SHA384, false); /* nothing to extend */
    attest_and_verify(res, VT_TEE_SEVSNP, true, f->state, l, l);
    expect_valid(res);
    c = vt_claims_get(&res->claims, "log_sha384");
    assert_non_null(c);
    assert_int_equal(c->len, 48);
    assert_memory_equal(c->value, replay, 48);
    /* Another log than the one bound: refused. */
    add_late_event(other);
    attest_and_verify(res, VT_TEE_SEVSNP, true, f->state, l, other);
    assert_false(res->valid);
    assert_true(has_error(res, "report_data"));
    assert_null(vt_claims_get(&res->claims, "log_sha384"));
    /* The bound log withheld: report_data is not the plain nonce binding either. */
    attest_and_verify(res, VT_TEE_SEVSNP, true, f->state, l, NULL);
    assert_true(has_error(res, "report_data"));
    /* Evidence with no log bound, presented with one: refused. */
    attest_and_verify(res, VT_TEE_SEVSNP, true, f->state, NULL, l);
    assert_true(has_error(res, "report_data"));
    /* And without a log on either side, the plain binding holds. */
    attest_and_verify(res, VT_TEE_SEVSNP, true, f->state, NULL, NULL);
    expect_valid(res);
    vt_register_free(r);
    vt_mlog_free(other);
    vt_mlog_free(l);
    free(res);
}

/* The simulated TPM's AK pin: trusted only as written, anything else in the file is no pin. */
static void test_tee_register__tpm_sim_ak_pin(void **state)
{
    const vt_test_state_dir *f = *state;
    uint8_t ak[32], other[32];
    char path[700];
    vt_err err = { 0 };

    memset(ak, 0xab, sizeof(ak));
    memset(other, 0xab, sizeof(other));
    other[31] ^= 1;
    assert_false(vt__sim_tpm_ak_pinned(f->state, ak)); /* nothing recorded */
    assert_int_equal(vt_sim_tpm_pin_ak(NULL, ak, &err), VT_E_ARG);
    assert_int_equal(vt_sim_tpm_pin_ak(f->state, ak, &err), VT_OK);
    assert_true(vt__sim_tpm_ak_pinned(f->state, ak));
    assert_false(vt__sim_tpm_ak_pinned(f->state, other));
    assert_false(vt__sim_tpm_ak_pinned(NULL, ak));
    snprintf(path, sizeof(path), "%s/sim/tpm_ak_sha256", f->state);
    assert_int_equal(vt_file_write(path, "abab", 4, 0600, &err), VT_OK); /* truncated */
    assert_false(vt__sim_tpm_ak_pinned(f->state, ak));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tee_register__spec_per_platform),
        cmocka_unit_test(test_tee_register__unsupported_platforms),
        cmocka_unit_test(test_tee_register__tpm_without_tpm_fails),
        cmocka_unit_test_setup_teardown(test_tee_register__mock_extend_reset_verify, vt_test_state_dir_setup,
                                        vt_test_state_dir_teardown),
        cmocka_unit_test_setup_teardown(test_tee_register__tdx_rtmr3_sysfs_write, vt_test_state_dir_setup,
                                        vt_test_state_dir_teardown),
        cmocka_unit_test_setup_teardown(test_tee_register__tdx_sim_extends_nothing, vt_test_state_dir_setup,
                                        vt_test_state_dir_teardown),
        cmocka_unit_test_setup_teardown(test_tee_register__nitro_sim_extend_lock_verify, vt_test_state_dir_setup,
                                        vt_test_state_dir_teardown),
        cmocka_unit_test_setup_teardown(test_tee_register__nitro_sim_state_checked, vt_test_state_dir_setup,
                                        vt_test_state_dir_teardown),
        cmocka_unit_test_setup_teardown(test_tee_register__sevsnp_report_data_binding, vt_test_state_dir_setup,
                                        vt_test_state_dir_teardown),
        cmocka_unit_test_setup_teardown(test_tee_register__tpm_sim_ak_pin, vt_test_state_dir_setup,
                                        vt_test_state_dir_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
