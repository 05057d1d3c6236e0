/* SEV-SNP: REPORTED_TCB claims against a minimum TCB per product line.  Used by
 * the plugin (vt_verify_opts.sevsnp_min_tcb) and by the appraisal (an
 * environment's sevsnp_min_tcb), so both judge a TCB the same way. */
#include <stddef.h>
#include <stdio.h>

#include "veritee/tee.h"

/* A little-endian integer claim of 1..8 bytes. */
static bool claim_le(uint64_t *out, const vt_claims *c, const char *name)
{
    const vt_claim *cl = vt_claims_get(c, name);

    *out = 0;
    if (cl == NULL || cl->len == 0 || cl->len > 8)
        return false;
    for (size_t i = cl->len; i > 0; i--)
        *out = (*out << 8) | cl->value[i - 1];
    return true;
}

const char *vt_sevsnp_tcb_status(char *why, size_t why_len, const vt_claims *c, const vt_env_snp_tcb *min,
                                 const char *who)
{
    static const char *const products[VT_ENV_SNP_PRODUCTS] = { "Milan", "Genoa", "Turin" };
    static const struct {
        const char *claim, *name;
        size_t off;
    } comp[] = {
        { "reported_tcb_fmc", "fmc", offsetof(vt_env_snp_tcb, fmc) },
        { "reported_tcb_bl", "bootloader", offsetof(vt_env_snp_tcb, bootloader) },
        { "reported_tcb_tee", "tee", offsetof(vt_env_snp_tcb, tee) },
        { "reported_tcb_snp", "snp", offsetof(vt_env_snp_tcb, snp) },
        { "reported_tcb_ucode", "microcode", offsetof(vt_env_snp_tcb, microcode) },
    };
    const vt_env_snp_tcb *m;
    const char *status = "UpToDate";
    uint64_t prod, v;

    if (why != NULL && why_len > 0)
        why[0] = '\0';
    else
        why_len = 0;
    if (c == NULL || c->platform != VT_TEE_SEVSNP || !claim_le(&prod, c, "amd_product") ||
        prod >= VT_ENV_SNP_PRODUCTS)
        return NULL; /* the TCB was not certified */
    m = min != NULL ? &min[prod] : NULL;
    if (m == NULL || !m->set) {
        if (why_len > 0)
            snprintf(why, why_len, " (%s states no sevsnp_min_tcb for %s)", who != NULL ? who : "the caller",
                     products[prod]);
        return "Unknown";
    }
    for (size_t i = 0; i < sizeof(comp) / sizeof(comp[0]); i++) {
        uint8_t want = *((const uint8_t *)m + comp[i].off);
        if (i == 0 && prod != 2)
            continue; /* FMC exists on Turin only */
        if (!claim_le(&v, c, comp[i].claim)) {
            if (why_len > 0)
                snprintf(why, why_len, " (the evidence has no %s claim)", comp[i].claim);
            return "Unknown";
        }
        if (v < want && status[0] == 'U') {
            if (why_len > 0)
                snprintf(why, why_len, " (REPORTED_TCB %s SPL %u is below the %s minimum %u)", comp[i].name,
                         (unsigned)v, products[prod], want);
            status = "OutOfDate";
        }
    }
    return status;
}
