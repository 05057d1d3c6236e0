/*
 * Appraisal of verified evidence and its measurement log against an
 * environment.  Each submodule gets an AR4SI trustworthiness vector; its
 * status is the worst tier in that vector, and the passport's status the
 * worst of the submodules (a component the environment does not list is
 * "none" and does not lower it).  Rules and values: docs/passport.md.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "appraise_int.h"
#include "veritee/mlog.h"
#include "veritee/register.h"

#define SKEW 60 /* seconds a clock may be ahead */

/* AR4SI values used here (draft-ietf-rats-ar4si / ear). */
enum {
    TV_NONE = 0,
    TV_OK = 2,          /* trustworthy instance, approved config/executables/files, genuine hardware, encrypted memory */
    TV_WARN = 32,       /* unsafe configuration, known-vulnerable hardware (allowed by the environment) */
    TV_UNRECOGNIZED_RT = 33, /* executables: the TEE image was not compared with a reference value */
    TV_BAD = 96,        /* contraindicated */
    TV_UNRECOGNIZED = 97, /* hardware not recognized (untrusted root, platform not allowed, simulated) */
    TV_CRYPTO = 99,     /* cryptographic validation of the evidence failed */
};

static void reason(vt_appraisal_sub *s, const char *fmt, ...) VT_PRINTF(2, 3);
static void reason(vt_appraisal_sub *s, const char *fmt, ...)
{
    size_t used = strlen(s->reason);
    va_list ap;

    if (used + 3 >= sizeof(s->reason))
        return;
    if (used > 0) {
        memcpy(s->reason + used, "; ", 3);
        used += 2;
    }
    va_start(ap, fmt);
    vsnprintf(s->reason + used, sizeof(s->reason) - used, fmt, ap);
    va_end(ap);
}

/* Raises a vector entry; a worse tier always wins over a better one. */
static void tv_set(vt_appraisal_sub *s, vt_ar4si k, int v)
{
    if (s->tv[k] == TV_NONE || vt_ar4si_tier((int8_t)v) > vt_ar4si_tier(s->tv[k]) ||
        (vt_ar4si_tier((int8_t)v) == vt_ar4si_tier(s->tv[k]) && v > s->tv[k]))
        s->tv[k] = (int8_t)v;
}

static void sub_status(vt_appraisal_sub *s)
{
    s->status = VT_EAR_NONE;
    for (int k = 0; k < VT_AR4SI_COUNT; k++)
        if (vt_ar4si_tier(s->tv[k]) > s->status)
            s->status = vt_ar4si_tier(s->tv[k]);
}

static void short_hex(char out[20], const uint8_t *p, size_t len)
{
    char full[2 * VT_CLAIM_VALUE_MAX + 1];

    vt_hex_encode(full, p, len > VT_CLAIM_VALUE_MAX ? VT_CLAIM_VALUE_MAX : len);
    snprintf(out, 20, "%.16s%s", full, len > 8 ? "..." : "");
}

