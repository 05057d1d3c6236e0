/*
 * TPM 2.0 quote structures: TPMS_ATTEST (QUOTE), TPMT_SIGNATURE and
 * TPMT_PUBLIC, parsed with vt_rd (big-endian, bounded, nothing left over),
 * and the quote signature check.  Layouts: TPM 2.0 Library Part 2 §10.12
 * (TPMS_ATTEST), §11.3 (TPMT_SIGNATURE), §12.2 (TPMT_PUBLIC); notes in
 * docs/formats/tpm.md.
 */
#include <string.h>

#include "tee/tpm_attest.h"

vt_md vt__tpm_alg_md(uint16_t alg)
{
    switch (alg) {
    case VT_TPM_ALG_SHA1: return VT_MD_SHA1;
    case VT_TPM_ALG_SHA256: return VT_MD_SHA256;
    case VT_TPM_ALG_SHA384: return VT_MD_SHA384;
    case VT_TPM_ALG_SHA512: return VT_MD_SHA512;
    default: break;
    }
    return (vt_md)0;
}

const char *vt__tpm_alg_name(uint16_t alg)
{
    switch (alg) {
    case VT_TPM_ALG_SHA1: return "sha1";
    case VT_TPM_ALG_SHA256: return "sha256";
    case VT_TPM_ALG_SHA384: return "sha384";
    case VT_TPM_ALG_SHA512: return "sha512";
    case VT_TPM_ALG_RSASSA: return "rsassa";
    case VT_TPM_ALG_RSAPSS: return "rsapss";
    case VT_TPM_ALG_ECDSA: return "ecdsa";
    case VT_TPM_ALG_RSA: return "rsa";
    case VT_TPM_ALG_ECC: return "ecc";
    case VT_TPM_ALG_NULL: return "null";
    default: break;
    }
    return "unknown";
}

static uint64_t rd_u64be(vt_rd *r)
{
    uint64_t hi = vt_rd_u32be(r);
    uint64_t lo = vt_rd_u32be(r);

    return r->failed ? 0 : (hi << 32) | lo;
}

/* A TPM2B of at most max bytes copied into out; false (reader failed) when longer. */
static bool rd_tpm2b(vt_rd *r, uint8_t *out, size_t max, size_t *len)
{
    uint16_t n = vt_rd_u16be(r);

    *len = 0;
    if (r->failed)
        return false;
    if (n > max) {
        r->failed = true;
        return false;
    }
    vt_rd_copy(r, out, n);
    *len = r->failed ? 0 : n;
    return !r->failed;
}

/* ---- TPMS_ATTEST ---- */

static vt_status pcr_selection(vt__tpm_attest *a, vt_rd *r, vt_err *err)
{
    uint32_t count = vt_rd_u32be(r);

    if (r->failed)
        return vt_err_set(err, VT_E_FORMAT, "tpm: attest pcrSelect truncated");
    if (count == 0 || count > VT_TPM_BANKS_MAX)
        return vt_err_set(err, VT_E_FORMAT, "tpm: attest pcrSelect count %u not in 1..%d", count, VT_TPM_BANKS_MAX);
    for (uint32_t i = 0; i < count; i++) {
        uint16_t alg = vt_rd_u16be(r);
        uint8_t size = vt_rd_u8(r);
        uint8_t bits[4] = { 0 };

        if (r->failed)
            return vt_err_set(err, VT_E_FORMAT, "tpm: attest pcrSelect[%u] truncated", i);
        if (vt__tpm_alg_md(alg) == 0)
            return vt_err_set(err, VT_E_FORMAT, "tpm: attest pcrSelect[%u] bank 0x%04x is not a known digest", i,
                              alg);
        if (size < 3 || size > 4)
            return vt_err_set(err, VT_E_FORMAT, "tpm: attest pcrSelect[%u] sizeofSelect %u not 3 or 4", i, size);
        vt_rd_copy(r, bits, size);
        if (size == 4 && bits[3] != 0)
            return vt_err_set(err, VT_E_FORMAT, "tpm: attest pcrSelect[%u] selects PCRs above 23", i);
        for (size_t j = 0; j < i; j++)
            if (a->sel[j].alg == alg)
                return vt_err_set(err, VT_E_FORMAT, "tpm: attest pcrSelect bank %s selected twice",
                                  vt__tpm_alg_name(alg));
        a->sel[i].alg = alg;
        a->sel[i].mask = (uint32_t)bits[0] | ((uint32_t)bits[1] << 8) | ((uint32_t)bits[2] << 16);
    }
    a->sel_count = count;
    return r->failed ? vt_err_set(err, VT_E_FORMAT, "tpm: attest pcrSelect truncated") : VT_OK;
}

