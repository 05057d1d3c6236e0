/*
 * Internal: the simulated Nitro Secure Module's PCRs 16..31 (the ones an
 * enclave may extend and lock), kept in <state_dir>/sim/nitro_nsm so that the
 * gateway (nitro_register.c) extends them and the simulator (nitro_sim.c)
 * reports them.  A PCR appears in a simulated document once it is locked, as
 * the NSM reports "all locked PCRs" (PCRs 0-15 are the simulator's fixed
 * image, locked at launch).
 *
 * File: "VTNSMSIM" || u32le locked mask (bit i = PCR i) || 16 x 48 bytes
 * (PCR 16..31).  No file = a fresh enclave: all zero, none locked.
 */
#ifndef VT_TEE_NITRO_NSM_SIM_H
#define VT_TEE_NITRO_NSM_SIM_H

#include "veritee/base.h"

#define VT_NSM_SIM_FIRST 16u
#define VT_NSM_SIM_COUNT 16u

typedef struct vt__nsm_sim {
    uint32_t locked;
    uint8_t pcr[VT_NSM_SIM_COUNT][48];
} vt__nsm_sim;

/* The state (all zero, none locked when there is none yet).  VT_E_FORMAT for a damaged file. */
VT_NODISCARD vt_status vt__nsm_sim_load(vt__nsm_sim *out, const char *state_dir, vt_err *err);
/* ExtendPCR / LockPCR as the NSM answers them: out (may be NULL) gets the new value of an
 * extend; a locked PCR refuses extends ("ReadOnlyIndex"), PCRs below 16 refuse both. */
VT_NODISCARD vt_status vt__nsm_sim_pcr(uint8_t *out, const char *state_dir, bool lock, unsigned index,
                                       const uint8_t *data, size_t len, vt_err *err);
/* A new enclave: every PCR 16..31 zero and unlocked. */
VT_NODISCARD vt_status vt__nsm_sim_reset(const char *state_dir, vt_err *err);

#endif
