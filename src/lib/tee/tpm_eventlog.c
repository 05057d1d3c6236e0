/*
 * TCG2 crypto-agile event log replay (TCG PC Client Platform Firmware
 * Profile §10.2-10.4): a TCG_PCR_EVENT header carrying the Spec ID Event03
 * (digest sizes per algorithm), then TCG_PCR_EVENT2 records, all
 * little-endian.  Every event except EV_NO_ACTION extends its PCR in every
 * bank: PCR := H(PCR || digest).  A StartupLocality EV_NO_ACTION sets PCR 0's
 * initial value.  One linear pass; caps in tpm_eventlog.h.
 */
#include <stdlib.h>
#include <string.h>

#include "tee/tpm_eventlog.h"

static const uint8_t spec_id_sig[16] = "Spec ID Event03";     /* NUL-terminated, 16 bytes */
static const uint8_t locality_sig[16] = "StartupLocality";     /* NUL-terminated, 16 bytes */
/* EFI_GLOBAL_VARIABLE 8be4df61-93ca-11d2-aa0d-00e098032b8c, as stored (mixed-endian GUID). */
static const uint8_t efi_global_guid[16] = { 0x61, 0xdf, 0xe4, 0x8b, 0xca, 0x93, 0xd2, 0x11,
                                             0xaa, 0x0d, 0x00, 0xe0, 0x98, 0x03, 0x2b, 0x8c };

const vt__tpm_evlog_bank *vt__tpm_evlog_bank_get(const vt__tpm_evlog *log, uint16_t alg)
{
    for (size_t i = 0; i < log->bank_count; i++)
        if (log->bank[i].alg == alg)
            return &log->bank[i];
    return NULL;
}

/* The Spec ID Event03 in the first (SHA-1 format) event: digest sizes per algorithm. */
static vt_status spec_id(vt__tpm_evlog *log, vt_rd *r, vt_err *err)
{
    uint32_t pcr = vt_rd_u32le(r), type = vt_rd_u32le(r), size, nalg;
    vt_rd ev;
    uint8_t sig[16];

    vt_rd_skip(r, 20); /* SHA-1 digest field, zero */
    size = vt_rd_u32le(r);
    if (r->failed)
        return vt_err_set(err, VT_E_FORMAT, "tpm: event log header truncated");
    if (pcr != 0 || type != VT_TPM_EV_NO_ACTION)
        return vt_err_set(err, VT_E_FORMAT, "tpm: event log header is not an EV_NO_ACTION in PCR 0");
    ev = vt_rd_sub(r, size);
    vt_rd_copy(&ev, sig, sizeof(sig));
    if (ev.failed || memcmp(sig, spec_id_sig, sizeof(sig)) != 0)
        return vt_err_set(err, VT_E_FORMAT, "tpm: event log is not crypto-agile (no Spec ID Event03)");
    vt_rd_skip(&ev, 4 + 4); /* platformClass, spec version, errata, uintnSize */
    nalg = vt_rd_u32le(&ev);
    if (ev.failed || nalg == 0 || nalg > VT_TPM_EVLOG_ALGS_MAX)
        return vt_err_set(err, VT_E_FORMAT, "tpm: event log Spec ID numberOfAlgorithms %u not in 1..%d", nalg,
                          VT_TPM_EVLOG_ALGS_MAX);
    for (uint32_t i = 0; i < nalg; i++) {
        uint16_t alg = vt_rd_u16le(&ev), dsize = vt_rd_u16le(&ev);
        vt_md md = vt__tpm_alg_md(alg);

        if (ev.failed)
            return vt_err_set(err, VT_E_FORMAT, "tpm: event log Spec ID algorithm %u truncated", i);
        if (md == 0 || vt_md_len(md) != dsize)
            return vt_err_set(err, VT_E_FORMAT, "tpm: event log Spec ID algorithm 0x%04x size %u not supported", alg,
                              dsize);
        if (vt__tpm_evlog_bank_get(log, alg) != NULL)
            return vt_err_set(err, VT_E_FORMAT, "tpm: event log Spec ID lists 0x%04x twice", alg);
        log->bank[log->bank_count].alg = alg;
        log->bank[log->bank_count].len = dsize;
        log->bank_count++;
    }
    vt_rd_skip(&ev, vt_rd_u8(&ev)); /* vendorInfo */
    if (!vt_rd_ok_and_empty(&ev))
        return vt_err_set(err, VT_E_FORMAT, "tpm: event log Spec ID event malformed");
    return VT_OK;
}

