/* The PCK leaf reader (tee/tdx_pck_leaf.c): failure cases first, on real
 * Intel PCK leaves edited byte by byte and on leaves issued here; then the
 * real leaves of every TDX vector read as OpenSSL reads them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vt_test.h"

#include "crypto/crypto_int.h"
#include "tee/tdx_pck.h"
#include "tee/tdx_pck_leaf.h"
#include "tee/tdx_quote.h"

#define SGX_EXT_OID "1.2.840.113741.1.13.1"

static const char *const quotes[] = { "gotdx-spr-e4-v4",  "gotdx-v5-tdx15",        "gotdx-cos113-gce",
                                      "trustee-quote4-debug", "trustee-quote5-v5", "trustee-quote6-00a06d" };
#define QUOTE_COUNT (sizeof(quotes) / sizeof(quotes[0]))

/* The PCK chain of a real quote: leaf and PCK CA, as OpenSSL reads them. */
typedef struct real_chain {
    vt_x509 *leaf, *ca;
    vt_pkey *ca_key;
    const uint8_t *ca_subject;
    size_t ca_subject_len;
    uint8_t der[TDX_PCK_LEAF_MAX];
    size_t der_len;
} real_chain;

static void real_chain_load(real_chain *c, const char *dir)
{
    vt_buf q;
    vt__tdx_quote tq;
    vt_x509 *certs[3] = { NULL };
    size_t n = 0;
    const uint8_t *der;
    char rel[256];
    vt_err err = { 0 };

    memset(c, 0, sizeof(*c));
    vt_buf_init(&q);
    snprintf(rel, sizeof(rel), "tdx/%s/quote.bin", dir);
    vt_test_load(&q, rel);
    if (vt__tdx_quote_parse(&tq, q.data, q.len, &err) != VT_OK)
        fail_msg("%s: %s", dir, err.msg);
    if (vt_x509_list_from_pem(certs, &n, 3, tq.pck_pem, tq.pck_pem_len, &err) != VT_OK || n != 3)
        fail_msg("%s: PCK chain: %s", dir, err.msg);
    c->leaf = certs[0];
    c->ca = certs[1];
    vt_x509_free(certs[2]);
    assert_int_equal(vt_x509_pubkey(&c->ca_key, c->ca, &err), VT_OK);
    c->ca_subject = vt__x509_subject_der(c->ca, &c->ca_subject_len);
    assert_non_null(c->ca_subject);
    der = vt_x509_der(c->leaf, &c->der_len);
    assert_true(c->der_len <= sizeof(c->der));
    memcpy(c->der, der, c->der_len);
    vt_buf_free(&q);
}

static void real_chain_free(real_chain *c)
{
    vt_x509_free(c->leaf);
    vt_x509_free(c->ca);
    vt_pkey_free(c->ca_key);
}

static vt__tdx_pck_issuer issuer_of(const real_chain *c)
{
    vt__tdx_pck_issuer iss = { c->ca_subject, c->ca_subject_len, c->ca_key, NULL, 0 };
    return iss;
}

/* A time inside the leaf's validity. */
static vt_time mid_validity(const vt_x509 *c)
{
    vt_time nb, na;

    vt_x509_validity(c, &nb, &na);
    return nb + (na - nb) / 2;
}

static bool all_zero(const void *p, size_t n)
{
    const uint8_t *b = p;

    for (size_t i = 0; i < n; i++)
        if (b[i] != 0)
            return false;
    return true;
}

/* Parse and verify der under the real CA at a time inside the real leaf's validity. */
static vt_status parse_verify(const real_chain *c, const uint8_t *der, size_t len, vt_err *err)
{
    static vt__tdx_pck_leaf leaf;
    const vt__tdx_pck_issuer iss = issuer_of(c);
    vt_status rc = vt__tdx_pck_leaf_parse(&leaf, der, len, err);

    if (rc != VT_OK) {
        assert_true(all_zero(&leaf, sizeof(leaf))); /* out cleared on failure */
        return rc;
    }
    return vt__tdx_pck_leaf_verify(&leaf, &iss, mid_validity(c->leaf), err);
}

/* Offset of needle in hay from `from`, or fails. */
static size_t find(const uint8_t *hay, size_t len, size_t from, const uint8_t *needle, size_t n)
{
    for (size_t i = from; i + n <= len; i++)
        if (memcmp(hay + i, needle, n) == 0)
            return i;
    fail_msg("byte pattern not found");
    return 0;
}

