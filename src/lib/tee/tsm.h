/*
 * Internal: evidence through the kernel's configfs-tsm report interface
 * (Documentation/ABI/testing/configfs-tsm-report), shared by TDX and SEV-SNP.
 */
#ifndef VT_TEE_TSM_H
#define VT_TEE_TSM_H

#include "veritee/base.h"

#define VT_TSM_REPORT_DIR "/sys/kernel/config/tsm/report"
#define VT_TSM_OUTBLOB_MAX (32 * 1024)

/*
 * Makes a report instance under <sysroot>/sys/kernel/config/tsm/report,
 * writes the 64-byte inblob, reads outblob (and auxblob when aux != NULL),
 * and checks that `generation` did not move under us (another writer) and
 * that `provider` is the expected one ("tdx_guest", "sev_guest").
 * instance: NULL for a fresh unique name (removed afterwards); tests pass a
 * pre-populated instance name, which is left in place.
 */
vt_status vt__tsm_report(vt_buf *out, vt_buf *aux, const char *sysroot, const char *instance,
                         const uint8_t inblob[64], const char *provider, vt_err *err);

/* True when configfs-tsm is mounted under sysroot; fills provider_out ("" if unknown). */
bool vt__tsm_present(const char *sysroot, char *provider_out, size_t provider_len);

#endif
