/* Internal: the simulated TPM's pinned AK (tpm_sim.c, veritee/sim.h). */
#ifndef VT_TEE_TPM_SIM_H
#define VT_TEE_TPM_SIM_H

#include "veritee/sim.h"

/* True when <state_dir>/sim/tpm_ak_sha256 names this AK (vt_sim_tpm_pin_ak). */
bool vt__sim_tpm_ak_pinned(const char *state_dir, const uint8_t ak_sha256[32]);

#endif