/* The Certificate and TBSCertificate headers of a real leaf are 30 82 hh ll: adjusts both lengths by d. */
static void grow_outer(uint8_t *der, int d)
{
    for (size_t off = 0; off <= 4; off += 4) {
        unsigned v;
        assert_int_equal(der[off], 0x30);
        assert_int_equal(der[off + 1], 0x82);
        v = (unsigned)((der[off + 2] << 8) | der[off + 3]) + (unsigned)d;
        der[off + 2] = (uint8_t)(v >> 8);
        der[off + 3] = (uint8_t)v;
    }
}

/* der[0..len) with `remove` bytes at `at` replaced by ins[0..ins_len), into out; returns the new length. */
static size_t splice(uint8_t *out, const uint8_t *der, size_t len, size_t at, size_t remove, const uint8_t *ins,
                     size_t ins_len)
{
    memcpy(out, der, at);
    memcpy(out + at, ins, ins_len);
    memcpy(out + at + ins_len, der + at + remove, len - at - remove);
    return len - remove + ins_len;
}

/* ---- failure cases on real leaves ---- */

static void test_tee_tdx_pck_leaf__every_truncation_rejected(void **state)
{
    (void)state;
    vt_test_require_vectors();
    for (size_t k = 0; k < QUOTE_COUNT; k++) {
        real_chain c;
        vt_err err = { 0 };

        real_chain_load(&c, quotes[k]);
        assert_int_equal(parse_verify(&c, c.der, c.der_len, &err), VT_OK);
        for (size_t n = 0; n < c.der_len; n++)
            if (parse_verify(&c, c.der, n, &err) == VT_OK)
                fail_msg("%s: leaf truncated to %zu of %zu bytes accepted", quotes[k], n, c.der_len);
        real_chain_free(&c);
    }
}

static void test_tee_tdx_pck_leaf__trailing_bytes_rejected(void **state)
{
    real_chain c;
    uint8_t buf[TDX_PCK_LEAF_MAX + 8];
    vt_err err = { 0 };

    (void)state;
    vt_test_require_vectors();
    real_chain_load(&c, "gotdx-v5-tdx15");
    memcpy(buf, c.der, c.der_len);
    buf[c.der_len] = 0;
    assert_int_equal(parse_verify(&c, buf, c.der_len + 1, &err), VT_E_FORMAT);
    real_chain_free(&c);
}

/* Every bit of the TBSCertificate and of the signature: refused by the reader or by the signature. */
static void test_tee_tdx_pck_leaf__bit_flips_rejected(void **state)
{
    real_chain c;
    uint8_t buf[TDX_PCK_LEAF_MAX];
    vt_err err = { 0 };
    size_t flips = 0, by_sig = 0;

    (void)state;
    vt_test_require_vectors();
    real_chain_load(&c, "gotdx-v5-tdx15");
    for (size_t i = 0; i < c.der_len; i++) {
        for (int b = 0; b < 8; b++) {
            vt_status rc;

            memcpy(buf, c.der, c.der_len);
            buf[i] ^= (uint8_t)(1u << b);
            rc = parse_verify(&c, buf, c.der_len, &err);
            if (rc == VT_OK)
                fail_msg("bit %d of byte %zu flipped: accepted", b, i);
            flips++;
            if (rc == VT_E_CRYPTO)
                by_sig++;
        }
    }
    /* Most flips land in strings, keys and numbers the reader takes as they are: the signature refuses them. */
    assert_true(by_sig > flips / 2);
    real_chain_free(&c);
}

static void test_tee_tdx_pck_leaf__wrong_issuer_rejected(void **state)
{
    real_chain c;
    vt__tdx_pck_leaf leaf;
    vt__tdx_pck_issuer iss;
    vt_pkey *k = NULL;
    vt_err err = { 0 };
    vt_time now;

    (void)state;
    vt_test_require_vectors();
    real_chain_load(&c, "gotdx-v5-tdx15");
    now = mid_validity(c.leaf);
    assert_int_equal(vt__tdx_pck_leaf_parse(&leaf, c.der, c.der_len, &err), VT_OK);
    /* Another CA's name: the leaf's issuer is not its subject. */
    iss = issuer_of(&c);
    iss.subject_der = vt__x509_subject_der(c.leaf, &iss.subject_len);
    assert_int_equal(vt__tdx_pck_leaf_verify(&leaf, &iss, now, &err), VT_E_CRYPTO);
    assert_non_null(strstr(err.msg, "issuer"));
    /* The right name, another key (a new P-256 key and another real PCK CA's). */
    assert_int_equal(vt_pkey_generate(&k, VT_KEY_EC_P256, &err), VT_OK);
    iss = issuer_of(&c);
    iss.key = k;
    assert_int_equal(vt__tdx_pck_leaf_verify(&leaf, &iss, now, &err), VT_E_CRYPTO);
    assert_non_null(strstr(err.msg, "signature"));
    /* The PCK CA's name one byte off. */
    {
        uint8_t subj[512];
        assert_true(c.ca_subject_len <= sizeof(subj));
        memcpy(subj, c.ca_subject, c.ca_subject_len);
        subj[c.ca_subject_len - 1] ^= 1;
        iss = issuer_of(&c);
        iss.subject_der = subj;
        assert_int_equal(vt__tdx_pck_leaf_verify(&leaf, &iss, now, &err), VT_E_CRYPTO);
        iss.subject_len--;
        assert_int_equal(vt__tdx_pck_leaf_verify(&leaf, &iss, now, &err), VT_E_CRYPTO);
    }
    vt_pkey_free(k);
    real_chain_free(&c);
}