vt_status vt__tpm_attest_parse(vt__tpm_attest *out, const uint8_t *p, size_t len, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt__tpm_attest a;
    vt_rd r;
    uint32_t magic;
    uint16_t type;

    memset(out, 0, sizeof(*out));
    memset(&a, 0, sizeof(a));
    if (len > VT_TPM_ATTEST_MAX)
        return vt_err_set(err, VT_E_LIMIT, "tpm: attest is %zu bytes, over %d", len, VT_TPM_ATTEST_MAX);
    vt_rd_init(&r, p, len);
    magic = vt_rd_u32be(&r);
    type = vt_rd_u16be(&r);
    if (r.failed) {
        rc = vt_err_set(err, VT_E_FORMAT, "tpm: attest truncated in its header");
        goto out;
    }
    if (magic != VT_TPM_GENERATED) {
        rc = vt_err_set(err, VT_E_FORMAT, "tpm: attest magic 0x%08x is not TPM_GENERATED_VALUE", magic);
        goto out;
    }
    if (type != VT_TPM_ST_ATTEST_QUOTE) {
        rc = vt_err_set(err, VT_E_FORMAT, "tpm: attest type 0x%04x is not a quote (0x8018)", type);
        goto out;
    }
    if (!rd_tpm2b(&r, a.signer_name, sizeof(a.signer_name), &a.signer_name_len)) {
        rc = vt_err_set(err, VT_E_FORMAT, "tpm: attest qualifiedSigner truncated or too long");
        goto out;
    }
    if (!rd_tpm2b(&r, a.extra, sizeof(a.extra), &a.extra_len)) {
        rc = vt_err_set(err, VT_E_FORMAT, "tpm: attest extraData truncated or over %d bytes", VT_TPM_DIGEST_MAX);
        goto out;
    }
    a.clock = rd_u64be(&r);
    a.reset_count = vt_rd_u32be(&r);
    a.restart_count = vt_rd_u32be(&r);
    a.safe = vt_rd_u8(&r);
    a.firmware_version = rd_u64be(&r);
    if (r.failed) {
        rc = vt_err_set(err, VT_E_FORMAT, "tpm: attest clockInfo truncated");
        goto out;
    }
    if (a.safe > 1) {
        rc = vt_err_set(err, VT_E_FORMAT, "tpm: attest clockInfo.safe %u is not a boolean", a.safe);
        goto out;
    }
    rc = pcr_selection(&a, &r, err);
    if (rc != VT_OK)
        goto out;
    rc = VT_E_FORMAT;
    if (!rd_tpm2b(&r, a.pcr_digest, sizeof(a.pcr_digest), &a.pcr_digest_len) || a.pcr_digest_len == 0) {
        vt_err_set(err, rc, "tpm: attest pcrDigest truncated, empty or too long");
        goto out;
    }
    if (!vt_rd_ok_and_empty(&r)) {
        vt_err_set(err, rc, "tpm: attest has %zu trailing bytes", r.left);
        goto out;
    }
    *out = a;
    rc = VT_OK;
out:
    return rc;
}

/* ---- TPMT_SIGNATURE ---- */

static size_t ec_size(const vt_pkey *key)
{
    vt_key_type t = key == NULL ? VT_KEY_NONE : vt_pkey_type(key);

    return t == VT_KEY_EC_P256 ? 32 : t == VT_KEY_EC_P384 ? 48 : 0;
}

