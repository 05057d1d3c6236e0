/*
 * Internal: TCG2 crypto-agile event log (TCG PC Client Platform Firmware
 * Profile §10; Linux binary_bios_measurements): replay into PCR values per
 * bank, and the few events a policy needs.  One linear pass, capped at
 * VT_TPM_EVLOG_MAX_EVENTS events and VT_TPM_EVLOG_MAX_BYTES bytes.
 */
#ifndef VT_TEE_TPM_EVENTLOG_H
#define VT_TEE_TPM_EVENTLOG_H

#include "tee/tpm_attest.h"

#define VT_TPM_EVLOG_MAX_BYTES (16u << 20)  /* 16 MiB; real UEFI logs are 20-200 KiB */
#define VT_TPM_EVLOG_MAX_EVENTS 200000u
#define VT_TPM_EVLOG_EVENT_MAX (1u << 20)   /* one event's data */
#define VT_TPM_EVLOG_ALGS_MAX 5

#define VT_TPM_EV_NO_ACTION 0x00000003u
#define VT_TPM_EV_SEPARATOR 0x00000004u
#define VT_TPM_EV_EFI_VARIABLE_DRIVER_CONFIG 0x80000001u
#define VT_TPM_EV_EFI_BOOT_SERVICES_APPLICATION 0x80000003u

typedef struct vt__tpm_evlog_bank {
    uint16_t alg;
    size_t len;                                        /* digest size */
    uint8_t pcr[VT_TPM_PCR_COUNT][VT_TPM_DIGEST_MAX];  /* replayed values */
} vt__tpm_evlog_bank;

typedef struct vt__tpm_evlog {
    vt__tpm_evlog_bank bank[VT_TPM_EVLOG_ALGS_MAX];
    size_t bank_count;
    uint32_t touched;            /* bit i: the log extends PCR i */
    size_t event_count;          /* every event, the header included */
    /* What a policy needs, from the SHA-256 digests (zero when absent). */
    int secure_boot;             /* -1 unknown, else the SecureBoot variable's value */
    bool has_boot_loader, has_kernel;
    uint8_t boot_loader[32];     /* first EV_EFI_BOOT_SERVICES_APPLICATION in PCR 4 */
    uint8_t kernel[32];          /* last one in PCR 4 after the boot loader (the kernel's EFI stub) */
    size_t boot_apps;            /* EV_EFI_BOOT_SERVICES_APPLICATION events in PCR 4 */
} vt__tpm_evlog;

/* Parses and replays.  VT_E_FORMAT naming the event and field, VT_E_LIMIT
 * past a cap; *out is zeroed (secure_boot -1) on failure. */
VT_NODISCARD vt_status vt__tpm_evlog_replay(vt__tpm_evlog *out, const uint8_t *p, size_t len, vt_err *err);

/* The replayed bank for alg, or NULL when the log carries no such digests. */
const vt__tpm_evlog_bank *vt__tpm_evlog_bank_get(const vt__tpm_evlog *log, uint16_t alg);

#endif