static void test_tee_tdx_pck_leaf__outside_validity_rejected(void **state)
{
    real_chain c;
    vt__tdx_pck_leaf leaf;
    vt__tdx_pck_issuer iss;
    vt_time nb, na;
    vt_err err = { 0 };

    (void)state;
    vt_test_require_vectors();
    real_chain_load(&c, "gotdx-v5-tdx15");
    iss = issuer_of(&c);
    vt_x509_validity(c.leaf, &nb, &na);
    assert_int_equal(vt__tdx_pck_leaf_parse(&leaf, c.der, c.der_len, &err), VT_OK);
    assert_int_equal(vt__tdx_pck_leaf_verify(&leaf, &iss, nb - 1, &err), VT_E_CRYPTO);
    assert_non_null(strstr(err.msg, "not yet valid"));
    assert_int_equal(vt__tdx_pck_leaf_verify(&leaf, &iss, na + 1, &err), VT_E_CRYPTO);
    assert_non_null(strstr(err.msg, "expired"));
    assert_int_equal(vt__tdx_pck_leaf_verify(&leaf, &iss, nb, &err), VT_OK);
    assert_int_equal(vt__tdx_pck_leaf_verify(&leaf, &iss, na, &err), VT_OK);
    real_chain_free(&c);
}

/* ecdsa-with-SHA256 (1.2.840.10045.4.3.2) edited to SHA-384 (.3) and to another arc, in either algorithm field. */
static void test_tee_tdx_pck_leaf__wrong_signature_oid_rejected(void **state)
{
    static const uint8_t alg[] = { 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02 };
    real_chain c;
    uint8_t buf[TDX_PCK_LEAF_MAX + 8];
    size_t at[2];
    vt_err err = { 0 };

    (void)state;
    vt_test_require_vectors();
    real_chain_load(&c, "gotdx-v5-tdx15");
    at[0] = find(c.der, c.der_len, 0, alg, sizeof(alg));              /* TBSCertificate.signature */
    at[1] = find(c.der, c.der_len, at[0] + 1, alg, sizeof(alg));      /* Certificate.signatureAlgorithm */
    for (size_t i = 0; i < 2; i++) {
        static const uint8_t with_null[] = { 0x30, 0x0c, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
                                             0x3d, 0x04, 0x03, 0x02, 0x05, 0x00 };
        size_t n;

        memcpy(buf, c.der, c.der_len);
        buf[at[i] + sizeof(alg) - 1] = 0x03; /* ecdsa-with-SHA384 */
        assert_int_equal(parse_verify(&c, buf, c.der_len, &err), VT_E_FORMAT);
        assert_non_null(strstr(err.msg, "ecdsa-with-SHA256"));
        memcpy(buf, c.der, c.der_len);
        buf[at[i] + 9] = 0x02; /* 1.2.840.10045.2.3.2: not a signature algorithm */
        assert_int_equal(parse_verify(&c, buf, c.der_len, &err), VT_E_FORMAT);
        /* Parameters NULL after the OID (RFC 5758: absent) */
        n = splice(buf, c.der, c.der_len, at[i], sizeof(alg), with_null, sizeof(with_null));
        grow_outer(buf, 2);
        if (i == 1) { /* the outer field is outside the TBSCertificate: undo its growth */
            unsigned v = (unsigned)((buf[6] << 8) | buf[7]) - 2;
            buf[6] = (uint8_t)(v >> 8);
            buf[7] = (uint8_t)v;
        }
        assert_int_equal(parse_verify(&c, buf, n, &err), VT_E_FORMAT);
    }
    real_chain_free(&c);
}

