/*
 * AWS Nitro Enclaves: PCR 16 of the Nitro Secure Module, the first PCR an
 * enclave may extend (0-15 are measured and locked by the hypervisor).  Each
 * event is extended with ExtendPCR (PCR = SHA-384(PCR || data)); once the
 * boot is measured, LockPCR makes it read-only for the enclave's life, and
 * from then on the NSM reports it in every attestation document.  A real NSM
 * cannot be reset: PCR 16 starts zeroed with the enclave.  Under simulation
 * the same calls go to a simulated NSM in the state directory
 * (nitro_nsm_sim.h), which `veritee sim nitro` and simulated attestation
 * report.
 */
#include "tee/collect.h"
#include "tee/nitro_nsm_sim.h"
#include "tee/register_impl.h"

static vt_status nsm_extend(vt_register *r, const uint8_t *d, uint8_t *out, vt_err *err)
{
    return vt__nsm_pcr(out, r->o.sysroot, false, VT_NITRO_APP_PCR, d, 48, err);
}

static vt_status nsm_lock(vt_register *r, vt_err *err)
{
    return vt__nsm_pcr(NULL, r->o.sysroot, true, VT_NITRO_APP_PCR, NULL, 0, err);
}

const vt__register_ops vt__register_nitro = {
    .describe = "nitro NSM PCR 16",
    .md = VT_MD_SHA384,
    .extend = nsm_extend,
    .lock = nsm_lock,
};

static vt_status sim_reset(vt_register *r, vt_err *err)
{
    return vt__nsm_sim_reset(r->o.state_dir, err);
}

static vt_status sim_extend(vt_register *r, const uint8_t *d, uint8_t *out, vt_err *err)
{
    return vt__nsm_sim_pcr(out, r->o.state_dir, false, VT_NITRO_APP_PCR, d, 48, err);
}

static vt_status sim_lock(vt_register *r, vt_err *err)
{
    return vt__nsm_sim_pcr(NULL, r->o.state_dir, true, VT_NITRO_APP_PCR, NULL, 0, err);
}

const vt__register_ops vt__register_nitro_sim = {
    .describe = "nitro NSM PCR 16 (simulated NSM in the state directory)",
    .md = VT_MD_SHA384,
    .reset = sim_reset,
    .extend = sim_extend,
    .lock = sim_lock,
};