static void tee_findings(vt_appraisal_sub *s, const vt_result *r)
{
    for (size_t i = 0; i < r->error_count && i < VT_FINDINGS_MAX; i++) {
        const vt_finding *f = &r->errors[i];
        if (strcmp(f->check, "measurement_log") == 0) {
            tv_set(s, VT_AR4SI_EXECUTABLES, TV_BAD);
            reason(s, "tee: the measurement log does not match the evidence (%s)", f->msg);
        } else if (strcmp(f->check, "report_data") == 0) {
            tv_set(s, VT_AR4SI_INSTANCE_IDENTITY, TV_BAD);
            reason(s, "tee: evidence is not bound to this challenge (%s)", f->msg);
        } else if (!r->signature_valid) {
            tv_set(s, VT_AR4SI_INSTANCE_IDENTITY, TV_CRYPTO);
            reason(s, "tee: evidence rejected: %s: %s", f->check, f->msg);
        } else if (!r->chain_valid) {
            tv_set(s, VT_AR4SI_HARDWARE, TV_UNRECOGNIZED);
            reason(s, "tee: evidence rejected: %s: %s", f->check, f->msg);
        } else if (strcmp(f->check, "debug") == 0) {
            tv_set(s, VT_AR4SI_CONFIGURATION, TV_BAD);
            reason(s, "tee: evidence rejected: %s: %s", f->check, f->msg);
        } else {
            tv_set(s, VT_AR4SI_HARDWARE, TV_BAD);
            reason(s, "tee: evidence rejected: %s: %s", f->check, f->msg);
        }
    }
    if (r->verdict == VT_VERDICT_CONTRAINDICATED && r->error_count == 0) {
        tv_set(s, VT_AR4SI_INSTANCE_IDENTITY, TV_BAD);
        reason(s, "tee: evidence rejected");
    }
    /* Warnings the environment decides on itself (TCB, debug, simulation,
     * missing collateral) are judged below; any other lowers the tier. */
    for (size_t i = 0; i < r->warning_count && i < VT_FINDINGS_MAX; i++) {
        const vt_finding *f = &r->warnings[i];
        if (strcmp(f->check, "tcb_status") == 0 || strcmp(f->check, "debug") == 0 ||
            strcmp(f->check, "sim_root") == 0 || strcmp(f->check, "collateral") == 0 ||
            strcmp(f->check, "migration_agent") == 0)
            continue;
        tv_set(s, VT_AR4SI_INSTANCE_IDENTITY, TV_WARN);
        reason(s, "tee: %s: %s", f->check, f->msg);
    }
}

/* A claim of the platform whose rules apply: prefix "cpu." in composite evidence, else "". */
static const vt_claim *pclaim(const vt_claims *c, const char *prefix, const char *name)
{
    char full[VT_CLAIM_NAME_MAX + 8];

    snprintf(full, sizeof(full), "%s%s", prefix, name);
    return vt_claims_get(c, full);
}

/* A little-endian integer claim of 1..8 bytes. */
static bool claim_le(uint64_t *out, const vt_claims *c, const char *prefix, const char *name)
{
    const vt_claim *cl = pclaim(c, prefix, name);

    *out = 0;
    if (cl == NULL || cl->len == 0 || cl->len > 8)
        return false;
    for (size_t i = cl->len; i > 0; i--)
        *out = (*out << 8) | cl->value[i - 1];
    return true;
}

/*
 * SEV-SNP has no TCB status service: the plugin reports the VCEK-certified
 * REPORTED_TCB components, and the status is what comparing them with the
 * environment's minimum for the product line gives.
 */
static const char *snp_tcb_status(char *why, size_t why_len, const vt_claims *c, const vt_env *env)
{
    char who[VT_ENV_ID_MAX + 16];
    const char *status;

    snprintf(who, sizeof(who), "environment %s", env->id);
    status = vt_sevsnp_tcb_status(why, why_len, c, env->snp_min_tcb, who);
    return status != NULL ? status : c->tcb_status; /* not certified: the plugin's status stands */
}

static void tee_tcb(vt_appraisal_sub *s, const vt_claims *c, const vt_env *env, char tcb_out[48])
{
    char why[128] = "";
    const char *status = c->platform == VT_TEE_SEVSNP ? snp_tcb_status(why, sizeof(why), c, env) : c->tcb_status;
    int rank = vt__tcb_rank(status), min;

    snprintf(tcb_out, 48, "%s", status);
    /* A platform without a versioned TCB (Nitro: AWS runs the hypervisor) has nothing to compare. */
    if (strcmp(status, "NotApplicable") == 0)
        return;
    if (rank == 4) {
        tv_set(s, VT_AR4SI_HARDWARE, TV_BAD);
        reason(s, "tee: tcb_status is Revoked");
        return;
    }
    if (strcmp(env->min_tcb_status, "any") == 0)
        return;
    min = vt__tcb_rank(env->min_tcb_status);
    if (rank < 0) {
        /* Mock and simulated evidence have no vendor TCB to judge. */
        if (!c->hardware_attested && env->allow_simulated)
            return;
        tv_set(s, VT_AR4SI_HARDWARE, TV_BAD);
        reason(s, "tee: tcb_status %s; environment %s requires %s%s", status, env->id, env->min_tcb_status, why);
    } else if (rank > min) {
        tv_set(s, VT_AR4SI_HARDWARE, TV_BAD);
        reason(s, "tee: tcb_status %s is below %s required by environment %s%s", status, env->min_tcb_status,
               env->id, why);
    } else if (rank > 0) {
        tv_set(s, VT_AR4SI_HARDWARE, TV_WARN);
        reason(s, "tee: tcb_status %s (accepted by environment %s)%s", status, env->id, why);
    }
}