/* Lengths: non-minimal long forms, indefinite, longer than 2 bytes, past the end. */
static void test_tee_tdx_pck_leaf__bad_lengths_rejected(void **state)
{
    static const uint8_t version[] = { 0xa0, 0x03, 0x02, 0x01, 0x02 };
    real_chain c;
    uint8_t buf[TDX_PCK_LEAF_MAX + 8];
    size_t at, n;
    vt_err err = { 0 };

    (void)state;
    vt_test_require_vectors();
    real_chain_load(&c, "gotdx-v5-tdx15");
    at = find(c.der, c.der_len, 0, version, sizeof(version));
    assert_int_equal(at, 8); /* the first thing in the TBSCertificate */
    {   /* [0] with 81 03: a long form for a length below 128 */
        static const uint8_t ins[] = { 0xa0, 0x81, 0x03 };
        n = splice(buf, c.der, c.der_len, at, 2, ins, sizeof(ins));
        grow_outer(buf, 1);
        assert_int_equal(parse_verify(&c, buf, n, &err), VT_E_FORMAT);
    }
    {   /* [0] with 82 00 03 */
        static const uint8_t ins[] = { 0xa0, 0x82, 0x00, 0x03 };
        n = splice(buf, c.der, c.der_len, at, 2, ins, sizeof(ins));
        grow_outer(buf, 2);
        assert_int_equal(parse_verify(&c, buf, n, &err), VT_E_FORMAT);
    }
    {   /* INTEGER 2 with 81 01 */
        static const uint8_t ins[] = { 0xa0, 0x04, 0x02, 0x81 };
        n = splice(buf, c.der, c.der_len, at, 3, ins, sizeof(ins));
        grow_outer(buf, 1);
        assert_int_equal(parse_verify(&c, buf, n, &err), VT_E_FORMAT);
    }
    {   /* [0] indefinite: a0 80 02 01 02 00 00 */
        static const uint8_t ins[] = { 0xa0, 0x80, 0x02, 0x01, 0x02, 0x00, 0x00 };
        n = splice(buf, c.der, c.der_len, at, sizeof(version), ins, sizeof(ins));
        grow_outer(buf, 2);
        assert_int_equal(parse_verify(&c, buf, n, &err), VT_E_FORMAT);
    }
    {   /* The Certificate's length as 83 00 hh ll (three length bytes, non-minimal) */
        static const uint8_t ins[] = { 0x30, 0x83, 0x00 };
        n = splice(buf, c.der, c.der_len, 0, 2, ins, sizeof(ins));
        assert_int_equal(parse_verify(&c, buf, n, &err), VT_E_FORMAT);
    }
    /* Lengths one past the end: the Certificate's, the TBSCertificate's, the version's. */
    memcpy(buf, c.der, c.der_len);
    buf[3]++;
    assert_int_equal(parse_verify(&c, buf, c.der_len, &err), VT_E_FORMAT);
    memcpy(buf, c.der, c.der_len);
    buf[7] = (uint8_t)(buf[7] + 1);
    assert_int_equal(parse_verify(&c, buf, c.der_len, &err), VT_E_FORMAT);
    memcpy(buf, c.der, c.der_len);
    buf[2] = 0xff;
    buf[3] = 0xff;
    assert_int_equal(parse_verify(&c, buf, c.der_len, &err), VT_E_FORMAT);
    /* A leaf longer than the reader's limit. */
    {
        uint8_t *big = calloc(1, TDX_PCK_LEAF_MAX + 1);
        vt__tdx_pck_leaf leaf;
        assert_non_null(big);
        memcpy(big, c.der, c.der_len);
        assert_int_equal(vt__tdx_pck_leaf_parse(&leaf, big, TDX_PCK_LEAF_MAX + 1, &err), VT_E_LIMIT);
        free(big);
    }
    real_chain_free(&c);
}

/* EXPLICIT [0] (version) and [3] (extensions) hold one element each: a byte more inside is refused by the reader,
 * not left to the signature. */