/* "SecureBoot" in the EFI global namespace: its one-byte value. */
static void secure_boot_var(vt__tpm_evlog *log, const uint8_t *p, size_t len)
{
    static const char name[] = "SecureBoot";
    const size_t nlen = sizeof(name) - 1;
    vt_rd r;
    const uint8_t *guid, *uname, *data;
    uint64_t name_chars, data_len;

    vt_rd_init(&r, p, len);
    guid = vt_rd_take(&r, 16);
    name_chars = vt_rd_u64le(&r);
    data_len = vt_rd_u64le(&r);
    if (r.failed || name_chars != nlen || memcmp(guid, efi_global_guid, 16) != 0)
        return;
    uname = vt_rd_take(&r, 2 * nlen);
    if (uname == NULL || data_len != 1)
        return;
    for (size_t i = 0; i < nlen; i++)
        if (uname[2 * i] != (uint8_t)name[i] || uname[2 * i + 1] != 0)
            return;
    data = vt_rd_take(&r, 1);
    if (data != NULL && vt_rd_ok_and_empty(&r))
        log->secure_boot = data[0];
}

static vt_status extend(vt__tpm_evlog_bank *b, uint32_t pcr, const uint8_t *digest, vt_err *err)
{
    const void *parts[2] = { b->pcr[pcr], digest };
    size_t lens[2] = { b->len, b->len };
    uint8_t next[VT_TPM_DIGEST_MAX];
    vt_status rc = vt_digestv(vt__tpm_alg_md(b->alg), parts, lens, 2, next, err);

    if (rc == VT_OK)
        memcpy(b->pcr[pcr], next, b->len);
    return rc;
}

static void note_event(vt__tpm_evlog *log, uint32_t pcr, uint32_t type, const uint8_t *sha256, const uint8_t *data,
                       size_t dlen)
{
    if (type == VT_TPM_EV_EFI_VARIABLE_DRIVER_CONFIG && pcr == 7)
        secure_boot_var(log, data, dlen);
    if (type == VT_TPM_EV_EFI_BOOT_SERVICES_APPLICATION && pcr == 4 && sha256 != NULL) {
        if (log->boot_apps == 0) {
            memcpy(log->boot_loader, sha256, 32);
            log->has_boot_loader = true;
        } else {
            memcpy(log->kernel, sha256, 32);
            log->has_kernel = true;
        }
        log->boot_apps++;
    }
}

