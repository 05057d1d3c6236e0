/*
 * Internal: the simulation CA kept in <state_dir>/sim/ (tee/sim_root.c).
 *
 *   veritee Simulation Root CA                (root_ca.pem / root_ca.key)
 *   +- veritee Simulation PCK Platform CA     (tdx_pck_platform_ca.pem / .key)
 *   +- veritee Simulation TCB Signing         (tdx_tcb_signing.pem / .key)
 *   +- SEV-Milan, O=veritee simulation (not AMD)  (snp_ask.pem / .key, P-384)
 *   and the TDX QE attestation key            (tdx_qe_attestation.key)
 *
 * Made on first use (directory 0700, private keys 0600), reused afterwards.
 * Nothing here is trusted unless a verifier is told to trust the simulation
 * root (vt_verify_opts.trust_sim).
 */
#ifndef VT_TEE_SIM_ROOT_H
#define VT_TEE_SIM_ROOT_H

#include "veritee/crypto.h"

#define VT_SIM_ROOT_CN "veritee Simulation Root CA"
#define VT_SIM_PCK_CA_CN "veritee Simulation PCK Platform CA"
#define VT_SIM_TCB_CN "veritee Simulation TCB Signing"
#define VT_SIM_PCK_CN "veritee Simulation PCK Certificate"
#define VT_SIM_ORG "veritee simulation (not Intel, not hardware)"
/* The SEV-SNP verifier names the product line by the ASK's CN under the
 * simulation root, so the simulation ASK is called like AMD's Milan ASK; its
 * organization (and its issuer) say it is not. */
#define VT_SIM_SNP_ASK_CN "SEV-Milan"
#define VT_SIM_SNP_ORG "veritee simulation (not AMD, not hardware)"

/* Every member caller-owned; release with vt__sim_ca_clear(). */
typedef struct vt__sim_ca {
    vt_x509 *root;
    vt_pkey *root_key;
    vt_x509 *pck_ca;
    vt_pkey *pck_ca_key;
    vt_x509 *tcb;
    vt_pkey *tcb_key;
    vt_pkey *qe_key; /* TDX QE attestation key (P-256) */
    vt_x509 *snp_ask;     /* SEV-SNP ASK (P-384), signs simulated VCEKs */
    vt_pkey *snp_ask_key;
} vt__sim_ca;

/* Loads the simulation CA from <state_dir>/sim, creating what is missing.
 * On failure *out is left cleared. */
vt_status vt__sim_ca_load(vt__sim_ca *out, const char *state_dir, vt_err *err);
/* Frees every member (keys are wiped) and zeroes the struct.  NULL-safe. */
void vt__sim_ca_clear(vt__sim_ca *ca);

/* A simulation root certificate from a PEM file (another state directory's
 * sim/root_ca.pem): exactly one certificate whose CN is VT_SIM_ROOT_CN.
 * Caller owns *out. */
vt_status vt__sim_root_load_file(vt_x509 **out, const char *path, vt_err *err);

/* A random positive certificate serial of at most 8 bytes. */
vt_status vt__sim_random_serial(uint64_t *out, vt_err *err);

#endif