static void test_tee_tdx_pck_leaf__bytes_inside_explicit_wrappers_rejected(void **state)
{
    static const uint8_t version[] = { 0xa0, 0x04, 0x02, 0x01, 0x02, 0x00 };
    real_chain c;
    vt__tdx_pck_leaf leaf;
    uint8_t buf[TDX_PCK_LEAF_MAX + 8];
    size_t at, n, tbs_end;
    unsigned v;
    vt_err err = { 0 };

    (void)state;
    vt_test_require_vectors();
    real_chain_load(&c, "gotdx-v5-tdx15");
    n = splice(buf, c.der, c.der_len, 8, 5, version, sizeof(version));
    grow_outer(buf, 1);
    assert_int_equal(parse_verify(&c, buf, n, &err), VT_E_FORMAT);
    /* [3] a3 82 hh ll 30 82 .. ..: the last element of the TBSCertificate; a NULL after its SEQUENCE. */
    assert_int_equal(vt__tdx_pck_leaf_parse(&leaf, c.der, c.der_len, &err), VT_OK);
    tbs_end = leaf.tbs_off + leaf.tbs_len;
    for (at = 8; at + 8 < tbs_end; at++)
        if (c.der[at] == 0xa3 && c.der[at + 1] == 0x82 && c.der[at + 4] == 0x30 && c.der[at + 5] == 0x82 &&
            at + 4 + (size_t)((c.der[at + 2] << 8) | c.der[at + 3]) == tbs_end)
            break;
    assert_true(at + 8 < tbs_end);
    {
        static const uint8_t null_der[] = { 0x05, 0x00 };
        n = splice(buf, c.der, c.der_len, tbs_end, 0, null_der, sizeof(null_der));
        grow_outer(buf, 2);
        v = (unsigned)((buf[at + 2] << 8) | buf[at + 3]) + 2;
        buf[at + 2] = (uint8_t)(v >> 8);
        buf[at + 3] = (uint8_t)v;
        assert_int_equal(parse_verify(&c, buf, n, &err), VT_E_FORMAT);
    }
    real_chain_free(&c);
}

/* ---- leaves issued here (a P-256 CA of our own) ---- */

typedef struct own_ca {
    vt_pkey *key;
    vt_x509 *cert;
    const uint8_t *subject;
    size_t subject_len;
} own_ca;

static void own_ca_make(own_ca *ca, vt_key_type type)
{
    vt_x509_spec s;
    vt_err err = { 0 };

    memset(ca, 0, sizeof(*ca));
    memset(&s, 0, sizeof(s));
    s.subject_cn = "Test PCK Platform CA";
    s.subject_o = "veritee tests";
    s.serial = 1;
    s.not_before = vt_test_time("2025-01-01T00:00:00Z");
    s.not_after = vt_test_time("2035-01-01T00:00:00Z");
    s.ca = true;
    s.pathlen = 0;
    assert_int_equal(vt_pkey_generate(&ca->key, type, &err), VT_OK);
    if (vt_x509_issue(&ca->cert, &s, ca->key, NULL, ca->key, &err) != VT_OK)
        fail_msg("%s", err.msg);
    ca->subject = vt__x509_subject_der(ca->cert, &ca->subject_len);
    assert_non_null(ca->subject);
}

static void own_ca_free(own_ca *ca)
{
    vt_pkey_free(ca->key);
    vt_x509_free(ca->cert);
}

/* A PCK-like leaf under ca: the SGX extension of a real leaf, plus `extra` extensions. */
static vt_x509 *own_leaf(const own_ca *ca, uint64_t serial, const char *nb, const char *na,
                         const vt_x509_ext_spec *extra, size_t extra_count)
{
    real_chain real;
    vt_x509_ext_spec exts[4];
    vt_x509_spec s;
    vt_pkey *k = NULL;
    vt_x509 *leaf = NULL;
    const uint8_t *sgx = NULL;
    size_t sgx_len = 0;
    vt_err err = { 0 };

    real_chain_load(&real, "gotdx-v5-tdx15");
    assert_int_equal(vt_x509_ext(real.leaf, SGX_EXT_OID, &sgx, &sgx_len, &err), VT_OK);
    assert_true(extra_count < 4);
    exts[0].oid = SGX_EXT_OID;
    exts[0].der = sgx;
    exts[0].len = sgx_len;
    exts[0].critical = false;
    for (size_t i = 0; i < extra_count; i++)
        exts[1 + i] = extra[i];
    memset(&s, 0, sizeof(s));
    s.subject_cn = "Intel SGX PCK Certificate";
    s.subject_o = "veritee tests";
    s.serial = serial;
    s.not_before = vt_test_time(nb);
    s.not_after = vt_test_time(na);
    s.exts = exts;
    s.ext_count = 1 + extra_count;
    assert_int_equal(vt_pkey_generate(&k, VT_KEY_EC_P256, &err), VT_OK);
    if (vt_x509_issue(&leaf, &s, k, ca->cert, ca->key, &err) != VT_OK)
        fail_msg("%s", err.msg);
    vt_pkey_free(k);
    real_chain_free(&real);
    return leaf;
}