static void tee_registers(vt_appraisal_sub *s, const vt_claims *c, const vt_mlog *log, const vt_env *env)
{
    vt_register_spec spec;
    const char *rr;
    char got[20], want[20];

    vt_register_spec_get(&spec, c->platform);
    rr = spec.claim; /* NULL: the platform has no place for a log */
    for (size_t i = 0; i < env->register_count && i < VT_ENV_MAX_VALUES; i++) {
        const vt_env_register *er = &env->registers[i];
        const vt_claim *cl = vt_claims_get(c, er->name);
        if (cl == NULL) {
            tv_set(s, VT_AR4SI_EXECUTABLES, TV_BAD);
            reason(s, "tee: %s evidence has no register %s", vt_tee_name(c->platform), er->name);
        } else if (cl->len != er->len || !vt_ct_equal(cl->value, er->value, er->len)) {
            short_hex(got, cl->value, cl->len);
            short_hex(want, er->value, er->len);
            tv_set(s, VT_AR4SI_EXECUTABLES, TV_BAD);
            reason(s, "tee: %s is %s, environment %s expects %s", er->name, got, env->id, want);
        } else {
            tv_set(s, VT_AR4SI_EXECUTABLES, TV_OK);
        }
    }
    /* The registry replays the log when it is given one; replay here too, so an
     * appraisal never rests on a log that was not checked against the evidence. */
    if (log != NULL && rr != NULL) {
        const vt_claim *cl = vt_claims_get(c, rr);
        uint8_t reg[VT_REGISTER_LEN];
        size_t n = vt_md_len(spec.md);
        if (cl == NULL || cl->len != n || vt_mlog_replay_md(reg, spec.md, log, NULL) != VT_OK ||
            !vt_ct_equal(reg, cl->value, n)) {
            tv_set(s, VT_AR4SI_EXECUTABLES, TV_BAD);
            if (strstr(s->reason, "measurement log") == NULL)
                reason(s, "tee: the measurement log does not replay to %s in the evidence", rr);
        }
    }
}

/* The registers that identify a platform's TEE image; rtmr0 (firmware configuration, which
 * varies with the VM's shape) and rtmr3 (the measurement log) are not among them.  A TPM's
 * boot chain: firmware (PCR 0), boot loader and kernel images (4), the boot loader's commands
 * and kernel command line (8) and the files it loads, the initrd (9); without them the OS,
 * which extends the application PCR, could be anything and the log anything it says. */
static const char *const *image_registers(vt_tee_kind k, size_t *n)
{
    static const char *const tdx[] = { "mrtd", "rtmr1", "rtmr2" };
    static const char *const snp[] = { "measurement" };
    static const char *const nitro[] = { "pcr0" };
    static const char *const tpm[] = { "pcr0", "pcr4", "pcr8", "pcr9" };

    switch (k) {
    case VT_TEE_TDX: *n = 3; return tdx;
    case VT_TEE_SEVSNP: *n = 1; return snp;
    case VT_TEE_NITRO: *n = 1; return nitro;
    case VT_TEE_TPM: *n = 4; return tpm;
    default: *n = 0; return NULL;
    }
}

/* Without a reference value for the TEE image, any image passes: at most warning. */
static void tee_image(vt_appraisal_sub *s, vt_tee_kind k, const char *prefix, const vt_env *env)
{
    size_t n = 0, used = 0;
    const char *const *names = image_registers(k, &n);
    char missing[80] = "", full[VT_CLAIM_NAME_MAX + 8];

    for (size_t i = 0; i < n; i++) {
        bool pinned = false;
        snprintf(full, sizeof(full), "%s%s", prefix, names[i]);
        for (size_t j = 0; j < env->register_count && j < VT_ENV_MAX_VALUES; j++)
            if (strcmp(env->registers[j].name, full) == 0)
                pinned = true;
        if (!pinned && used + strlen(full) + 2 < sizeof(missing))
            used += (size_t)snprintf(missing + used, sizeof(missing) - used, "%s%s", used ? ", " : "", full);
    }
    if (used == 0)
        return;
    tv_set(s, VT_AR4SI_EXECUTABLES, TV_UNRECOGNIZED_RT);
    reason(s, "tee: environment %s has no reference value for %s (any %s image is accepted)", env->id, missing,
           vt_tee_name(k));
}

