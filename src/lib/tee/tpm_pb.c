/*
 * The go-tpm-tools attestation container (attest.Attestation, protobuf;
 * go-tpm-tools proto/attest.proto and proto/tpm.proto), read by hand with a
 * bounded reader and turned into a veritee TPM evidence container
 * (docs/formats/tpm.md, "go-tpm-tools attestation.pb"):
 *
 *   Attestation { bytes ak_pub = 1; repeated Quote quotes = 2; bytes event_log = 3;
 *                 bytes ak_cert = 6; ... }
 *   Quote { bytes quote = 1 (TPMS_ATTEST); bytes raw_sig = 2 (TPMT_SIGNATURE); PCRs pcrs = 3; }
 *   PCRs  { HashAlgo hash = 1; map<uint32, bytes> pcrs = 2; }
 *
 * Other fields (instance info, canonical event log, intermediates, the TEE
 * attestation) are skipped; groups are refused.  Singular fields may appear
 * once.
 */
#include <stdlib.h>
#include <string.h>

#include "tee/tpm_attest.h"
#include "tee/tpm_evidence.h"

#define WT_VARINT 0
#define WT_I64 1
#define WT_LEN 2
#define WT_I32 5

typedef struct pb_field {
    uint32_t num;
    uint32_t wt;
    uint64_t v;   /* WT_VARINT */
    vt_rd body;   /* WT_LEN */
} pb_field;

static bool pb_varint(vt_rd *r, uint64_t *out)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < 10; i++) {
        uint8_t b = vt_rd_u8(r);
        if (!vt_rd_ok(r))
            return false;
        if (i == 9 && b > 1)
            return false; /* past 64 bits */
        v |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *out = v;
            return true;
        }
    }
    return false;
}

/* The next field of r; false at a malformed one. */
static bool pb_next(vt_rd *r, pb_field *f)
{
    uint64_t key, n;

    memset(f, 0, sizeof(*f));
    if (!pb_varint(r, &key) || key >> 3 == 0 || key >> 3 > 0x1fffffff)
        return false;
    f->num = (uint32_t)(key >> 3);
    f->wt = (uint32_t)(key & 7);
    switch (f->wt) {
    case WT_VARINT: return pb_varint(r, &f->v);
    case WT_I64: vt_rd_skip(r, 8); return vt_rd_ok(r);
    case WT_I32: vt_rd_skip(r, 4); return vt_rd_ok(r);
    case WT_LEN:
        if (!pb_varint(r, &n) || n > r->left)
            return false;
        f->body = vt_rd_sub(r, (size_t)n);
        return vt_rd_ok(&f->body);
    default: return false; /* groups (3, 4) and reserved types */
    }
}

typedef struct pb_bank {
    uint16_t alg;
    uint8_t values[VT_TPM_PCR_COUNT * 48];
    uint32_t present;
} pb_bank;