/* r and s into sig as fixed-size halves (left-padded); false when a half is longer than the curve. */
static bool ecdsa_pad(vt__tpm_sig *s, size_t half)
{
    const uint8_t *parts[2] = { s->r, s->s };
    size_t lens[2] = { s->r_len, s->s_len };

    memset(s->sig, 0, 2 * half);
    for (size_t i = 0; i < 2; i++) {
        const uint8_t *q = parts[i];
        size_t n = lens[i];

        while (n > half && q[0] == 0) { /* leading zeros beyond the size */
            q++;
            n--;
        }
        if (n > half)
            return false;
        memcpy(s->sig + i * half + (half - n), q, n);
    }
    s->sig_len = 2 * half;
    return true;
}

static vt_status sig_with_header(vt__tpm_sig *s, const uint8_t *p, size_t len, vt_err *err)
{
    vt_rd r;

    vt_rd_init(&r, p, len);
    s->has_header = true;
    s->alg = vt_rd_u16be(&r);
    s->hash = vt_rd_u16be(&r);
    if (s->alg == VT_TPM_ALG_ECDSA) {
        if (!rd_tpm2b(&r, s->r, sizeof(s->r), &s->r_len) || !rd_tpm2b(&r, s->s, sizeof(s->s), &s->s_len))
            return vt_err_set(err, VT_E_FORMAT, "tpm: signature ECDSA r or s truncated or too long");
    } else if (!rd_tpm2b(&r, s->sig, sizeof(s->sig), &s->sig_len) || s->sig_len == 0) {
        return vt_err_set(err, VT_E_FORMAT, "tpm: signature RSA value truncated, empty or too long");
    }
    if (!vt_rd_ok_and_empty(&r))
        return vt_err_set(err, VT_E_FORMAT, "tpm: signature has %zu trailing bytes", r.left);
    if (vt__tpm_alg_md(s->hash) == 0 || s->hash == VT_TPM_ALG_SHA1)
        return vt_err_set(err, VT_E_FORMAT, "tpm: signature hash %s (0x%04x) not accepted (SHA-256/384/512)",
                          vt__tpm_alg_name(s->hash), s->hash);
    return VT_OK;
}

vt_status vt__tpm_sig_parse(vt__tpm_sig *out, const uint8_t *p, size_t len, const vt_pkey *key, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt__tpm_sig *s = out;
    uint16_t alg;
    size_t half;

    memset(out, 0, sizeof(*out));
    if (p == NULL || len < 6 || len > VT_TPM_SIG_MAX + 6)
        return vt_err_set(err, VT_E_FORMAT, "tpm: signature is %zu bytes, not 6..%d", len, VT_TPM_SIG_MAX + 6);
    alg = (uint16_t)(p[0] << 8 | p[1]);
    if (alg == VT_TPM_ALG_RSASSA || alg == VT_TPM_ALG_RSAPSS || alg == VT_TPM_ALG_ECDSA) {
        rc = sig_with_header(s, p, len, err);
        if (rc == VT_OK && alg == VT_TPM_ALG_ECDSA) {
            half = ec_size(key);
            if (key != NULL && (half == 0 || !ecdsa_pad(s, half)))
                rc = vt_err_set(err, VT_E_FORMAT, "tpm: ECDSA signature does not fit the key's curve");
        }
        /* A bare RSA signature may begin with these bytes too: fall through to
         * reading it bare when the header form does not parse. */
        if (rc == VT_OK || key == NULL || vt_pkey_type(key) != VT_KEY_RSA || alg == VT_TPM_ALG_ECDSA)
            goto out;
        memset(out, 0, sizeof(*out));
        vt_err_clear(err);
    }
    if (key == NULL) {
        rc = vt_err_set(err, VT_E_FORMAT, "tpm: signature has no TPMT_SIGNATURE header and no key to read it by");
        goto out;
    }
    half = ec_size(key);
    if (vt_pkey_type(key) == VT_KEY_RSA && len <= sizeof(s->sig)) {
        s->alg = VT_TPM_ALG_RSASSA;
        s->hash = VT_TPM_ALG_SHA256;
        memcpy(s->sig, p, len);
        s->sig_len = len;
    } else if (half != 0 && len == 2 * half) {
        s->alg = VT_TPM_ALG_ECDSA;
        s->hash = half == 32 ? VT_TPM_ALG_SHA256 : VT_TPM_ALG_SHA384;
        memcpy(s->sig, p, len);
        s->sig_len = len;
    } else {
        rc = vt_err_set(err, VT_E_FORMAT, "tpm: bare signature of %zu bytes does not fit the attestation key", len);
        goto out;
    }
    rc = VT_OK;
out:
    if (rc != VT_OK)
        memset(out, 0, sizeof(*out));
    return rc;
}

