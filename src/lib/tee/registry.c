/*
 * The platform registry: the only file that lists every platform (HS-2).  It
 * dispatches to the plugin and then enforces, once for all platforms, what no
 * plugin may decide alone: nonce binding, debug policy, missing collateral,
 * strictness, and the final verdict.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tee/collect.h"
#include "tee/plugin.h"
#include "tee/sim_root.h"
#include "veritee/mlog.h"
#include "tee/register_impl.h"
#include "veritee/register.h"

static const vt__tee_ops *const registry[] = {
    &vt__tee_tdx,
    &vt__tee_sevsnp,
    &vt__tee_nitro,
    &vt__tee_nvgpu,
    &vt__tee_tpm,
    &vt__tee_mock,
    &vt__tee_composite,
};
#define REGISTRY_COUNT (sizeof(registry) / sizeof(registry[0]))

static const vt__tee_ops *find_ops(vt_tee_kind kind)
{
    for (size_t i = 0; i < REGISTRY_COUNT; i++)
        if (registry[i]->abi == VT_TEE_OPS_ABI && registry[i]->kind == kind)
            return registry[i];
    return NULL;
}

vt_tee_kind vt_evidence_probe(const uint8_t *evidence, size_t len)
{
    for (size_t i = 0; i < REGISTRY_COUNT; i++)
        if (registry[i]->abi == VT_TEE_OPS_ABI && registry[i]->probe != NULL && registry[i]->probe(evidence, len))
            return registry[i]->kind;
    return VT_TEE_NONE;
}

vt_status vt_report_data_bind(uint8_t out[VT_REPORT_DATA_LEN], const uint8_t *nonce, size_t nonce_len,
                              const uint8_t *pub, size_t pub_len, vt_err *err)
{
    const void *parts[2] = { nonce, pub };
    size_t lens[2] = { nonce_len, pub_len };

    return vt_digestv(VT_MD_SHA512, parts, lens, 2, out, err);
}

#define SIM_ROOTS_MAX (1 + VT_SIM_ROOT_FILES_MAX)
#define ROOTS_MAX (VT_AMD_PRODUCTS + SIM_ROOTS_MAX)

/* Production roots for a platform, then (when trusted) the simulation roots:
 * state_dir's and opts->sim_root_files, all after *prod, so that nothing
 * anchored at them is ever hardware attested. */
static vt_status gather_roots(vt_x509 **roots, size_t *count, size_t *prod, vt_x509 **sim_owned,
                              vt_tee_kind kind, const vt_verify_opts *opts, vt_result *res, vt_err *err)
{
    vt_status rc;

    *count = 0;
    *prod = 0;
    for (size_t i = 0; i < SIM_ROOTS_MAX; i++)
        sim_owned[i] = NULL;
    if (kind == VT_TEE_TDX) {
        rc = vt__roots_intel_sgx(&roots[(*count)++], err);
        if (rc != VT_OK)
            return rc;
    }
    if (kind == VT_TEE_SEVSNP) {
        rc = vt__roots_amd_arks(&roots[*count], err);
        if (rc != VT_OK)
            return rc;
        *count += VT_AMD_PRODUCTS;
    }
    if (kind == VT_TEE_NITRO) {
        rc = vt__roots_aws_nitro(&roots[(*count)++], err);
        if (rc != VT_OK)
            return rc;
    }
    if (kind == VT_TEE_NVGPU) {
        rc = vt__roots_nvidia_device(&roots[(*count)++], err);
        if (rc != VT_OK)
            return rc;
    }
    if (kind == VT_TEE_TPM) {
        rc = vt__roots_gce_tpm(&roots[*count], err);
        if (rc != VT_OK)
            return rc;
        *count += VT_GCE_TPM_ROOTS;
    }
    *prod = *count;
    if (opts->trust_sim && kind != VT_TEE_MOCK && kind != VT_TEE_COMPOSITE) {
        vt_err e2 = { 0 };
        if (opts->state_dir == NULL)
            return vt_err_set(err, VT_E_ARG, "verify: trust_sim needs a state directory");
        if (vt__sim_root_load(&sim_owned[0], opts->state_dir, &e2) == VT_OK)
            roots[(*count)++] = sim_owned[0];
        else
            vt__result_warn(res, "sim_root", "%s", e2.msg);
        if (opts->sim_root_file_count > VT_SIM_ROOT_FILES_MAX ||
            (opts->sim_root_files == NULL && opts->sim_root_file_count > 0))
            return vt_err_set(err, VT_E_ARG, "verify: sim_root_files holds %zu roots, at most %d",
                              opts->sim_root_file_count, VT_SIM_ROOT_FILES_MAX);
        for (size_t i = 0; i < opts->sim_root_file_count; i++) {
            rc = vt__sim_root_load_file(&sim_owned[1 + i], opts->sim_root_files[i], err);
            if (rc != VT_OK)
                return rc;
            roots[(*count)++] = sim_owned[1 + i];
        }
    }
    return VT_OK;
}