/* PCRs { hash = 1; map<uint32, bytes> pcrs = 2 } */
static vt_status pb_pcrs(pb_bank *b, vt_rd *r, size_t qi, vt_err *err)
{
    pb_field f;
    size_t dlen = 0;
    bool has_hash = false;
    vt_rd entries[VT_TPM_PCR_COUNT];
    size_t n = 0;

    while (r->left > 0) {
        if (!pb_next(r, &f))
            return vt_err_set(err, VT_E_FORMAT, "tpm: attestation.pb quote %zu pcrs malformed", qi);
        if (f.num == 1 && f.wt == WT_VARINT) {
            if (has_hash || (f.v != VT_TPM_ALG_SHA1 && f.v != VT_TPM_ALG_SHA256 && f.v != VT_TPM_ALG_SHA384))
                return vt_err_set(err, VT_E_FORMAT, "tpm: attestation.pb quote %zu pcrs hash %llu repeated or unknown",
                                  qi, (unsigned long long)f.v);
            has_hash = true;
            b->alg = (uint16_t)f.v;
        } else if (f.num == 2 && f.wt == WT_LEN) {
            if (n >= VT_TPM_PCR_COUNT)
                return vt_err_set(err, VT_E_LIMIT, "tpm: attestation.pb quote %zu has more than %d PCR values", qi,
                                  VT_TPM_PCR_COUNT);
            entries[n++] = f.body;
        } else if (f.num == 1 || f.num == 2) {
            return vt_err_set(err, VT_E_FORMAT, "tpm: attestation.pb quote %zu pcrs field %u has wire type %u", qi,
                              f.num, f.wt);
        }
    }
    if (!has_hash)
        return vt_err_set(err, VT_E_FORMAT, "tpm: attestation.pb quote %zu pcrs has no hash", qi);
    dlen = vt_md_len(vt__tpm_alg_md(b->alg));
    for (size_t i = 0; i < n; i++) {
        uint64_t idx = 0;
        const uint8_t *val = NULL;
        size_t vlen = 0;
        bool has_idx = false;

        while (entries[i].left > 0) {
            if (!pb_next(&entries[i], &f))
                return vt_err_set(err, VT_E_FORMAT, "tpm: attestation.pb quote %zu PCR map entry malformed", qi);
            if (f.num == 1 && f.wt == WT_VARINT && !has_idx) {
                idx = f.v;
                has_idx = true;
            } else if (f.num == 2 && f.wt == WT_LEN && val == NULL) {
                vlen = f.body.left;
                val = vt_rd_take(&f.body, vlen);
            } else {
                return vt_err_set(err, VT_E_FORMAT, "tpm: attestation.pb quote %zu PCR map entry field %u unexpected",
                                  qi, f.num);
            }
        }
        /* proto3 leaves a zero key out */
        if (idx >= VT_TPM_PCR_COUNT || (b->present & (1u << idx)) || vlen != dlen || val == NULL)
            return vt_err_set(err, VT_E_FORMAT,
                              "tpm: attestation.pb quote %zu PCR %llu repeated, above 23, or not a %zu-byte %s value", qi,
                              (unsigned long long)idx, dlen, vt__tpm_alg_name(b->alg));
        memcpy(b->values + idx * dlen, val, dlen);
        b->present |= 1u << idx;
    }
    return VT_OK;
}

/* Quote { quote = 1; raw_sig = 2; pcrs = 3 } */
static vt_status pb_quote(vt_buf *out, vt_rd *r, size_t qi, vt_err *err)
{
    vt_status rc = VT_OK;
    pb_field f;
    vt_rd quote = { 0 }, sig = { 0 }, pcrs = { 0 };
    bool has_q = false, has_s = false, has_p = false;
    pb_bank *b = NULL;
    unsigned top = 0;

    while (r->left > 0) {
        if (!pb_next(r, &f))
            return vt_err_set(err, VT_E_FORMAT, "tpm: attestation.pb quote %zu malformed", qi);
        if (f.num < 1 || f.num > 3)
            continue;
        if (f.wt != WT_LEN || (f.num == 1 && has_q) || (f.num == 2 && has_s) || (f.num == 3 && has_p))
            return vt_err_set(err, VT_E_FORMAT, "tpm: attestation.pb quote %zu field %u repeated or not bytes", qi,
                              f.num);
        if (f.num == 1) {
            quote = f.body;
            has_q = true;
        } else if (f.num == 2) {
            sig = f.body;
            has_s = true;
        } else {
            pcrs = f.body;
            has_p = true;
        }
    }
    if (!has_q || !has_s || !has_p)
        return vt_err_set(err, VT_E_FORMAT, "tpm: attestation.pb quote %zu lacks its %s", qi,
                          !has_q ? "quote" : !has_s ? "raw_sig" : "pcrs");
    b = calloc(1, sizeof(*b));
    if (b == NULL)
        return vt_err_set(err, VT_E_NOMEM, "tpm: out of memory");
    rc = pb_pcrs(b, &pcrs, qi, err);
    if (rc == VT_OK)
        rc = vt_tpm_evidence_add(out, VT_TPM_PART_ATTEST, 0, quote.p, quote.left, err);
    if (rc == VT_OK)
        rc = vt_tpm_evidence_add(out, VT_TPM_PART_SIG, 0, sig.p, sig.left, err);
    for (unsigned i = 0; i < VT_TPM_PCR_COUNT; i++)
        if (b->present & (1u << i))
            top = i + 1;
    /* PCRs 0..top-1; one the map leaves out stays zero (a quote covering it then fails pcr_digest). */
    if (rc == VT_OK && top > 0)
        rc = vt_tpm_evidence_add(out, VT_TPM_PART_PCRS, b->alg, b->values, top * vt_md_len(vt__tpm_alg_md(b->alg)),
                                 err);
    free(b);
    return rc;
}

