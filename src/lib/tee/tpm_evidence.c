/*
 * The veritee TPM evidence container: building it (from parts or from an
 * evidence directory) and splitting it into its parts.  Format in
 * docs/formats/tpm.md; the parts themselves are parsed by tpm_attest.c and
 * tpm_eventlog.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "tee/azure_envelope.h"
#include "tee/tpm_attest.h"
#include "tee/tpm_evidence.h"

#define MAGIC_LEN 8
#define RECORD_HDR 7

static const char magic[] = VT_TPM_EVIDENCE_MAGIC;

bool vt__tpm_evidence_probe(const uint8_t *p, size_t len)
{
    return p != NULL && len >= MAGIC_LEN && memcmp(p, magic, MAGIC_LEN) == 0;
}

vt_status vt_tpm_evidence_add(vt_buf *out, vt_tpm_part part, uint16_t alg, const uint8_t *p, size_t len, vt_err *err)
{
    vt_status rc = VT_OK;
    uint8_t hdr[RECORD_HDR];
    size_t total;

    if (out == NULL || (p == NULL && len > 0) || part < VT_TPM_PART_ATTEST || part > VT_TPM_PART_HCL_BINDS_NONCE)
        return vt_err_set(err, VT_E_ARG, "tpm: evidence record type or bytes missing");
    if (out->len > 0 && !vt__tpm_evidence_probe(out->data, out->len))
        return vt_err_set(err, VT_E_ARG, "tpm: buffer does not hold a TPM evidence container");
    total = out->len == 0 ? MAGIC_LEN : out->len;
    if (len > VT_TPM_EVIDENCE_MAX || total + RECORD_HDR + len > VT_TPM_EVIDENCE_MAX)
        return vt_err_set(err, VT_E_LIMIT, "tpm: evidence container would exceed %u bytes", VT_TPM_EVIDENCE_MAX);
    if (out->len == 0)
        rc = vt_buf_append(out, magic, MAGIC_LEN, err);
    hdr[0] = (uint8_t)part;
    hdr[1] = (uint8_t)(alg >> 8);
    hdr[2] = (uint8_t)alg;
    hdr[3] = (uint8_t)(len >> 24);
    hdr[4] = (uint8_t)(len >> 16);
    hdr[5] = (uint8_t)(len >> 8);
    hdr[6] = (uint8_t)len;
    if (rc == VT_OK)
        rc = vt_buf_append(out, hdr, sizeof(hdr), err);
    if (rc == VT_OK && len > 0)
        rc = vt_buf_append(out, p, len, err);
    return rc;
}

static vt_status put_blob(vt__tpm_blob *b, const uint8_t *p, size_t len, const char *what, size_t idx, vt_err *err)
{
    if (b->p != NULL)
        return vt_err_set(err, VT_E_FORMAT, "tpm: evidence record %zu: a second %s", idx, what);
    b->p = p;
    b->len = len;
    return VT_OK;
}

vt_status vt__tpm_evidence_parse(vt__tpm_evidence *out, const uint8_t *p, size_t len, vt_err *err)
{
    vt_status rc = VT_OK;
    vt__tpm_evidence ev;
    vt_rd r;
    size_t idx = 0;
    bool want_sig = false;

    memset(out, 0, sizeof(*out));
    memset(&ev, 0, sizeof(ev));
    if (len > VT_TPM_EVIDENCE_MAX)
        return vt_err_set(err, VT_E_LIMIT, "tpm: evidence is %zu bytes, over %u", len, VT_TPM_EVIDENCE_MAX);
    if (!vt__tpm_evidence_probe(p, len))
        return vt_err_set(err, VT_E_FORMAT, "tpm: evidence does not start with " VT_TPM_EVIDENCE_MAGIC);
    vt_rd_init(&r, p + MAGIC_LEN, len - MAGIC_LEN);
    while (rc == VT_OK && r.left > 0) {
        uint8_t part = vt_rd_u8(&r);
        uint16_t alg = vt_rd_u16be(&r);
        uint32_t n = vt_rd_u32be(&r);
        const uint8_t *body = vt_rd_take(&r, n);

        if (r.failed)
            return vt_err_set(err, VT_E_FORMAT, "tpm: evidence record %zu truncated", idx);
        if (idx >= VT_TPM_EVIDENCE_RECORDS_MAX)
            return vt_err_set(err, VT_E_LIMIT, "tpm: evidence has over %d records", VT_TPM_EVIDENCE_RECORDS_MAX);
        if (want_sig != (part == VT_TPM_PART_SIG))
            return vt_err_set(err, VT_E_FORMAT, want_sig ? "tpm: evidence record %zu: a quote without its signature"
                                                         : "tpm: evidence record %zu: a signature without a quote",
                              idx);
        if (alg != 0 && part != VT_TPM_PART_PCRS)
            return vt_err_set(err, VT_E_FORMAT, "tpm: evidence record %zu: alg set on a record that has none", idx);
        switch (part) {
        case VT_TPM_PART_ATTEST:
            if (ev.quote_count >= VT_TPM_QUOTES_MAX)
                return vt_err_set(err, VT_E_LIMIT, "tpm: evidence has over %d quotes", VT_TPM_QUOTES_MAX);
            ev.attest[ev.quote_count].p = body;
            ev.attest[ev.quote_count].len = n;
            want_sig = true;
            break;
        case VT_TPM_PART_SIG:
            ev.sig[ev.quote_count].p = body;
            ev.sig[ev.quote_count].len = n;
            ev.quote_count++;
            want_sig = false;
            break;
        case VT_TPM_PART_PCRS: {
            vt_md md = vt__tpm_alg_md(alg);

            if (md == 0 || n == 0 || n % vt_md_len(md) != 0 || n / vt_md_len(md) > VT_TPM_PCR_COUNT)
                return vt_err_set(err, VT_E_FORMAT, "tpm: evidence record %zu: PCR bank 0x%04x of %u bytes", idx,
                                  alg, n);
            for (size_t i = 0; i < ev.pcr_bank_count; i++)
                if (ev.pcr_alg[i] == alg)
                    return vt_err_set(err, VT_E_FORMAT, "tpm: evidence record %zu: PCR bank %s twice", idx,
                                      vt__tpm_alg_name(alg));
            if (ev.pcr_bank_count >= VT_TPM_PCR_BANKS_MAX)
                return vt_err_set(err, VT_E_LIMIT, "tpm: evidence has over %d PCR banks", VT_TPM_PCR_BANKS_MAX);
            ev.pcr_alg[ev.pcr_bank_count] = alg;
            ev.pcrs[ev.pcr_bank_count].p = body;
            ev.pcrs[ev.pcr_bank_count].len = n;
            ev.pcr_bank_count++;
            break;
        }
        case VT_TPM_PART_EVENT_LOG: rc = put_blob(&ev.event_log, body, n, "event log", idx, err); break;
        case VT_TPM_PART_AK_PUB: rc = put_blob(&ev.ak_pub, body, n, "AK public area", idx, err); break;
        case VT_TPM_PART_AK_CERT: rc = put_blob(&ev.ak_cert, body, n, "AK certificate", idx, err); break;
        case VT_TPM_PART_HCL_REPORT: rc = put_blob(&ev.hcl_report, body, n, "HCL report", idx, err); break;
        case VT_TPM_PART_HW_CERTS: rc = put_blob(&ev.hw_certs, body, n, "hardware certificates", idx, err); break;
        case VT_TPM_PART_TD_QUOTE: rc = put_blob(&ev.td_quote, body, n, "TD quote", idx, err); break;
        case VT_TPM_PART_HCL_BINDS_NONCE:
            if (n != 0 || ev.hcl_binds_nonce)
                return vt_err_set(err, VT_E_FORMAT, "tpm: evidence record %zu: a nonce-binding record twice or "
                                  "with %u bytes", idx, n);
            ev.hcl_binds_nonce = true;
            break;
        default: return vt_err_set(err, VT_E_FORMAT, "tpm: evidence record %zu has unknown type %u", idx, part);
        }
        idx++;
    }
    if (rc != VT_OK)
        return rc;
    if (want_sig)
        return vt_err_set(err, VT_E_FORMAT, "tpm: evidence ends with a quote without its signature");
    if (ev.quote_count == 0)
        return vt_err_set(err, VT_E_FORMAT, "tpm: evidence holds no quote");
    *out = ev;
    return VT_OK;
}

/* ---- evidence directories ---- */