vt_status vt__tpm_sig_verify(const vt__tpm_sig *sig, const vt_pkey *key, const uint8_t *msg, size_t len,
                             vt_err *err)
{
    vt_md md = vt__tpm_alg_md(sig->hash);
    vt_key_type kt = vt_pkey_type(key);
    vt_status rc;

    if (md == 0 || md == VT_MD_SHA1)
        return vt_err_set(err, VT_E_FORMAT, "tpm: signature hash 0x%04x not accepted", sig->hash);
    switch (sig->alg) {
    case VT_TPM_ALG_RSASSA:
    case VT_TPM_ALG_RSAPSS:
        if (kt != VT_KEY_RSA)
            return vt_err_set(err, VT_E_CRYPTO, "tpm: %s signature but the attestation key is not RSA",
                              vt__tpm_alg_name(sig->alg));
        rc = vt_sig_verify(key, md, sig->alg == VT_TPM_ALG_RSAPSS, msg, len, sig->sig, sig->sig_len, NULL);
        break;
    case VT_TPM_ALG_ECDSA:
        if (kt != VT_KEY_EC_P256 && kt != VT_KEY_EC_P384)
            return vt_err_set(err, VT_E_CRYPTO, "tpm: ECDSA signature but the attestation key is not P-256/P-384");
        rc = vt_ecdsa_verify_raw(key, md, msg, len, sig->sig, sig->sig_len, NULL);
        break;
    default:
        return vt_err_set(err, VT_E_FORMAT, "tpm: signature scheme 0x%04x not supported", sig->alg);
    }
    if (rc != VT_OK)
        return vt_err_set(err, VT_E_CRYPTO, "tpm: %s/%s signature does not verify with the attestation key",
                          vt__tpm_alg_name(sig->alg), vt__tpm_alg_name(sig->hash));
    return VT_OK;
}

/* ---- TPMT_PUBLIC ---- */

/* TPMT_SYM_DEF_OBJECT then a scheme {alg[, hash]}; for signing keys the symmetric must be NULL. */
static void rd_scheme(vt_rd *r, uint16_t *scheme, uint16_t *hash)
{
    *scheme = vt_rd_u16be(r);
    *hash = VT_TPM_ALG_NULL;
    if (*scheme != VT_TPM_ALG_NULL)
        *hash = vt_rd_u16be(r);
}