static vt_status own_check(const own_ca *ca, const vt_x509 *leaf, vt_crl *const *crls, size_t crl_count,
                           const char *at, vt_err *err)
{
    static vt__tdx_pck_leaf l;
    const vt__tdx_pck_issuer iss = { ca->subject, ca->subject_len, ca->key, crls, crl_count };
    size_t len = 0;
    const uint8_t *der = vt_x509_der(leaf, &len);
    vt_status rc = vt__tdx_pck_leaf_parse(&l, der, len, err);

    return rc != VT_OK ? rc : vt__tdx_pck_leaf_verify(&l, &iss, vt_test_time(at), err);
}

/* own_check() must give want, with msg_part in the message when not NULL. */
static void own_expect(const own_ca *ca, const vt_x509 *leaf, vt_crl *const *crls, size_t crl_count, const char *at,
                       vt_status want, const char *msg_part)
{
    vt_err err = { 0 };
    vt_status rc = own_check(ca, leaf, crls, crl_count, at, &err);

    if (rc != want)
        fail_msg("at %s: %d (%s), want %d", at, (int)rc, err.msg, (int)want);
    if (msg_part != NULL && strstr(err.msg, msg_part) == NULL)
        fail_msg("at %s: \"%s\" does not say \"%s\"", at, err.msg, msg_part);
}

static void test_tee_tdx_pck_leaf__unknown_critical_extension_rejected(void **state)
{
    static const uint8_t null_der[] = { 0x05, 0x00 };
    const vt_x509_ext_spec unknown = { "1.3.6.1.4.1.99999.1", null_der, sizeof(null_der), true };
    const vt_x509_ext_spec unknown_nc = { "1.3.6.1.4.1.99999.1", null_der, sizeof(null_der), false };
    own_ca ca;
    vt_x509 *leaf;

    (void)state;
    vt_test_require_vectors();
    own_ca_make(&ca, VT_KEY_EC_P256);
    leaf = own_leaf(&ca, 7, "2025-06-01T00:00:00Z", "2032-06-01T00:00:00Z", &unknown, 1);
    own_expect(&ca, leaf, NULL, 0, "2026-04-01T00:00:00Z", VT_E_FORMAT, "critical");
    vt_x509_free(leaf);
    /* The same extension not critical is ignored, as RFC 5280 says. */
    leaf = own_leaf(&ca, 7, "2025-06-01T00:00:00Z", "2032-06-01T00:00:00Z", &unknown_nc, 1);
    own_expect(&ca, leaf, NULL, 0, "2026-04-01T00:00:00Z", VT_OK, NULL);
    vt_x509_free(leaf);
    own_ca_free(&ca);
}

static void test_tee_tdx_pck_leaf__own_leaf_outside_validity_rejected(void **state)
{
    own_ca ca;
    vt_x509 *leaf;

    (void)state;
    vt_test_require_vectors();
    own_ca_make(&ca, VT_KEY_EC_P256);
    leaf = own_leaf(&ca, 9, "2025-06-01T00:00:00Z", "2026-01-01T00:00:00Z", NULL, 0);
    own_expect(&ca, leaf, NULL, 0, "2026-04-01T00:00:00Z", VT_E_CRYPTO, "expired");
    own_expect(&ca, leaf, NULL, 0, "2025-05-31T23:59:59Z", VT_E_CRYPTO, "not yet valid");
    own_expect(&ca, leaf, NULL, 0, "2025-12-31T23:59:59Z", VT_OK, NULL);
    vt_x509_free(leaf);
    own_ca_free(&ca);
}

/* A P-384 CA signs with ecdsa-with-SHA384: outside the PCK profile. */
static void test_tee_tdx_pck_leaf__sha384_signature_rejected(void **state)
{
    own_ca ca;
    vt_x509 *leaf;

    (void)state;
    vt_test_require_vectors();
    own_ca_make(&ca, VT_KEY_EC_P384);
    leaf = own_leaf(&ca, 3, "2025-06-01T00:00:00Z", "2032-06-01T00:00:00Z", NULL, 0);
    own_expect(&ca, leaf, NULL, 0, "2026-04-01T00:00:00Z", VT_E_FORMAT, "ecdsa-with-SHA256");
    vt_x509_free(leaf);
    own_ca_free(&ca);
}