/* Evidence under a simulation root this verifier does not trust fails with
 * "root CN=veritee Simulation Root CA is not a trusted root", which does not
 * say what to do; the first error then says it (reasons are often cut short). */
static void sim_root_hint(vt_result *res, const vt_verify_opts *opts)
{
    vt_finding hint;
    bool found = false;

    for (size_t i = 0; i < res->error_count && i < VT_FINDINGS_MAX && !found; i++)
        found = strstr(res->errors[i].msg, "CN=" VT_SIM_ROOT_CN) != NULL &&
                strstr(res->errors[i].msg, "not a trusted root") != NULL;
    if (!found)
        return;
    snprintf(hint.check, sizeof(hint.check), "%s", "sim_root");
    if (opts->trust_sim)
        snprintf(hint.msg, sizeof(hint.msg), "%s",
                 "signed under another simulation root than the verifier's (a prover with its own "
                 "state directory): trust it with --sim-root <prover state>/sim/root_ca.pem, or share VERITEE_STATE");
    else
        snprintf(hint.msg, sizeof(hint.msg), "%s",
                 "simulated evidence (veritee Simulation Root CA, not hardware): trusted only with --trust-sim");
    if (res->error_count < VT_FINDINGS_MAX)
        res->error_count++;
    memmove(&res->errors[1], &res->errors[0], (res->error_count - 1) * sizeof(res->errors[0]));
    res->errors[0] = hint;
}

/* The verdict follows from the findings: any error rejects; warnings (TCB
 * status, missing collateral when allowed) give "warning"; strict turns
 * warnings into rejection. */
static void apply_policy(vt_result *res, const vt_verify_opts *opts)
{
    vt_claims *c = &res->claims;

    if (c->debug && !opts->allow_debug)
        vt__result_fail(res, "debug", "%s: debug TEE: its memory and registers can be read and changed by the host",
                        vt_tee_name(c->platform));
    else if (c->debug)
        vt__result_warn(res, "debug", "%s: debug TEE accepted because debug was explicitly allowed",
                        vt_tee_name(c->platform));
    if (strcmp(c->tcb_status, "unknown") == 0 || c->tcb_status[0] == '\0') {
        snprintf(c->tcb_status, sizeof(c->tcb_status), "%s", "unknown");
        if (opts->allow_missing_collateral)
            vt__result_warn(res, "collateral", "%s: no verified collateral: TCB status unknown (allowed)",
                            vt_tee_name(c->platform));
        else
            vt__result_fail(res, "collateral",
                            "%s: no verified collateral: TCB status unknown (pass collateral, or allow it missing)",
                            vt_tee_name(c->platform));
    }
}

static void finish(vt_result *res, const vt_verify_opts *opts, bool policy_in_parts)
{
    /* A composite's parts each had the debug and collateral rules applied. */
    if (!policy_in_parts)
        apply_policy(res, opts);
    if (res->error_count > 0)
        res->verdict = VT_VERDICT_CONTRAINDICATED;
    else if (res->warning_count > 0)
        res->verdict = opts->strict ? VT_VERDICT_CONTRAINDICATED : VT_VERDICT_WARNING;
    else
        res->verdict = VT_VERDICT_AFFIRMING;
    if (res->verdict == VT_VERDICT_CONTRAINDICATED && res->error_count == 0)
        vt__result_fail(res, "strict", "verify: warnings are rejected in strict mode");
    res->valid = res->verdict != VT_VERDICT_CONTRAINDICATED;
}

/* report_data must be the caller's nonce binding.  On a platform without a register
 * (register.h: VT_REGISTER_REPORT_DATA) a log is bound into it instead: the expected value
 * is then vt_register_bind_report_data(binding, log), and once it holds the log's replay
 * becomes the claim the log is appraised by. */