/*
 * The platforms whose rules apply and the prefixes of their claims.  Evidence names the CPU TEE
 * beneath it in a cpu_platform claim, with that TEE's claims as "cpu.<name>": composite evidence
 * must (its CPU part), an Azure CVM's TPM evidence does (the SEV-SNP report or TD beneath its HCL
 * report), and a composite whose CPU part is an Azure CVM does both ("cpu.cpu.").  The innermost
 * CPU TEE's rules (TD_ATTRIBUTES, SEV-SNP policy, encrypted memory) apply; the image registers
 * are the outermost platform's that has some (an Azure CVM's PCRs: the guest's boot chain, where
 * its SEV-SNP MEASUREMENT or MRTD is Azure's paravisor).  False when a composite names no CPU
 * TEE, or either names one that cannot be beneath it.
 */
typedef struct rules {
    vt_tee_kind cpu, image;   /* VT_TEE_NONE: no rules */
    const char *cpu_prefix, *image_prefix;
    bool paravisor;           /* the CPU TEE is an Azure CVM's, beneath its TPM */
    vt_tee_kind parent;       /* when false is returned: the evidence that named no valid CPU TEE */
    const char *parent_prefix;
} rules;

static bool cpu_named(vt_tee_kind *kind, const vt_claim *cl, vt_tee_kind parent)
{
    char name[16];

    if (cl == NULL || cl->len == 0 || cl->len >= sizeof(name))
        return false;
    memcpy(name, cl->value, cl->len);
    name[cl->len] = '\0';
    if (strlen(name) != cl->len || vt_tee_parse(kind, name, NULL) != VT_OK)
        return false;
    if (parent == VT_TEE_TPM) /* an HCL report holds an SEV-SNP report or a TD's */
        return *kind == VT_TEE_SEVSNP || *kind == VT_TEE_TDX;
    return *kind != VT_TEE_NONE && *kind != VT_TEE_COMPOSITE && *kind != VT_TEE_NVGPU;
}

static bool rules_platform(rules *out, const vt_claims *c)
{
    static const char *const prefixes[] = { "", "cpu.", "cpu.cpu." };
    size_t n;

    memset(out, 0, sizeof(*out));
    out->cpu = out->image = c->platform;
    out->cpu_prefix = out->image_prefix = "";
    for (size_t d = 0; d + 1 < sizeof(prefixes) / sizeof(prefixes[0]); d++) {
        vt_tee_kind k = out->cpu, next;
        const vt_claim *cl;

        if (k != VT_TEE_COMPOSITE && k != VT_TEE_TPM)
            break;
        cl = pclaim(c, prefixes[d], "cpu_platform");
        if (cl == NULL && k == VT_TEE_TPM)
            break; /* a TPM without an HCL report: its own rules */
        if (!cpu_named(&next, cl, k)) {
            out->parent = k;
            out->parent_prefix = prefixes[d];
            out->cpu = VT_TEE_NONE;
            if (image_registers(out->image, &n) == NULL)
                out->image = VT_TEE_NONE;
            return false;
        }
        out->paravisor = k == VT_TEE_TPM;
        out->cpu = next;
        out->cpu_prefix = prefixes[d + 1];
        if (image_registers(out->image, &n) == NULL) {
            out->image = next;
            out->image_prefix = prefixes[d + 1];
        }
    }
    return true;
}

#define SNP_POLICY_SMT (1ull << 16)
#define SNP_POLICY_MIGRATE_MA (1ull << 18)