#define DIR_FILE_MAX (VT_TPM_EVIDENCE_MAX / 2)

static bool file_exists(const char *dir, const char *name)
{
    char path[4096];
    struct stat st;

    if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
        return false;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Adds dir/name as a record when the file exists. */
static vt_status add_file(vt_buf *out, const char *dir, const char *name, vt_tpm_part part, uint16_t alg,
                          bool *added, vt_err *err)
{
    vt_status rc;
    char path[4096];
    vt_buf b;

    if (added != NULL)
        *added = false;
    if (!file_exists(dir, name))
        return VT_OK;
    if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
        return vt_err_set(err, VT_E_ARG, "tpm: evidence directory path too long");
    vt_buf_init(&b);
    rc = vt_file_read(&b, path, DIR_FILE_MAX, err);
    if (rc == VT_OK)
        rc = vt_tpm_evidence_add(out, part, alg, b.data, b.len, err);
    vt_buf_free(&b);
    if (rc == VT_OK && added != NULL)
        *added = true;
    return rc;
}

static const struct {
    const char *name;
    uint16_t alg;
} banks[] = { { "sha1", VT_TPM_ALG_SHA1 }, { "sha256", VT_TPM_ALG_SHA256 }, { "sha384", VT_TPM_ALG_SHA384 } };

static bool has_quote_files(const char *dir)
{
    char name[64];

    if (file_exists(dir, "tpm_quote.attest"))
        return true;
    for (size_t i = 0; i < sizeof(banks) / sizeof(banks[0]); i++) {
        snprintf(name, sizeof(name), "quote_%s.attest", banks[i].name);
        if (file_exists(dir, name))
            return true;
    }
    return false;
}

bool vt_tpm_evidence_dir_probe(const char *dir)
{
    return dir != NULL &&
           (has_quote_files(dir) || file_exists(dir, "attestation.pb") || file_exists(dir, "evidence.orig.json"));
}

/* A directory that holds only one converted container: go-tpm-tools'
 * attestation.pb or the Azure envelope evidence.orig.json. */
static vt_status load_converted(vt_buf *out, const char *dir, const char *name,
                                vt_status (*convert)(vt_buf *, const uint8_t *, size_t, vt_err *), vt_err *err)
{
    vt_status rc;
    char path[4096];
    vt_buf b;

    if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
        return vt_err_set(err, VT_E_ARG, "tpm: evidence directory path too long");
    vt_buf_init(&b);
    rc = vt_file_read(&b, path, VT_TPM_EVIDENCE_MAX, err);
    if (rc == VT_OK)
        rc = convert(out, b.data, b.len, err);
    vt_buf_free(&b);
    return rc;
}

vt_status vt_tpm_evidence_load_dir(vt_buf *out, const char *dir, vt_err *err)
{
    vt_status rc = VT_OK;
    char name[64], sname[64];
    bool added = false;
    size_t quotes = 0;

    if (out == NULL || dir == NULL)
        return vt_err_set(err, VT_E_ARG, "tpm: no evidence directory");
    /* The separate files win; attestation.pb (go-tpm-tools) or else
     * evidence.orig.json (the Azure envelope) alone is converted. */
    if (!has_quote_files(dir) && file_exists(dir, "attestation.pb"))
        return load_converted(out, dir, "attestation.pb", vt__tpm_pb_to_container, err);
    if (!has_quote_files(dir) && file_exists(dir, "evidence.orig.json"))
        return load_converted(out, dir, "evidence.orig.json", vt__azure_envelope_to_container, err);
    rc = add_file(out, dir, "tpm_quote.attest", VT_TPM_PART_ATTEST, 0, &added, err);
    if (rc == VT_OK && added) {
        quotes++;
        if (!file_exists(dir, "tpm_quote.sig"))
            return vt_err_set(err, VT_E_FORMAT, "tpm: %s/tpm_quote.attest has no tpm_quote.sig", dir);
        rc = add_file(out, dir, "tpm_quote.sig", VT_TPM_PART_SIG, 0, NULL, err);
    }
    for (size_t i = 0; rc == VT_OK && i < sizeof(banks) / sizeof(banks[0]); i++) {
        snprintf(name, sizeof(name), "quote_%s.attest", banks[i].name);
        snprintf(sname, sizeof(sname), "quote_%s.sig", banks[i].name);
        rc = add_file(out, dir, name, VT_TPM_PART_ATTEST, 0, &added, err);
        if (rc != VT_OK || !added)
            continue;
        quotes++;
        if (!file_exists(dir, sname))
            return vt_err_set(err, VT_E_FORMAT, "tpm: %s/%s has no %s", dir, name, sname);
        rc = add_file(out, dir, sname, VT_TPM_PART_SIG, 0, NULL, err);
    }
    if (rc == VT_OK && quotes == 0)
        return vt_err_set(err, VT_E_FORMAT, "tpm: %s holds no quote (tpm_quote.attest or quote_<bank>.attest)", dir);
    for (size_t i = 0; rc == VT_OK && i < sizeof(banks) / sizeof(banks[0]); i++) {
        snprintf(name, sizeof(name), "pcrs_%s.bin", banks[i].name);
        rc = add_file(out, dir, name, VT_TPM_PART_PCRS, banks[i].alg, NULL, err);
    }
    if (rc == VT_OK)
        rc = add_file(out, dir, "event_log.bin", VT_TPM_PART_EVENT_LOG, 0, NULL, err);
    if (rc == VT_OK)
        rc = add_file(out, dir, "ak_pub.tpmt", VT_TPM_PART_AK_PUB, 0, NULL, err);
    if (rc == VT_OK)
        rc = add_file(out, dir, "ak_cert.der", VT_TPM_PART_AK_CERT, 0, NULL, err);
    if (rc == VT_OK)
        rc = add_file(out, dir, "hcl_report.bin", VT_TPM_PART_HCL_REPORT, 0, NULL, err);
    if (rc == VT_OK)
        rc = add_file(out, dir, "vcek.pem", VT_TPM_PART_HW_CERTS, 0, NULL, err);
    if (rc == VT_OK)
        rc = add_file(out, dir, "td_quote.bin", VT_TPM_PART_TD_QUOTE, 0, NULL, err);
    return rc;
}
