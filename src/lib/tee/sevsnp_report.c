/*
 * AMD SEV-SNP attestation report parser (HS-10): one pass with vt_rd over the
 * 1184 bytes, copying each field; must-be-zero ranges are checked as they are
 * read and reported by offset.  Nothing here verifies a signature.
 */
#include <string.h>

#include "tee/sevsnp_report.h"

static bool all_zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;

    for (size_t i = 0; i < n; i++)
        acc |= p[i];
    return acc == 0;
}

/* Takes n must-be-zero bytes; remembers the first offset that is not zero. */
static void rd_mbz(vt_rd *r, size_t n, size_t *bad_off, size_t base_len)
{
    size_t off = base_len - r->left;
    const uint8_t *p = vt_rd_take(r, n);

    if (p != NULL && *bad_off == 0 && !all_zero(p, n))
        *bad_off = off;
}

/* A 72-byte little-endian scalar into 48 big-endian bytes; the upper 24 must be zero. */
static void rd_scalar(vt_rd *r, uint8_t out[48], size_t *bad_off, size_t base_len)
{
    size_t off = base_len - r->left;
    const uint8_t *p = vt_rd_take(r, 72);

    if (p == NULL) {
        memset(out, 0, 48);
        return;
    }
    for (size_t i = 0; i < 48; i++)
        out[i] = p[47 - i];
    if (*bad_off == 0 && !all_zero(p + 48, 24))
        *bad_off = off + 48;
}

vt__snp_tcb vt__snp_tcb_decode(const uint8_t b[8], bool turin)
{
    vt__snp_tcb t = { 0 };

    if (turin) {
        t.fmc = b[0];
        t.bl = b[1];
        t.tee = b[2];
        t.snp = b[3];
    } else {
        t.bl = b[0];
        t.tee = b[1];
        t.snp = b[6];
    }
    t.ucode = b[7];
    return t;
}

bool vt__snp_report_probe(const uint8_t *p, size_t len)
{
    vt_rd r;
    uint32_t version, algo;

    if (p == NULL || len != SNP_REPORT_LEN)
        return false;
    vt_rd_init(&r, p, len);
    version = vt_rd_u32le(&r);
    vt_rd_skip(&r, 0x30);
    algo = vt_rd_u32le(&r);
    return vt_rd_ok(&r) && version >= SNP_VERSION_MIN && version <= SNP_VERSION_MAX &&
           algo == SNP_SIG_ALGO_ECDSA_P384_SHA384;
}