static void check_report_data(vt_result *res, const vt_register_spec *spec, const vt_verify_opts *opts)
{
    uint8_t want[VT_REPORT_DATA_LEN] = { 0 }, replay[VT_REGISTER_LEN];
    bool bound = spec->binding == VT_REGISTER_REPORT_DATA && opts->mlog != NULL;
    vt_err e = { 0 };

    if (opts->expected_report_data == NULL) {
        if (bound)
            vt__result_fail(res, "measurement_log",
                            "%s: a measurement log is bound into report_data, and no expected report_data was given",
                            vt_tee_name(res->claims.platform));
        return;
    }
    memcpy(want, opts->expected_report_data, opts->expected_report_data_len);
    /* One replay: it is both what report_data binds (SHA-384) and the claim. */
    if (bound && (vt_mlog_replay_md(replay, VT_MD_SHA384, opts->mlog, &e) != VT_OK ||
                  vt__register_bind_replay(want, want, replay, &e) != VT_OK)) {
        vt__result_fail(res, "measurement_log", "%s", e.msg);
        return;
    }
    if (!vt_ct_equal(want, res->claims.report_data, sizeof(want))) {
        vt__result_fail(res, "report_data",
                        bound ? "%s: report_data is not the nonce binding with this measurement log bound into it "
                                "(another log, or stale or replayed evidence?)"
                              : "%s: report_data does not match the expected nonce binding (stale or replayed evidence?)",
                        vt_tee_name(res->claims.platform));
        return;
    }
    if (bound)
        vt__claims_add(&res->claims, spec->claim, replay, VT_REGISTER_LEN);
}

/* The measurement log must replay to the runtime register the evidence shows:
 * otherwise the log does not describe what was measured into this TEE. */
static void check_mlog(vt_result *res, const vt_register_spec *spec, const vt__tee_ops *ops,
                       const vt_verify_opts *opts)
{
    const vt_claim *reg;
    uint8_t want[VT_REGISTER_LEN];
    size_t n = vt_md_len(spec->md);
    char got_hex[2 * VT_REGISTER_LEN + 1], want_hex[2 * VT_REGISTER_LEN + 1];
    vt_err e = { 0 };

    if (opts->mlog == NULL || spec->binding == VT_REGISTER_REPORT_DATA) /* checked with report_data */
        return;
    reg = spec->binding == VT_REGISTER_EXTENDED ? vt_claims_get(&res->claims, spec->claim) : NULL;
    if (reg == NULL || reg->len != n) {
        vt__result_fail(res, "measurement_log", "%s: evidence has no runtime register%s%s to replay a log against",
                        ops->name, spec->claim != NULL ? " " : "", spec->claim != NULL ? spec->claim : "");
        return;
    }
    if (vt_mlog_replay_md(want, spec->md, opts->mlog, &e) != VT_OK) {
        vt__result_fail(res, "measurement_log", "%s", e.msg);
        return;
    }
    if (!vt_ct_equal(want, reg->value, n)) {
        vt_hex_encode(got_hex, reg->value, n);
        vt_hex_encode(want_hex, want, n);
        vt__result_fail(res, "measurement_log", "%s: %s is %.16s..., the log (%zu events) replays to %.16s...",
                        ops->name, spec->claim, got_hex, vt_mlog_count(opts->mlog), want_hex);
    }
}

vt_status vt_evidence_verify(vt_result *out, const uint8_t *evidence, size_t len, const vt_verify_opts *opts,
                             vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    const vt__tee_ops *ops;
    vt_tee_kind kind;
    vt_x509 *roots[ROOTS_MAX], *sim_roots[SIM_ROOTS_MAX] = { NULL };
    vt__verify_req req;
    vt_err perr = { 0 };

    memset(out, 0, sizeof(*out));
    out->verdict = VT_VERDICT_CONTRAINDICATED;
    if (opts == NULL || (evidence == NULL && len > 0))
        return vt_err_set(err, VT_E_ARG, "verify: missing evidence or options");
    if (opts->expected_report_data_len > VT_REPORT_DATA_LEN ||
        (opts->expected_report_data == NULL && opts->expected_report_data_len > 0))
        return vt_err_set(err, VT_E_ARG, "verify: expected report_data longer than 64 bytes");
    if (opts->now <= 0)
        return vt_err_set(err, VT_E_ARG, "verify: a verification time is required");
    kind = opts->platform != VT_TEE_NONE ? opts->platform : vt_evidence_probe(evidence, len);
    snprintf(out->claims.tcb_status, sizeof(out->claims.tcb_status), "%s", "unknown");
    if (kind == VT_TEE_NONE) {
        vt__result_fail(out, "format", "verify: %zu bytes are not evidence of any supported platform", len);
        return vt_err_set(err, VT_E_FORMAT, "verify: %zu bytes are not evidence of any supported platform", len);
    }
    out->claims.platform = kind;
    ops = find_ops(kind);
    if (ops == NULL || ops->verify == NULL || !(ops->caps & VT_TEE_CAN_VERIFY)) {
        vt__result_fail(out, "platform", "verify: %s evidence is not supported yet", vt_tee_name(kind));
        return vt_err_set(err, VT_E_UNSUPPORTED, "verify: %s evidence is not supported yet", vt_tee_name(kind));
    }
    memset(&req, 0, sizeof(req));
    req.evidence = evidence;
    req.len = len;
    req.opts = opts;
    rc = gather_roots(roots, &req.root_count, &req.prod_root_count, sim_roots, kind, opts, out, err);
    if (rc != VT_OK)
        goto out;
    req.roots = roots;
    rc = ops->verify(&req, out, &perr);
    out->claims.platform = kind;
    if (rc != VT_OK) {
        /* Unreadable evidence: a rejection that also tells the caller why. */
        vt__result_fail(out, "format", "%s", perr.msg[0] ? perr.msg : vt_status_str(rc));
        out->verdict = VT_VERDICT_CONTRAINDICATED;
        out->valid = false;
        vt_err_set(err, rc, "%s", perr.msg[0] ? perr.msg : "verify: evidence could not be read");
        goto out;
    }
    {
        vt_register_spec spec;
        vt_register_spec_get(&spec, kind);
        if (ops->caps & VT_TEE_POLICY_IN_PARTS)
            spec.binding = VT_REGISTER_NONE; /* the parts check their own log */
        check_report_data(out, &spec, opts);
        if (!(ops->caps & VT_TEE_POLICY_IN_PARTS))
            check_mlog(out, &spec, ops, opts);
    }
    sim_root_hint(out, opts);
    finish(out, opts, (ops->caps & VT_TEE_POLICY_IN_PARTS) != 0);
out:
    for (size_t i = 0; i < SIM_ROOTS_MAX; i++)
        vt_x509_free(sim_roots[i]);
    return rc;
}