static void test_tee_tdx_pck_leaf__revoked_serial_rejected(void **state)
{
    const uint64_t revoked[] = { 5, 0x8000000000000001ull, 11 };
    own_ca ca;
    vt_x509 *leaf;
    vt_crl *crl = NULL;
    vt_buf der;
    vt_err err = { 0 };

    (void)state;
    vt_test_require_vectors();
    vt_buf_init(&der);
    own_ca_make(&ca, VT_KEY_EC_P256);
    assert_int_equal(vt_crl_issue(&der, ca.cert, ca.key, revoked, 3, vt_test_time("2026-03-01T00:00:00Z"),
                                  vt_test_time("2026-05-01T00:00:00Z"), &err),
                     VT_OK);
    assert_int_equal(vt_crl_parse(&crl, der.data, der.len, &err), VT_OK);
    /* A serial with its top bit set (a leading 00 in DER) and a small one. */
    for (size_t i = 0; i < 2; i++) {
        leaf = own_leaf(&ca, revoked[i + 1], "2025-06-01T00:00:00Z", "2032-06-01T00:00:00Z", NULL, 0);
        own_expect(&ca, leaf, &crl, 1, "2026-04-01T00:00:00Z", VT_E_CRYPTO, "revoked");
        vt_x509_free(leaf);
    }
    leaf = own_leaf(&ca, 6, "2025-06-01T00:00:00Z", "2032-06-01T00:00:00Z", NULL, 0);
    own_expect(&ca, leaf, &crl, 1, "2026-04-01T00:00:00Z", VT_OK, NULL);
    vt_x509_free(leaf);
    vt_crl_free(crl);
    vt_buf_free(&der);
    own_ca_free(&ca);
}

static void test_tee_tdx_pck_leaf__pem_end_is_after_the_first_block(void **state)
{
    real_chain c;
    vt_buf pem;
    vt__tdx_pck_leaf leaf;
    size_t end = 0;
    vt_err err = { 0 };
    static const char junk_end[] = "-----END CERTIFICATE-----\n";
    const uint8_t *first_end;
    char *p;

    (void)state;
    vt_test_require_vectors();
    vt_buf_init(&pem);
    real_chain_load(&c, "gotdx-v5-tdx15");
    assert_int_equal(vt_x509_to_pem(&pem, c.leaf, &err), VT_OK);
    assert_int_equal(vt_x509_to_pem(&pem, c.ca, &err), VT_OK);
    assert_int_equal(vt__tdx_pck_leaf_from_pem(&leaf, (const char *)pem.data, pem.len, &end, &err), VT_OK);
    assert_true(end > 0 && end < pem.len);
    assert_memory_equal(pem.data + end - 25, junk_end, 25);
    /* A stray END line before the first BEGIN: the leaf read is the block after it, and end follows that block. */
    p = malloc(sizeof(junk_end) + pem.len);
    assert_non_null(p);
    memcpy(p, junk_end, sizeof(junk_end) - 1);
    memcpy(p + sizeof(junk_end) - 1, pem.data, pem.len);
    assert_int_equal(vt__tdx_pck_leaf_from_pem(&leaf, p, sizeof(junk_end) - 1 + pem.len, &end, &err), VT_OK);
    first_end = memmem(pem.data, pem.len, junk_end, sizeof(junk_end) - 1);
    assert_non_null(first_end);
    assert_int_equal(end, sizeof(junk_end) - 1 + (size_t)(first_end - pem.data) + 25);
    /* No certificate, a NUL inside. */
    assert_int_equal(vt__tdx_pck_leaf_from_pem(&leaf, junk_end, sizeof(junk_end) - 1, &end, &err), VT_E_FORMAT);
    assert_int_equal(end, 0);
    p[40] = '\0';
    assert_int_equal(vt__tdx_pck_leaf_from_pem(&leaf, p, sizeof(junk_end) - 1 + pem.len, &end, &err), VT_E_FORMAT);
    free(p);
    vt_buf_free(&pem);
    real_chain_free(&c);
}

/* ---- the real leaves, as OpenSSL reads them ---- */