bool vt__tpm_pb_probe(const uint8_t *p, size_t len)
{
    vt_rd r;
    pb_field f;

    /* Cheap: the first field is ak_pub (field 1, bytes) holding a TPMT_PUBLIC of type RSA or ECC. */
    if (p == NULL || len < 16 || len > VT_TPM_EVIDENCE_MAX)
        return false;
    vt_rd_init(&r, p, len);
    if (!pb_next(&r, &f) || f.num != 1 || f.wt != WT_LEN || f.body.left < 4)
        return false;
    return f.body.p[0] == 0 && (f.body.p[1] == VT_TPM_ALG_RSA || f.body.p[1] == VT_TPM_ALG_ECC) && r.left > 0;
}

vt_status vt__tpm_pb_to_container(vt_buf *out, const uint8_t *p, size_t len, vt_err *err)
{
    vt_status rc = VT_OK;
    size_t start = out->len, quotes = 0;
    vt_rd r, ak = { 0 }, log = { 0 }, cert = { 0 };
    bool has_ak = false, has_log = false, has_cert = false;
    pb_field f;

    if (p == NULL || len > VT_TPM_EVIDENCE_MAX)
        return vt_err_set(err, VT_E_LIMIT, "tpm: attestation.pb above %u bytes", VT_TPM_EVIDENCE_MAX);
    vt_rd_init(&r, p, len);
    while (rc == VT_OK && r.left > 0) {
        if (!pb_next(&r, &f)) {
            rc = vt_err_set(err, VT_E_FORMAT, "tpm: attestation.pb malformed at byte %zu", len - r.left);
            break;
        }
        if (f.num == 2 && f.wt == WT_LEN) {
            if (quotes >= VT_TPM_QUOTES_MAX) {
                rc = vt_err_set(err, VT_E_LIMIT, "tpm: attestation.pb has more than %d quotes", VT_TPM_QUOTES_MAX);
                break;
            }
            rc = pb_quote(out, &f.body, quotes++, err);
            continue;
        }
        if (f.num != 1 && f.num != 3 && f.num != 6)
            continue;
        if (f.wt != WT_LEN || (f.num == 1 && has_ak) || (f.num == 3 && has_log) || (f.num == 6 && has_cert)) {
            rc = vt_err_set(err, VT_E_FORMAT, "tpm: attestation.pb field %u repeated or not bytes", f.num);
            break;
        }
        if (f.num == 1) {
            ak = f.body;
            has_ak = true;
        } else if (f.num == 3) {
            log = f.body;
            has_log = true;
        } else {
            cert = f.body;
            has_cert = true;
        }
    }
    if (rc == VT_OK && quotes == 0)
        rc = vt_err_set(err, VT_E_FORMAT, "tpm: attestation.pb holds no quote");
    if (rc == VT_OK && has_ak && ak.left > 0)
        rc = vt_tpm_evidence_add(out, VT_TPM_PART_AK_PUB, 0, ak.p, ak.left, err);
    if (rc == VT_OK && has_log && log.left > 0)
        rc = vt_tpm_evidence_add(out, VT_TPM_PART_EVENT_LOG, 0, log.p, log.left, err);
    if (rc == VT_OK && has_cert && cert.left > 0)
        rc = vt_tpm_evidence_add(out, VT_TPM_PART_AK_CERT, 0, cert.p, cert.left, err);
    if (rc != VT_OK)
        out->len = start;
    return rc;
}