vt_status vt__snp_report_parse(vt__snp_report *out, const uint8_t *p, size_t len, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt_rd r;
    size_t bad = 0;

    memset(out, 0, sizeof(*out));
    if (p == NULL || len != SNP_REPORT_LEN) {
        rc = vt_err_set(err, VT_E_FORMAT, "sevsnp: report length %zu is not %u bytes", p == NULL ? 0 : len,
                        SNP_REPORT_LEN);
        goto out;
    }
    vt_rd_init(&r, p, len);
    out->version = vt_rd_u32le(&r);                          /* 0x000 */
    out->guest_svn = vt_rd_u32le(&r);                        /* 0x004 */
    out->policy = vt_rd_u64le(&r);                           /* 0x008 */
    vt_rd_copy(&r, out->family_id, sizeof(out->family_id));  /* 0x010 */
    vt_rd_copy(&r, out->image_id, sizeof(out->image_id));    /* 0x020 */
    out->vmpl = vt_rd_u32le(&r);                             /* 0x030 */
    out->sig_algo = vt_rd_u32le(&r);                         /* 0x034 */
    vt_rd_copy(&r, out->current_tcb, 8);                     /* 0x038 */
    out->platform_info = vt_rd_u64le(&r);                    /* 0x040 */
    out->signer_info = vt_rd_u32le(&r);                      /* 0x048 */
    rd_mbz(&r, 4, &bad, len);                                /* 0x04C */
    vt_rd_copy(&r, out->report_data, 64);                    /* 0x050 */
    vt_rd_copy(&r, out->measurement, 48);                    /* 0x090 */
    vt_rd_copy(&r, out->host_data, 32);                      /* 0x0C0 */
    vt_rd_copy(&r, out->id_key_digest, 48);                  /* 0x0E0 */
    vt_rd_copy(&r, out->author_key_digest, 48);              /* 0x110 */
    vt_rd_copy(&r, out->report_id, 32);                      /* 0x140 */
    vt_rd_copy(&r, out->report_id_ma, 32);                   /* 0x160 */
    vt_rd_copy(&r, out->reported_tcb, 8);                    /* 0x180 */
    if (out->version >= 3) {
        out->cpuid_fam = vt_rd_u8(&r);                       /* 0x188 */
        out->cpuid_mod = vt_rd_u8(&r);
        out->cpuid_step = vt_rd_u8(&r);
        rd_mbz(&r, 21, &bad, len);                           /* 0x18B */
    } else {
        rd_mbz(&r, 24, &bad, len);                           /* 0x188 */
    }
    vt_rd_copy(&r, out->chip_id, 64);                        /* 0x1A0 */
    vt_rd_copy(&r, out->committed_tcb, 8);                   /* 0x1E0 */
    out->current_build = vt_rd_u8(&r);                       /* 0x1E8 */
    out->current_minor = vt_rd_u8(&r);
    out->current_major = vt_rd_u8(&r);
    rd_mbz(&r, 1, &bad, len);                                /* 0x1EB */
    out->committed_build = vt_rd_u8(&r);                     /* 0x1EC */
    out->committed_minor = vt_rd_u8(&r);
    out->committed_major = vt_rd_u8(&r);
    rd_mbz(&r, 1, &bad, len);                                /* 0x1EF */
    vt_rd_copy(&r, out->launch_tcb, 8);                      /* 0x1F0 */
    if (out->version >= 5) {
        out->launch_mit_vector = vt_rd_u64le(&r);            /* 0x1F8 */
        out->current_mit_vector = vt_rd_u64le(&r);           /* 0x200 */
    } else {
        rd_mbz(&r, 16, &bad, len);                           /* 0x1F8 */
    }
    rd_mbz(&r, 0x2A0 - 0x208, &bad, len);                    /* 0x208 */
    rd_scalar(&r, out->sig_rs, &bad, len);                   /* 0x2A0 R */
    rd_scalar(&r, out->sig_rs + 48, &bad, len);              /* 0x2E8 S */
    rd_mbz(&r, SNP_REPORT_LEN - 0x330, &bad, len);           /* 0x330, outside the signature */
    if (!vt_rd_ok_and_empty(&r)) {
        rc = vt_err_set(err, VT_E_FORMAT, "sevsnp: report does not parse as %u bytes", SNP_REPORT_LEN);
        goto out;
    }
    if (out->version < SNP_VERSION_MIN || out->version > SNP_VERSION_MAX) {
        rc = vt_err_set(err, VT_E_UNSUPPORTED, "sevsnp: version %u is not supported (2..5)", out->version);
        goto out;
    }
    if (out->sig_algo != SNP_SIG_ALGO_ECDSA_P384_SHA384) {
        rc = vt_err_set(err, VT_E_UNSUPPORTED, "sevsnp: signature_algo %u is not 1 (ECDSA P-384 with SHA-384)",
                        out->sig_algo);
        goto out;
    }
    if (bad != 0) {
        rc = vt_err_set(err, VT_E_FORMAT, "sevsnp: reserved bytes at offset 0x%zx are not zero", bad);
        goto out;
    }
    memcpy(out->raw, p, SNP_REPORT_LEN);
    rc = VT_OK;
out:
    if (rc != VT_OK)
        memset(out, 0, sizeof(*out));
    return rc;
}