vt_status vt_evidence_inspect(char **json_out, vt_tee_kind platform, const uint8_t *evidence, size_t len,
                              vt_err *err)
{
    vt_tee_kind kind = platform != VT_TEE_NONE ? platform : vt_evidence_probe(evidence, len);
    const vt__tee_ops *ops = find_ops(kind);

    *json_out = NULL;
    if (kind == VT_TEE_NONE)
        return vt_err_set(err, VT_E_FORMAT, "inspect: %zu bytes are not evidence of any supported platform", len);
    if (ops == NULL || ops->inspect == NULL)
        return vt_err_set(err, VT_E_UNSUPPORTED, "inspect: %s evidence is not supported yet", vt_tee_name(kind));
    return ops->inspect(evidence, len, json_out, err);
}

void vt_tee_detect(vt_hw_info *out, const char *sysroot)
{
    memset(out, 0, sizeof(*out));
    out->selected = VT_TEE_MOCK;
    for (size_t i = 0; i < REGISTRY_COUNT && out->count < sizeof(out->entries) / sizeof(out->entries[0]); i++) {
        const vt__tee_ops *ops = registry[i];
        vt_hw_entry *e;

        if (ops->kind == VT_TEE_MOCK || ops->detect == NULL)
            continue;
        e = &out->entries[out->count++];
        e->kind = ops->kind;
        ops->detect(e, sysroot == NULL ? "" : sysroot);
        /* The first hardware TEE that can also collect is what attest uses. */
        if (e->present && out->selected == VT_TEE_MOCK && (ops->caps & VT_TEE_CAN_COLLECT))
            out->selected = ops->kind;
    }
    /* Platforms veritee cannot collect from yet are still reported. */
    for (vt_tee_kind k = VT_TEE_SEVSNP; k <= VT_TEE_NVGPU; k++) {
        const vt__tee_ops *ops = find_ops(k);
        if ((ops != NULL && ops->detect != NULL) || out->count >= sizeof(out->entries) / sizeof(out->entries[0]))
            continue;
        if (!vt__hw_detect_nodes(&out->entries[out->count], k, sysroot == NULL ? "" : sysroot))
            continue;
        out->count++;
    }
}

vt_status vt_evidence_collect(vt_buf *out, vt_tee_kind *kind_out, const vt_collect_opts *opts, vt_err *err)
{
    vt_tee_kind kind = opts->platform;
    const vt__tee_ops *ops;
    vt__collect_req req = { .opts = opts };

    if (kind == VT_TEE_NONE) {
        vt_hw_info hw;
        vt_tee_detect(&hw, opts->sysroot);
        kind = hw.selected;
    }
    ops = find_ops(kind);
    if (ops == NULL || ops->collect == NULL || !(ops->caps & VT_TEE_CAN_COLLECT))
        return vt_err_set(err, VT_E_UNSUPPORTED, "attest: collecting %s evidence is not supported", vt_tee_name(kind));
    *kind_out = kind;
    return ops->collect(&req, out, err);
}
