/*
 * veritee measurement registers: where a measurement log (mlog.h) is extended
 * on each platform, and where a verifier finds it again in the evidence.
 * What each register proves, and what it does not: docs/formats/registers.md.
 *
 *   platform  register                          bank     extended with, per event e
 *   mock      <state>/mock/mr (software)        SHA-384  SHA-384(encoding of e)
 *   tdx       RTMR3 (sysfs, Linux 6.16+)        SHA-384  SHA-384(encoding of e)
 *   tpm       PCR 23 (TPM2_PCR_Extend, ESAPI)   SHA-256  SHA-256(encoding of e)
 *   nitro     NSM PCR 16 (ExtendPCR, LockPCR)   SHA-384  SHA-384(encoding of e)
 *   sevsnp    none: at every attestation, report_data binds the log's SHA-384 replay
 *             (vt_register_bind_report_data)
 *
 * Every register follows reg = H(reg || d) from zero bytes, so a log replays
 * with vt_mlog_replay_md(reg, spec.md, log).  An Azure confidential VM's
 * register is the TPM one on its vTPM (the same PCR 23, platform tpm).
 */
#ifndef VERITEE_REGISTER_H
#define VERITEE_REGISTER_H

#include "veritee/base.h"
#include "veritee/crypto.h"
#include "veritee/mlog.h"
#include "veritee/tee.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The Nitro Secure Module PCR the gateway extends: 16 is the first PCR an enclave may extend
 * (0-15 are the hypervisor's, locked at launch). */
#define VT_NITRO_APP_PCR 16u

/* ---- the machine's side: extending ---- */

/* Caller owns, free with vt_register_free(). */
typedef struct vt_register vt_register;

typedef struct vt_register_opts {
    vt_tee_kind platform;      /* mock, tdx, sevsnp, nitro or tpm (VT_TEE_NONE is refused: detect first) */
    bool simulate;             /* the platform's simulator: nitro = a simulated NSM whose PCRs live in
                                  <state_dir>/sim/nitro_nsm; tpm = the TPM at tpm_tcti (swtpm, `veritee
                                  sim tpm start`); tdx = nothing to extend (the simulated quote's RTMR3
                                  is the log's replay); sevsnp = as without (no register) */
    const char *state_dir;     /* borrowed; mock register, simulated NSM */
    const char *sysroot;       /* borrowed; NULL = "/" (tdx sysfs, /dev/nsm, /dev/tpmrm0) */
    const char *tpm_tcti;      /* borrowed; tpm: a tpm2-tss TCTI string, NULL = device:/dev/tpmrm0 */
} vt_register_opts;

/* Opens the platform's register (nothing is changed yet).  o and its strings are borrowed
 * for the register's life.  VT_E_UNSUPPORTED for a platform without an implementation. */
VT_NODISCARD VT_API vt_status vt_register_open(vt_register **out, const vt_register_opts *o, vt_err *err);
VT_API void vt_register_free(vt_register *r);
/* A boot starts here.  mock: the register is set to zero; tpm: TPM2_PCR_Reset(23) (PCR 23 is
 * resettable at locality 0, so it would otherwise keep the previous run's extends); simulated
 * NSM: a fresh PCR 16.  tdx and a real NSM cannot be reset: they start zeroed with the TEE, and
 * this is a no-op.  sevsnp: nothing to reset. */
VT_NODISCARD VT_API vt_status vt_register_reset(vt_register *r, vt_err *err);
/* Extends one event: the caller appends it to its log first (a crash in between leaves the log
 * ahead of the register, which replay detects).  sevsnp: nothing (the binding is made when
 * attesting).  new_value (optional, vt_md_len(spec.md) bytes) gets the register after the
 * extend where it can be read back, else zeros. */
VT_NODISCARD VT_API vt_status vt_register_extend_event(vt_register *r, const vt_mlog_event *e, uint8_t *new_value,
                                                       vt_err *err);
/* The boot is measured: nitro locks PCR 16 (LockPCR; the NSM reports a user PCR in its
 * attestation documents once it is locked, and refuses further extends); others: nothing. */
VT_NODISCARD VT_API vt_status vt_register_lock(vt_register *r, vt_err *err);
/* "tpm PCR 23 (sha256)", "nitro PCR 16 (simulated NSM)", ... (borrowed, static or valid while r lives). */
VT_API const char *vt_register_describe(const vt_register *r);

/* ---- the verifier's side ---- */

typedef enum vt_register_binding {
    VT_REGISTER_NONE = 0,        /* the platform has no place for a log: a log is refused */
    VT_REGISTER_EXTENDED = 1,    /* the log replays to the register in claim `claim` */
    VT_REGISTER_REPORT_DATA = 2, /* no register: report_data = vt_register_bind_report_data(nonce
                                    binding, log); after checking it the verifier adds the replay
                                    as claim `claim` */
} vt_register_binding;

typedef struct vt_register_spec {
    vt_register_binding binding;
    const char *claim;           /* static: "mr", "rtmr3", "pcr23", "pcr16", "log_sha384"; NULL with NONE */
    vt_md md;                    /* the bank: the replay is vt_mlog_replay_md(.., md, ..) */
} vt_register_spec;

/* What a verifier replays a platform's log against (the platform plugins say it). */
VT_API void vt_register_spec_get(vt_register_spec *out, vt_tee_kind platform);

/*
 * A platform without a register (VT_REGISTER_REPORT_DATA) binds its log at every attestation:
 *   out = SHA-512("veritee-log-binding-v1" 0x00 || report_data || SHA-384 replay of log)
 * where report_data is the nonce binding (vt_report_data_bind).  out may alias report_data.
 */
VT_NODISCARD VT_API vt_status vt_register_bind_report_data(uint8_t out[VT_REPORT_DATA_LEN],
                                                           const uint8_t report_data[VT_REPORT_DATA_LEN],
                                                           const vt_mlog *log, vt_err *err);

#ifdef __cplusplus
}
#endif
#endif /* VERITEE_REGISTER_H */