static void tee_snp_policy(vt_appraisal_sub *s, const vt_claims *c, const char *prefix, const vt_env *env)
{
    uint64_t pol, vmpl;

    if (!claim_le(&pol, c, prefix, "policy") || !claim_le(&vmpl, c, prefix, "vmpl")) {
        tv_set(s, VT_AR4SI_CONFIGURATION, TV_BAD);
        reason(s, "tee: sevsnp evidence has no policy or vmpl claim");
        return;
    }
    if (vmpl > env->snp_max_vmpl) {
        tv_set(s, VT_AR4SI_CONFIGURATION, TV_BAD);
        reason(s, "tee: sevsnp report is from VMPL %u; environment %s accepts at most VMPL %u", (unsigned)vmpl, env->id,
               env->snp_max_vmpl);
    }
    if ((pol & SNP_POLICY_SMT) && !env->snp_allow_smt) {
        tv_set(s, VT_AR4SI_CONFIGURATION, TV_BAD);
        reason(s, "tee: sevsnp policy allows SMT; environment %s refuses it", env->id);
    }
    if (pol & SNP_POLICY_MIGRATE_MA) {
        tv_set(s, VT_AR4SI_CONFIGURATION, env->snp_allow_migration_agent ? TV_WARN : TV_BAD);
        reason(s, "tee: sevsnp policy allows a migration agent%s", env->snp_allow_migration_agent
                                                                      ? " (allowed by the environment)"
                                                                      : "; environment refuses it");
    }
}

/* TD_ATTRIBUTES against the environment's tdx_td_attributes, or for an Azure CVM's TD (Azure's
 * paravisor, whose #VE handling is Azure's: docs/passport.md) its azure_tdx_td_attributes. */
static void tee_tdx_attributes(vt_appraisal_sub *s, const vt_claims *c, const char *prefix, bool paravisor,
                               const vt_env *env)
{
    static const struct {
        int bit;
        const char *name;
    } names[] = { { 0, "DEBUG" }, { 28, "SEPT_VE_DISABLE" }, { 29, "MIGRATABLE" }, { 30, "PKS" }, { 31, "KL" },
                  { 63, "PERFMON" } };
    uint64_t attr, want = paravisor ? env->azure_tdx_attributes : env->tdx_attributes,
                   mask = paravisor ? env->azure_tdx_attributes_mask : env->tdx_attributes_mask, diff;
    char bits[96] = "";
    size_t used = 0;

    if (env->allow_debug)
        mask &= ~UINT64_C(1); /* the debug rule above decides */
    if (!claim_le(&attr, c, prefix, "td_attributes")) {
        tv_set(s, VT_AR4SI_CONFIGURATION, TV_BAD);
        reason(s, "tee: tdx evidence has no td_attributes claim");
        return;
    }
    diff = (attr ^ want) & mask;
    if (diff == 0)
        return;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if ((diff >> names[i].bit) & 1)
            used += (size_t)snprintf(bits + used, sizeof(bits) - used, "%s%s %s", used ? ", " : "", names[i].name,
                                     (attr >> names[i].bit) & 1 ? "set" : "clear");
    tv_set(s, VT_AR4SI_CONFIGURATION, TV_BAD);
    reason(s, "tee: %std_attributes 0x%016llx differ from environment %s's %s0x%016llx under mask 0x%016llx%s%s",
           paravisor ? "Azure CVM " : "", (unsigned long long)attr, env->id,
           paravisor ? "azure_tdx_td_attributes " : "", (unsigned long long)want, (unsigned long long)mask,
           used ? ": " : "", bits);
}

