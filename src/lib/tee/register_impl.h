/*
 * Internal: one measurement register implementation per platform
 * (veritee/register.h).  register.c picks one by platform and simulation;
 * each <platform>_register.c (beside its plugin) ends with its const table.
 */
#ifndef VT_TEE_REGISTER_IMPL_H
#define VT_TEE_REGISTER_IMPL_H

#include "veritee/register.h"

typedef struct vt__register_ops {
    const char *describe;  /* "tdx RTMR3", ... */
    vt_md md;              /* the bank: each event is extended as vt_mlog_event_digest(md) */
    /* Each NULL = nothing to do on this platform (the call succeeds). */
    vt_status (*reset)(vt_register *r, vt_err *err);
    /* d is vt_md_len(md) bytes; new_value (may be NULL) gets the register after it, zeros when
     * it cannot be read back. */
    vt_status (*extend)(vt_register *r, const uint8_t *d, uint8_t *new_value, vt_err *err);
    vt_status (*lock)(vt_register *r, vt_err *err);
} vt__register_ops;

struct vt_register {
    const vt__register_ops *ops;
    vt_register_opts o; /* strings borrowed from the caller */
};

/* vt_register_bind_report_data with the log's SHA-384 replay already computed (a verifier
 * replays once and uses the replay as a claim too). */
vt_status vt__register_bind_replay(uint8_t out[VT_REPORT_DATA_LEN], const uint8_t report_data[VT_REPORT_DATA_LEN],
                                   const uint8_t replay[VT_REGISTER_LEN], vt_err *err);

extern const vt__register_ops vt__register_mock;
extern const vt__register_ops vt__register_tdx;
extern const vt__register_ops vt__register_tdx_sim;
extern const vt__register_ops vt__register_tpm;
extern const vt__register_ops vt__register_nitro;
extern const vt__register_ops vt__register_nitro_sim;
extern const vt__register_ops vt__register_sevsnp;

#endif