vt_status vt__tpm_public_parse(vt__tpm_public *pub, vt_pkey **key_out, const uint8_t *p, size_t len, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt__tpm_public t;
    uint8_t policy[VT_TPM_DIGEST_MAX], a[VT_TPM_SIG_MAX], b[VT_TPM_DIGEST_MAX];
    size_t policy_len, a_len = 0, b_len = 0;
    uint16_t sym, kdf, kdf_hash, bits = 0, curve = 0;
    uint32_t exp = 0;
    vt_md nmd;
    vt_rd r;

    memset(pub, 0, sizeof(*pub));
    memset(&t, 0, sizeof(t));
    *key_out = NULL;
    if (len > VT_TPM_PUBLIC_MAX)
        return vt_err_set(err, VT_E_LIMIT, "tpm: public area is %zu bytes, over %d", len, VT_TPM_PUBLIC_MAX);
    vt_rd_init(&r, p, len);
    t.type = vt_rd_u16be(&r);
    t.name_alg = vt_rd_u16be(&r);
    t.attributes = vt_rd_u32be(&r);
    if (!rd_tpm2b(&r, policy, sizeof(policy), &policy_len))
        return vt_err_set(err, VT_E_FORMAT, "tpm: public authPolicy truncated or too long");
    sym = vt_rd_u16be(&r);
    if (sym != VT_TPM_ALG_NULL)
        return vt_err_set(err, VT_E_FORMAT, "tpm: public symmetric 0x%04x: not a signing key", sym);
    rd_scheme(&r, &t.scheme, &t.scheme_hash);
    if (t.type == VT_TPM_ALG_RSA) {
        bits = vt_rd_u16be(&r);
        exp = vt_rd_u32be(&r);
        if (!rd_tpm2b(&r, a, sizeof(a), &a_len))
            return vt_err_set(err, VT_E_FORMAT, "tpm: public RSA modulus truncated or too long");
    } else if (t.type == VT_TPM_ALG_ECC) {
        curve = vt_rd_u16be(&r);
        rd_scheme(&r, &kdf, &kdf_hash);
        if (!rd_tpm2b(&r, a, VT_TPM_DIGEST_MAX, &a_len) || !rd_tpm2b(&r, b, sizeof(b), &b_len))
            return vt_err_set(err, VT_E_FORMAT, "tpm: public ECC point truncated or too long");
    } else {
        return vt_err_set(err, VT_E_FORMAT, "tpm: public type 0x%04x is not RSA or ECC", t.type);
    }
    if (!vt_rd_ok_and_empty(&r))
        return vt_err_set(err, VT_E_FORMAT, r.failed ? "tpm: public area truncated" : "tpm: public area has trailing bytes");
    nmd = vt__tpm_alg_md(t.name_alg);
    if (nmd == 0)
        return vt_err_set(err, VT_E_FORMAT, "tpm: public nameAlg 0x%04x unknown", t.name_alg);
    t.name[0] = (uint8_t)(t.name_alg >> 8);
    t.name[1] = (uint8_t)t.name_alg;
    rc = vt_digest(nmd, p, len, t.name + 2, err);
    if (rc != VT_OK)
        return rc;
    t.name_len = 2 + vt_md_len(nmd);
    if (t.type == VT_TPM_ALG_RSA) {
        uint8_t e[4];

        if (exp == 0)
            exp = 65537; /* TPM: 0 means the default exponent */
        e[0] = (uint8_t)(exp >> 24);
        e[1] = (uint8_t)(exp >> 16);
        e[2] = (uint8_t)(exp >> 8);
        e[3] = (uint8_t)exp;
        if ((size_t)bits != 8 * a_len)
            return vt_err_set(err, VT_E_FORMAT, "tpm: public RSA keyBits %u but modulus is %zu bytes", bits, a_len);
        rc = vt_pkey_from_rsa_raw(key_out, a, a_len, e, sizeof(e), err);
    } else {
        uint8_t xy[96];
        size_t half = curve == VT_TPM_ECC_NIST_P256 ? 32 : curve == VT_TPM_ECC_NIST_P384 ? 48 : 0;

        if (half == 0)
            return vt_err_set(err, VT_E_FORMAT, "tpm: public ECC curve 0x%04x is not P-256 or P-384", curve);
        if (a_len != half || b_len != half)
            return vt_err_set(err, VT_E_FORMAT, "tpm: public ECC point is not %zu+%zu bytes", half, half);
        memcpy(xy, a, half);
        memcpy(xy + half, b, half);
        rc = vt_pkey_from_ec_raw(key_out, half == 32 ? VT_KEY_EC_P256 : VT_KEY_EC_P384, xy, 2 * half, err);
    }
    if (rc != VT_OK)
        return rc;
    *pub = t;
    return VT_OK;
}