static vt_status event2(vt__tpm_evlog *log, vt_rd *r, size_t idx, vt_err *err)
{
    uint32_t pcr = vt_rd_u32le(r), type = vt_rd_u32le(r), count = vt_rd_u32le(r), size;
    const uint8_t *dig[VT_TPM_EVLOG_ALGS_MAX] = { NULL };
    const uint8_t *data, *sha256 = NULL;
    vt_status rc = VT_OK;

    if (r->failed)
        return vt_err_set(err, VT_E_FORMAT, "tpm: event log event %zu header truncated", idx);
    if (pcr >= VT_TPM_PCR_COUNT)
        return vt_err_set(err, VT_E_FORMAT, "tpm: event log event %zu names PCR %u", idx, pcr);
    if (count != log->bank_count)
        return vt_err_set(err, VT_E_FORMAT, "tpm: event log event %zu has %u digests, the log declares %zu", idx,
                          count, log->bank_count);
    for (uint32_t i = 0; i < count; i++) {
        uint16_t alg = vt_rd_u16le(r);
        size_t j;

        for (j = 0; j < log->bank_count && log->bank[j].alg != alg; j++)
            ;
        if (r->failed || j == log->bank_count || dig[j] != NULL)
            return vt_err_set(err, VT_E_FORMAT, "tpm: event log event %zu digest %u (alg 0x%04x) unexpected", idx,
                              i, alg);
        dig[j] = vt_rd_take(r, log->bank[j].len);
        if (alg == VT_TPM_ALG_SHA256)
            sha256 = dig[j];
    }
    size = vt_rd_u32le(r);
    if (r->failed)
        return vt_err_set(err, VT_E_FORMAT, "tpm: event log event %zu truncated", idx);
    if (size > VT_TPM_EVLOG_EVENT_MAX)
        return vt_err_set(err, VT_E_LIMIT, "tpm: event log event %zu data is %u bytes, over %u", idx, size,
                          VT_TPM_EVLOG_EVENT_MAX);
    data = vt_rd_take(r, size);
    if (data == NULL && size > 0)
        return vt_err_set(err, VT_E_FORMAT, "tpm: event log event %zu data truncated", idx);
    if (type == VT_TPM_EV_NO_ACTION) {
        /* Not extended.  StartupLocality: PCR 0 starts at 0..0 || locality. */
        if (pcr == 0 && size == 17 && memcmp(data, locality_sig, 16) == 0)
            for (size_t j = 0; j < log->bank_count; j++)
                log->bank[j].pcr[0][log->bank[j].len - 1] = data[16];
        return VT_OK;
    }
    /* EFI variable events digest their data (PFP §10.4.4): the claims read
     * from that data are only as good as this check. */
    if (type == VT_TPM_EV_EFI_VARIABLE_DRIVER_CONFIG)
        for (size_t j = 0; rc == VT_OK && j < log->bank_count; j++) {
            uint8_t h[VT_TPM_DIGEST_MAX];
            rc = vt_digest(vt__tpm_alg_md(log->bank[j].alg), data, size, h, err);
            if (rc == VT_OK && memcmp(h, dig[j], log->bank[j].len) != 0)
                rc = vt_err_set(err, VT_E_FORMAT, "tpm: event log event %zu (EFI variable) data does not match its %s digest",
                                idx, vt__tpm_alg_name(log->bank[j].alg));
        }
    for (size_t j = 0; rc == VT_OK && j < log->bank_count; j++)
        rc = extend(&log->bank[j], pcr, dig[j], err);
    log->touched |= 1u << pcr;
    note_event(log, pcr, type, sha256, data, size);
    return rc;
}

vt_status vt__tpm_evlog_replay(vt__tpm_evlog *out, const uint8_t *p, size_t len, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt__tpm_evlog *log = NULL;
    vt_rd r;

    memset(out, 0, sizeof(*out));
    out->secure_boot = -1;
    if (len > VT_TPM_EVLOG_MAX_BYTES)
        return vt_err_set(err, VT_E_LIMIT, "tpm: event log is %zu bytes, over %u", len, VT_TPM_EVLOG_MAX_BYTES);
    log = calloc(1, sizeof(*log));
    if (log == NULL)
        return vt_err_set(err, VT_E_NOMEM, "tpm: out of memory");
    log->secure_boot = -1;
    vt_rd_init(&r, p, len);
    rc = spec_id(log, &r, err);
    log->event_count = 1;
    while (rc == VT_OK && r.left > 0) {
        if (log->event_count >= VT_TPM_EVLOG_MAX_EVENTS) {
            rc = vt_err_set(err, VT_E_LIMIT, "tpm: event log has over %u events", VT_TPM_EVLOG_MAX_EVENTS);
            break;
        }
        rc = event2(log, &r, log->event_count, err);
        log->event_count++;
    }
    if (rc != VT_OK)
        goto out;
    *out = *log;
    rc = VT_OK;
out:
    free(log);
    return rc;
}