static void appraise_tee(vt_appraisal_sub *s, char tcb_out[48], const vt_result *r, const vt_mlog *log,
                         const vt_env *env, vt_time evidence_time, vt_time now)
{
    const vt_claims *c = &r->claims;
    vt_tee_kind k = c->platform;
    rules ru;
    bool named = rules_platform(&ru, c);

    tv_set(s, VT_AR4SI_INSTANCE_IDENTITY, TV_OK);
    if (c->hardware_attested)
        tv_set(s, VT_AR4SI_HARDWARE, TV_OK);
    if (c->hardware_attested && (ru.cpu == VT_TEE_TDX || ru.cpu == VT_TEE_SEVSNP))
        tv_set(s, VT_AR4SI_RUNTIME_OPAQUE, TV_OK); /* memory encrypted against the host */
    tee_findings(s, r);
    if (!named) {
        tv_set(s, VT_AR4SI_CONFIGURATION, TV_BAD);
        reason(s, "tee: the %s CPU platform (claim %scpu_platform) is missing or not a CPU TEE",
               vt_tee_name(ru.parent), ru.parent_prefix);
    }
    if (env->platforms != 0 && (k <= VT_TEE_NONE || k > 31 || !(env->platforms & (1u << k)))) {
        tv_set(s, VT_AR4SI_HARDWARE, TV_UNRECOGNIZED);
        reason(s, "tee: platform %s is not allowed by environment %s", vt_tee_name(k), env->id);
    }
    if (!c->hardware_attested && !env->allow_simulated) {
        tv_set(s, VT_AR4SI_HARDWARE, TV_UNRECOGNIZED);
        reason(s, "tee: %s evidence is not hardware-attested and environment %s does not allow simulated evidence",
               vt_tee_name(k), env->id);
    }
    if (c->debug) {
        tv_set(s, VT_AR4SI_CONFIGURATION, env->allow_debug ? TV_WARN : TV_BAD);
        reason(s, "tee: the TEE is in debug mode%s", env->allow_debug ? " (allowed by the environment)" : "");
    } else {
        tv_set(s, VT_AR4SI_CONFIGURATION, TV_OK);
    }
    if (ru.cpu == VT_TEE_SEVSNP)
        tee_snp_policy(s, c, ru.cpu_prefix, env);
    if (ru.cpu == VT_TEE_TDX)
        tee_tdx_attributes(s, c, ru.cpu_prefix, ru.paravisor, env);
    tee_tcb(s, c, env, tcb_out);
    tee_registers(s, c, log, env);
    tee_image(s, ru.image, ru.image_prefix, env);
    if (evidence_time > now + SKEW) {
        tv_set(s, VT_AR4SI_INSTANCE_IDENTITY, TV_BAD);
        reason(s, "tee: evidence time is %lld s in the future", (long long)(evidence_time - now));
    } else if (now - evidence_time > env->max_evidence_age) {
        tv_set(s, VT_AR4SI_INSTANCE_IDENTITY, TV_BAD);
        reason(s, "tee: evidence is %lld s old, environment %s accepts at most %lld s",
               (long long)(now - evidence_time), env->id, (long long)env->max_evidence_age);
    }
    /* A passport never outlives what the evidence was verified with (vt_appraisal.expires). */
    if (c->not_after != 0 && c->not_after <= now) {
        tv_set(s, VT_AR4SI_INSTANCE_IDENTITY, TV_BAD);
        reason(s, "tee: the evidence's certificate and collateral validity ended %lld s ago",
               (long long)(now - c->not_after));
    } else if (c->not_before > now + SKEW) {
        tv_set(s, VT_AR4SI_INSTANCE_IDENTITY, TV_BAD);
        reason(s, "tee: the evidence's certificate and collateral validity begins in %lld s",
               (long long)(c->not_before - now));
    }
    sub_status(s);
}

static const struct {
    vt_component comp;
    vt_ar4si key;
} comp_map[VT_SUBMOD_COUNT] = {
    [VT_SUBMOD_MODEL] = { VT_COMPONENT_MODEL, VT_AR4SI_FILE_SYSTEM },
    [VT_SUBMOD_AUDITORS] = { VT_COMPONENT_AUDITOR, VT_AR4SI_EXECUTABLES },
    [VT_SUBMOD_RUNTIME] = { VT_COMPONENT_RUNTIME, VT_AR4SI_EXECUTABLES },
    [VT_SUBMOD_CONFIG] = { VT_COMPONENT_CONFIG, VT_AR4SI_CONFIGURATION },
};

static bool digest_allowed(const vt_env *env, vt_submod sm, const vt_mlog_event *e)
{
    for (size_t i = 0; i < env->digest_count[sm] && i < VT_ENV_MAX_VALUES; i++) {
        const vt_env_digest *d = &env->digests[sm][i];
        if (d->len == e->digest_len && vt_ct_equal(d->value, e->digest, d->len))
            return true;
    }
    return false;
}