static void test_tee_tdx_pck_leaf__real_leaves_match_openssl(void **state)
{
    (void)state;
    vt_test_require_vectors();
    for (size_t k = 0; k < QUOTE_COUNT; k++) {
        static const uint8_t alg[] = { 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02 };
        real_chain c;
        vt__tdx_pck_leaf leaf;
        vt__tdx_pck_ext ext;
        vt__tdx_pck_issuer iss;
        const uint8_t *ev = NULL;
        size_t ev_len = 0;
        vt_pkey *pk = NULL;
        vt_buf raw;
        vt_time nb, na;
        char want[300], got[300];
        vt_err err = { 0 };

        real_chain_load(&c, quotes[k]);
        if (vt__tdx_pck_leaf_parse(&leaf, c.der, c.der_len, &err) != VT_OK)
            fail_msg("%s: %s", quotes[k], err.msg);
        /* The SGX extension: FMSPC, PCE-ID, TCB components, PCESVN, CPUSVN. */
        assert_int_equal(leaf.ext_rc, VT_OK);
        assert_int_equal(vt_x509_ext(c.leaf, SGX_EXT_OID, &ev, &ev_len, &err), VT_OK);
        assert_int_equal(vt__tdx_pck_ext_parse(&ext, ev, ev_len, &err), VT_OK);
        assert_memory_equal(leaf.ext.ppid, ext.ppid, sizeof(ext.ppid));
        assert_memory_equal(leaf.ext.comp_svn, ext.comp_svn, sizeof(ext.comp_svn));
        assert_int_equal(leaf.ext.pcesvn, ext.pcesvn);
        assert_memory_equal(leaf.ext.cpusvn, ext.cpusvn, sizeof(ext.cpusvn));
        assert_memory_equal(leaf.ext.pceid, ext.pceid, sizeof(ext.pceid));
        assert_memory_equal(leaf.ext.fmspc, ext.fmspc, sizeof(ext.fmspc));
        assert_int_equal(leaf.ext.sgx_type, ext.sgx_type);
        /* Serial, validity, names, key. */
        vt_x509_serial_hex(c.leaf, want, sizeof(want));
        vt__tdx_pck_leaf_serial_hex(&leaf, got, sizeof(got));
        assert_string_equal(got, want);
        vt_x509_validity(c.leaf, &nb, &na);
        assert_true(leaf.not_before == nb && leaf.not_after == na);
        vt_x509_subject(c.leaf, want, sizeof(want));
        assert_string_equal(leaf.subject, want);
        vt_x509_subject_cn(c.leaf, want, sizeof(want));
        assert_string_equal(leaf.subject_cn, want);
        vt_x509_subject_cn(c.ca, want, sizeof(want));
        assert_string_equal(leaf.issuer_cn, want);
        vt_buf_init(&raw);
        assert_int_equal(vt_x509_pubkey(&pk, c.leaf, &err), VT_OK);
        assert_int_equal(vt_pkey_public_raw(&raw, pk, &err), VT_OK);
        assert_int_equal(raw.len, sizeof(leaf.pub));
        assert_memory_equal(raw.data, leaf.pub, sizeof(leaf.pub));
        vt_buf_free(&raw);
        vt_pkey_free(pk);
        /* The signed bytes are the TBSCertificate, and it verifies under its CA inside its validity. */
        assert_int_equal(leaf.tbs_off, 4);
        assert_true(leaf.tbs_off + leaf.tbs_len + sizeof(alg) < c.der_len);
        assert_memory_equal(c.der + leaf.tbs_off + leaf.tbs_len, alg, sizeof(alg));
        iss = issuer_of(&c);
        if (vt__tdx_pck_leaf_verify(&leaf, &iss, mid_validity(c.leaf), &err) != VT_OK)
            fail_msg("%s: %s", quotes[k], err.msg);
        real_chain_free(&c);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tee_tdx_pck_leaf__every_truncation_rejected),
        cmocka_unit_test(test_tee_tdx_pck_leaf__trailing_bytes_rejected),
        cmocka_unit_test(test_tee_tdx_pck_leaf__bit_flips_rejected),
        cmocka_unit_test(test_tee_tdx_pck_leaf__wrong_issuer_rejected),
        cmocka_unit_test(test_tee_tdx_pck_leaf__outside_validity_rejected),
        cmocka_unit_test(test_tee_tdx_pck_leaf__wrong_signature_oid_rejected),
        cmocka_unit_test(test_tee_tdx_pck_leaf__bad_lengths_rejected),
        cmocka_unit_test(test_tee_tdx_pck_leaf__bytes_inside_explicit_wrappers_rejected),
        cmocka_unit_test(test_tee_tdx_pck_leaf__unknown_critical_extension_rejected),
        cmocka_unit_test(test_tee_tdx_pck_leaf__own_leaf_outside_validity_rejected),
        cmocka_unit_test(test_tee_tdx_pck_leaf__sha384_signature_rejected),
        cmocka_unit_test(test_tee_tdx_pck_leaf__revoked_serial_rejected),
        cmocka_unit_test(test_tee_tdx_pck_leaf__pem_end_is_after_the_first_block),
        cmocka_unit_test(test_tee_tdx_pck_leaf__real_leaves_match_openssl),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