bool vt__measured_of(char out[VT_APPRAISAL_MEASURED_MAX], const vt_mlog *log, vt_component comp)
{
    size_t used = 0, seen = 0;

    out[0] = '\0';
    for (size_t i = 0; i < vt_mlog_count(log); i++) {
        const vt_mlog_event *e = vt_mlog_get(log, i);
        char hex[2 * VT_MD_MAX + 1];
        if (e == NULL || e->component != comp)
            continue;
        if (++seen > VT_APPRAISAL_MAX_DIGESTS)
            return false;
        vt_hex_encode(hex, e->digest, e->digest_len); /* fits: VT_APPRAISAL_MEASURED_MAX */
        used += (size_t)snprintf(out + used, VT_APPRAISAL_MEASURED_MAX - used, "%s%s", used ? "," : "", hex);
    }
    return true;
}

static void appraise_component(vt_appraisal_sub *s, vt_submod sm, const vt_mlog *log, const vt_env *env)
{
    const char *name = vt_submod_name(sm);
    size_t n = log != NULL ? vt_mlog_count(log) : 0, seen = 0;
    bool listed = env->digest_count[sm] > 0, bad = false;

    if (log != NULL)
        (void)vt__measured_of(s->measured, log, comp_map[sm].comp); /* the count below says when it did not fit */
    for (size_t i = 0; i < n; i++) {
        const vt_mlog_event *e = vt_mlog_get(log, i);

        if (e == NULL || e->component != comp_map[sm].comp)
            continue;
        if (++seen > VT_APPRAISAL_MAX_DIGESTS)
            continue;
        if (listed && !digest_allowed(env, sm, e)) {
            char sh[20];
            short_hex(sh, e->digest, e->digest_len);
            bad = true;
            reason(s, "%s: digest %s (%.40s) is not a reference value of environment %s", name, sh, e->name,
                   env->id);
        }
    }
    if (seen > VT_APPRAISAL_MAX_DIGESTS) {
        /* A passport naming only some events would let the rest change unseen (the relying
         * party's and the key broker's comparisons of measured). */
        reason(s, "%s: the log measures %zu events; a passport names at most %d", name, seen,
               VT_APPRAISAL_MAX_DIGESTS);
        tv_set(s, comp_map[sm].key, TV_BAD);
        sub_status(s);
        return;
    }
    if (!listed) {
        if (seen > 0)
            reason(s, "%s: environment %s has no reference values for %s (not appraised)", name, env->id, name);
        s->status = VT_EAR_NONE;
        return;
    }
    if (seen == 0) {
        bad = true;
        reason(s, "%s: not measured (%s)", name, log == NULL ? "no measurement log" : "no event in the measurement log");
    }
    tv_set(s, comp_map[sm].key, bad ? TV_BAD : TV_OK);
    sub_status(s);
}

vt_status vt_appraise(vt_appraisal *out, const vt_result *result, const vt_mlog *log, const vt_env *env,
                      vt_time evidence_time, vt_time now, vt_err *err)
{
    memset(out, 0, sizeof(*out));
    out->status = VT_EAR_CONTRAINDICATED;
    if (result == NULL || env == NULL)
        return vt_err_set(err, VT_E_ARG, "appraise: missing result or environment");
    if (now <= 0 || env->max_evidence_age <= 0 || env->passport_lifetime <= 0 ||
        now > INT64_MAX - SKEW - env->passport_lifetime || evidence_time < 0)
        return vt_err_set(err, VT_E_ARG, "appraise: a time and an environment with max_evidence_age and "
                                         "passport_lifetime are required");
    appraise_tee(&out->sub[VT_SUBMOD_TEE], out->tcb_status, result, log, env, evidence_time, now);
    for (int s = VT_SUBMOD_MODEL; s < VT_SUBMOD_COUNT; s++)
        appraise_component(&out->sub[s], (vt_submod)s, log, env);
    out->expires = now + env->passport_lifetime;
    if (result->claims.not_after != 0 && result->claims.not_after < out->expires)
        out->expires = result->claims.not_after;
    out->status = VT_EAR_AFFIRMING;
    for (int s = 0; s < VT_SUBMOD_COUNT; s++)
        if (out->sub[s].status > out->status)
            out->status = out->sub[s].status;
    return VT_OK;
}
