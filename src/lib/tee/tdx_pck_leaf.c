/*
 * The PCK leaf certificate, read with the bounded DER reader of tdx_pck.c
 * (vt_rd; single-byte tags, definite minimal lengths) instead of OpenSSL's
 * d2i_X509 and its decoders: a new machine's quote costs one small parse
 * and one signature under the cached, verified PCK CA.
 *
 *   Certificate ::= SEQUENCE { tbs, signatureAlgorithm, signatureValue BIT STRING }
 *   TBSCertificate ::= SEQUENCE {
 *     [0] EXPLICIT INTEGER 2 (v3), serialNumber INTEGER, signature AlgorithmIdentifier,
 *     issuer Name, validity SEQUENCE { Time, Time }, subject Name,
 *     subjectPublicKeyInfo SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING },
 *     [3] EXPLICIT SEQUENCE OF Extension }
 *
 * Strict DER throughout: what OpenSSL would only accept as non-canonical
 * (and vt_x509_from_der() then refuses) is refused here too.
 */
#include <stdio.h>
#include <string.h>

#include "crypto/crypto_int.h"
#include "tee/tdx_pck_leaf.h"

#define DER_BOOLEAN 0x01
#define DER_INTEGER 0x02
#define DER_BIT_STRING 0x03
#define DER_OCTET_STRING 0x04
#define DER_NULL 0x05
#define DER_OID 0x06
#define DER_UTF8 0x0c
#define DER_PRINTABLE 0x13
#define DER_T61 0x14
#define DER_IA5 0x16
#define DER_UTCTIME 0x17
#define DER_GENTIME 0x18
#define DER_SEQUENCE 0x30
#define DER_SET 0x31
#define DER_CTX0 0xa0
#define DER_CTX3 0xa3

static const uint8_t oid_ecdsa_sha256[] = { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02 };
static const uint8_t oid_ec_public_key[] = { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01 };
static const uint8_t oid_prime256v1[] = { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
static const uint8_t oid_sgx_ext[] = { 0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01 };
static const uint8_t oid_x520_prefix[] = { 0x55, 0x04 };  /* 2.5.4.x */
static const uint8_t oid_ce_prefix[] = { 0x55, 0x1d };    /* 2.5.29.x */

#define CE_SUBJECT_KEY_ID 14
#define CE_KEY_USAGE 15
#define CE_SUBJECT_ALT_NAME 17
#define CE_ISSUER_ALT_NAME 18
#define CE_BASIC_CONSTRAINTS 19
#define CE_CERT_POLICIES 32
#define CE_AUTHORITY_KEY_ID 35
#define CE_EXT_KEY_USAGE 37

#define LEAF_EXT_MAX 16

/* The offset in the certificate of a reader whose contents end at offset `end` (counts, not pointers). */
static size_t pos_of(size_t end, const vt_rd *r)
{
    return end - r->left;
}

static bool oid_is(const vt_rd *oid, const uint8_t *want, size_t n)
{
    vt_rd o = *oid;
    const uint8_t *p = vt_rd_take(&o, n);

    return p != NULL && o.left == 0 && memcmp(p, want, n) == 0;
}

/* The last arc of an OID prefix.x (one-byte arc), or -1. */
static int oid_arc(const vt_rd *oid, const uint8_t *prefix, size_t n)
{
    vt_rd o = *oid;
    const uint8_t *p = vt_rd_take(&o, n);
    uint8_t arc = vt_rd_u8(&o);

    if (p == NULL || !vt_rd_ok_and_empty(&o) || memcmp(p, prefix, n) != 0 || (arc & 0x80))
        return -1;
    return arc;
}

/* OID contents: non-empty, each arc minimal and terminated. */
static bool oid_valid(const vt_rd *oid)
{
    vt_rd o = *oid;
    bool start = true;

    if (o.failed || o.left == 0 || o.left > 64)
        return false;
    while (o.left > 0) {
        uint8_t b = vt_rd_u8(&o);

        if (start && b == 0x80)
            return false; /* non-minimal arc */
        start = (b & 0x80) == 0;
    }
    return start;
}

/* AlgorithmIdentifier that must be ecdsa-with-SHA256 without parameters (RFC 5758). */
static bool alg_ecdsa_sha256(vt_rd *r)
{
    vt_rd alg = vt__tdx_der_expect(r, DER_SEQUENCE);
    vt_rd oid = vt__tdx_der_expect(&alg, DER_OID);

    return vt_rd_ok(r) && vt_rd_ok_and_empty(&alg) && oid_is(&oid, oid_ecdsa_sha256, sizeof(oid_ecdsa_sha256));
}

/* Minimal INTEGER contents (any sign) of 1..max bytes. */
static bool int_minimal(const vt_rd *v, size_t max)
{
    vt_rd c = *v;
    size_t n = c.left;
    const uint8_t *p = vt_rd_take(&c, n);

    if (p == NULL || n == 0 || n > max)
        return false;
    if (n > 1 && ((p[0] == 0x00 && !(p[1] & 0x80)) || (p[0] == 0xff && (p[1] & 0x80))))
        return false;
    return true;
}

/* A positive ECDSA-Sig-Value half into 32 big-endian bytes. */
static bool sig_half(vt_rd *seq, uint8_t out[32])
{
    vt_rd v = vt__tdx_der_expect(seq, DER_INTEGER);
    size_t n = v.left;
    const uint8_t *p;

    if (!vt_rd_ok(seq) || !int_minimal(&v, 33))
        return false;
    p = vt_rd_take(&v, n);
    if (p == NULL || (p[0] & 0x80))
        return false; /* negative */
    if (n == 33) {
        if (p[0] != 0)
            return false; /* above 256 bits */
        p++;
        n--;
    }
    memset(out, 0, 32 - n);
    memcpy(out + 32 - n, p, n);
    return true;
}

static int digits(const uint8_t *p, size_t n)
{
    int v = 0;

    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    return v;
}

static bool leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* UTCTime YYMMDDHHMMSSZ or GeneralizedTime YYYYMMDDHHMMSSZ (the DER forms RFC 5280 allows). */
static bool read_time(vt_rd *r, vt_time *out)
{
    static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    uint8_t tag = 0;
    vt_rd v = vt__tdx_der_tlv(r, &tag);
    size_t n = v.left, yl;
    const uint8_t *p;
    int y, mo, d, h, mi, s;

    if (!vt_rd_ok(r) || (tag == DER_UTCTIME && n != 13) || (tag == DER_GENTIME && n != 15) ||
        (tag != DER_UTCTIME && tag != DER_GENTIME))
        return false;
    p = vt_rd_take(&v, n);
    if (p == NULL || p[n - 1] != 'Z')
        return false;
    yl = tag == DER_UTCTIME ? 2 : 4;
    y = digits(p, yl);
    mo = digits(p + yl, 2);
    d = digits(p + yl + 2, 2);
    h = digits(p + yl + 4, 2);
    mi = digits(p + yl + 6, 2);
    s = digits(p + yl + 8, 2);
    if (y < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59)
        return false;
    if (tag == DER_UTCTIME)
        y += y < 50 ? 2000 : 1900;
    if (d > mdays[mo - 1] + (mo == 2 && leap(y)))
        return false;
    *out = vt_time_from_utc(y, mo, d, h, mi, s);
    return true;
}

/* ---- names ---- */

static const char *attr_short_name(int arc)
{
    switch (arc) {
    case 3:
        return "CN";
    case 5:
        return "serialNumber";
    case 6:
        return "C";
    case 7:
        return "L";
    case 8:
        return "ST";
    case 9:
        return "street";
    case 10:
        return "O";
    case 11:
        return "OU";
    default:
        return NULL;
    }
}

typedef struct text {
    char *p;
    size_t cap, len;
} text;

static void put_c(text *t, char c)
{
    if (t->len + 1 < t->cap) {
        t->p[t->len++] = c;
        t->p[t->len] = '\0';
    }
}

static void put_s(text *t, const char *s)
{
    while (*s != '\0')
        put_c(t, *s++);
}

static void put_hex(text *t, const uint8_t *p, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";

    for (size_t i = 0; i < n; i++) {
        put_c(t, hex[p[i] >> 4]);
        put_c(t, hex[p[i] & 15]);
    }
}

/* Dotted form of a valid OID (oid_valid), for attribute types without a short name. */
static void put_oid(text *t, const vt_rd *oid)
{
    vt_rd o = *oid;
    uint64_t arc = 0;
    bool first = true;
    char num[24];

    while (o.left > 0) {
        uint8_t b = vt_rd_u8(&o);

        if (arc > (UINT64_MAX >> 7))
            return;
        arc = (arc << 7) | (b & 0x7f);
        if (b & 0x80)
            continue;
        if (first) {
            uint64_t top = arc < 40 ? 0 : arc < 80 ? 1 : 2;
            snprintf(num, sizeof(num), "%llu.%llu", (unsigned long long)top, (unsigned long long)(arc - 40 * top));
            first = false;
        } else {
            snprintf(num, sizeof(num), ".%llu", (unsigned long long)arc);
        }
        put_s(t, num);
        arc = 0;
    }
}

/* One attribute value in RFC 2253 form: escaped string, or #hex of its DER. */
static void put_value(text *t, uint8_t tag, const uint8_t *tlv, size_t tlv_len, const uint8_t *v, size_t n)
{
    if (tag != DER_UTF8 && tag != DER_PRINTABLE && tag != DER_IA5 && tag != DER_T61) {
        put_c(t, '#');
        put_hex(t, tlv, tlv_len);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        char c = (char)v[i];

        if (strchr(",+\"\\<>;", c) != NULL || (i == 0 && (c == '#' || c == ' ')) || (i + 1 == n && c == ' '))
            put_c(t, '\\');
        put_c(t, (v[i] >= 0x20 && v[i] < 0x7f) ? c : '?');
    }
}

/*
 * Name ::= SEQUENCE OF SET OF SEQUENCE { OID, value }.  Checks its shape,
 * renders it one-line (RFC 2253: last RDN first) into out when out_len > 0,
 * and copies the first CN's printable text into cn.
 */
static bool read_name(const vt_rd *name, char *out, size_t out_len, char *cn, size_t cn_len)
{
    vt_rd rdns[16], r = *name;
    size_t count = 0;
    text t = { out, out_len, 0 };

    if (cn_len > 0)
        cn[0] = '\0';
    if (out_len > 0)
        out[0] = '\0';
    while (vt_rd_ok(&r) && r.left > 0) {
        vt_rd set = vt__tdx_der_expect(&r, DER_SET);

        if (!vt_rd_ok(&r) || set.left == 0 || count >= sizeof(rdns) / sizeof(rdns[0]))
            return false;
        rdns[count++] = set;
    }
    if (!vt_rd_ok(&r))
        return false;
    for (size_t i = count; i-- > 0;) {
        vt_rd set = rdns[i];
        bool first = true;

        if (i + 1 < count)
            put_c(&t, ',');
        while (vt_rd_ok(&set) && set.left > 0) {
            vt_rd atv = vt__tdx_der_expect(&set, DER_SEQUENCE);
            vt_rd oid = vt__tdx_der_expect(&atv, DER_OID);
            size_t before = atv.left;
            const uint8_t *tlv = atv.p;
            uint8_t tag = 0;
            vt_rd val = vt__tdx_der_tlv(&atv, &tag);
            size_t tlv_len = before - atv.left, n = val.left;
            const uint8_t *v = vt_rd_take(&val, n);
            int arc = oid_arc(&oid, oid_x520_prefix, sizeof(oid_x520_prefix));
            const char *sn = attr_short_name(arc);

            if (!vt_rd_ok(&set) || !vt_rd_ok_and_empty(&atv) || !oid_valid(&oid) || (tag & 0x20) || v == NULL)
                return false;
            if (!first)
                put_c(&t, '+');
            first = false;
            if (sn != NULL)
                put_s(&t, sn);
            else
                put_oid(&t, &oid);
            put_c(&t, '=');
            put_value(&t, tag, tlv, tlv_len, v, n);
            if (arc == 3 && cn_len > 0) { /* rendered last RDN first: the first CN wins, as OpenSSL's */
                size_t k;
                for (k = 0; k < n && k + 1 < cn_len; k++)
                    cn[k] = (v[k] >= 0x20 && v[k] < 0x7f) ? (char)v[k] : '?';
                cn[k] = '\0';
            }
        }
        if (!vt_rd_ok(&set))
            return false;
    }
    return true;
}

/* ---- extensions ---- */

/* The value of a known extension must decode (OpenSSL marks the certificate invalid otherwise). */
static bool known_ext_ok(int arc, const vt_rd *value)
{
    vt_rd v = *value, c, d;
    uint8_t tag = 0;

    switch (arc) {
    case CE_BASIC_CONSTRAINTS:
        c = vt__tdx_der_expect(&v, DER_SEQUENCE);
        if (!vt_rd_ok_and_empty(&v))
            return false;
        if (c.left > 0 && c.p[0] == DER_BOOLEAN) {
            d = vt__tdx_der_expect(&c, DER_BOOLEAN);
            if (!vt_rd_ok(&c) || d.left != 1 || d.p[0] != 0xff)
                return false; /* DER: cA FALSE is omitted */
        }
        if (c.left > 0) {
            bool ok = true;
            d = vt__tdx_der_expect(&c, DER_INTEGER);
            (void)vt__tdx_der_uint(&d, 0x7fffffff, &ok);
            if (!ok || !vt_rd_ok(&c))
                return false;
        }
        return vt_rd_ok_and_empty(&c);
    case CE_KEY_USAGE:
        c = vt__tdx_der_expect(&v, DER_BIT_STRING);
        return vt_rd_ok_and_empty(&v) && c.left >= 1 && c.left <= 3 && c.p[0] < 8;
    case CE_SUBJECT_KEY_ID:
        c = vt__tdx_der_expect(&v, DER_OCTET_STRING);
        return vt_rd_ok_and_empty(&v) && vt_rd_ok(&c);
    case CE_AUTHORITY_KEY_ID:
        c = vt__tdx_der_expect(&v, DER_SEQUENCE);
        if (!vt_rd_ok_and_empty(&v))
            return false;
        for (int want = 0; want < 3 && c.left > 0; want++) {
            uint8_t expect = (uint8_t)(want == 1 ? 0xa1 : 0x80 | want);
            if (c.p[0] != expect)
                continue;
            (void)vt__tdx_der_tlv(&c, &tag);
        }
        return vt_rd_ok_and_empty(&c);
    case CE_EXT_KEY_USAGE:
        c = vt__tdx_der_expect(&v, DER_SEQUENCE);
        if (!vt_rd_ok_and_empty(&v) || c.left == 0)
            return false;
        while (vt_rd_ok(&c) && c.left > 0) {
            d = vt__tdx_der_expect(&c, DER_OID);
            if (!vt_rd_ok(&c) || !oid_valid(&d))
                return false;
        }
        return vt_rd_ok(&c);
    default:
        return true;
    }
}

static vt_status read_extensions(vt__tdx_pck_leaf *l, vt_rd *exts, vt_err *err)
{
    vt_rd seen[LEAF_EXT_MAX];
    size_t count = 0;
    vt_err e = { 0 };

    l->ext_rc = VT_E_NOTFOUND;
    snprintf(l->ext_msg, sizeof(l->ext_msg), "tdx: pck_extension (SGX extensions %s) missing from the PCK leaf",
             "1.2.840.113741.1.13.1");
    if (exts->left == 0)
        return vt_err_set(err, VT_E_FORMAT, "tdx: pck_leaf extensions empty");
    while (vt_rd_ok(exts) && exts->left > 0) {
        vt_rd ext = vt__tdx_der_expect(exts, DER_SEQUENCE);
        vt_rd oid = vt__tdx_der_expect(&ext, DER_OID);
        bool critical = false;
        vt_rd value;
        int arc;

        if (vt_rd_ok(&ext) && ext.left > 0 && ext.p[0] == DER_BOOLEAN) {
            vt_rd b = vt__tdx_der_expect(&ext, DER_BOOLEAN);
            if (!vt_rd_ok(&ext) || b.left != 1 || b.p[0] != 0xff)
                return vt_err_set(err, VT_E_FORMAT, "tdx: pck_leaf extension criticality is not DER");
            critical = true;
        }
        value = vt__tdx_der_expect(&ext, DER_OCTET_STRING);
        if (!vt_rd_ok(exts) || !vt_rd_ok_and_empty(&ext) || !oid_valid(&oid))
            return vt_err_set(err, VT_E_FORMAT, "tdx: pck_leaf extension malformed");
        for (size_t i = 0; i < count; i++)
            if (seen[i].left == oid.left && memcmp(seen[i].p, oid.p, oid.left) == 0)
                return vt_err_set(err, VT_E_FORMAT, "tdx: pck_leaf has a duplicate extension");
        if (count >= LEAF_EXT_MAX)
            return vt_err_set(err, VT_E_FORMAT, "tdx: pck_leaf has more than %d extensions", LEAF_EXT_MAX);
        seen[count++] = oid;
        arc = oid_arc(&oid, oid_ce_prefix, sizeof(oid_ce_prefix));
        if (arc >= 0 && !known_ext_ok(arc, &value))
            return vt_err_set(err, VT_E_FORMAT, "tdx: pck_leaf extension 2.5.29.%d is malformed", arc);
        if (critical && (arc < 0 || !vt__x509_ce_critical_ok((unsigned)arc)))
            return vt_err_set(err, VT_E_FORMAT, "tdx: pck_leaf has an unsupported critical extension");
        if (oid_is(&oid, oid_sgx_ext, sizeof(oid_sgx_ext))) {
            size_t n = value.left;
            l->ext_rc = vt__tdx_pck_ext_parse(&l->ext, vt_rd_take(&value, n), n, &e);
            snprintf(l->ext_msg, sizeof(l->ext_msg), "%s", l->ext_rc == VT_OK ? "" : e.msg);
        }
    }
    if (!vt_rd_ok(exts))
        return vt_err_set(err, VT_E_FORMAT, "tdx: pck_leaf extensions malformed");
    return VT_OK;
}

/* ---- the certificate ---- */

static vt_status read_spki(vt__tdx_pck_leaf *l, vt_rd *tbs, vt_err *err)
{
    vt_rd spki = vt__tdx_der_expect(tbs, DER_SEQUENCE);
    vt_rd alg = vt__tdx_der_expect(&spki, DER_SEQUENCE);
    vt_rd kind = vt__tdx_der_expect(&alg, DER_OID);
    vt_rd curve = vt__tdx_der_expect(&alg, DER_OID);
    vt_rd bits = vt__tdx_der_expect(&spki, DER_BIT_STRING);

    if (!vt_rd_ok(tbs) || !vt_rd_ok_and_empty(&spki) || !vt_rd_ok_and_empty(&alg))
        return vt_err_set(err, VT_E_FORMAT, "tdx: pck_leaf subjectPublicKeyInfo malformed");
    if (!oid_is(&kind, oid_ec_public_key, sizeof(oid_ec_public_key)) ||
        !oid_is(&curve, oid_prime256v1, sizeof(oid_prime256v1)))
        return vt_err_set(err, VT_E_FORMAT, "tdx: pck_leaf key is not ECDSA P-256");
    if (vt_rd_u8(&bits) != 0 || vt_rd_u8(&bits) != 0x04 || bits.left != sizeof(l->pub))
        return vt_err_set(err, VT_E_FORMAT, "tdx: pck_leaf key is not an uncompressed P-256 point");
    vt_rd_copy(&bits, l->pub, sizeof(l->pub));
    return VT_OK;
}

static vt_status read_tbs(vt__tdx_pck_leaf *l, vt_rd *tbs, vt_err *err)
{
    vt_rd ver, serial, name, validity, exts;
    bool ok = true;
    size_t start, end = l->tbs_off + l->tbs_len; /* tbs is the rest of the TBSCertificate */
    vt_status rc;

    ver = vt__tdx_der_explicit(tbs, DER_CTX0, DER_INTEGER);
    if (!vt_rd_ok(tbs) || vt__tdx_der_uint(&ver, 2, &ok) != 2 || !ok)
        return vt_err_set(err, VT_E_FORMAT, "tdx: pck_leaf is not an X.509 v3 certificate");
    serial = vt__tdx_der_expect(tbs, DER_INTEGER);
    if (!vt_rd_ok(tbs) || !int_minimal(&serial, sizeof(l->serial)) || (serial.p[0] & 0x80))
        return vt_err_set(err, VT_E_FORMAT, "tdx: pck_leaf serialNumber malformed");
    l->serial_len = serial.left;
    vt_rd_copy(&serial, l->serial, l->serial_len);
    if (!alg_ecdsa_sha256(tbs))
        return vt_err_set(err, VT_E_FORMAT, "tdx: pck_leaf signature algorithm is not ecdsa-with-SHA256");

    start = pos_of(end, tbs);
    name = vt__tdx_der_expect(tbs, DER_SEQUENCE);
    l->issuer_off = start;
    l->issuer_len = pos_of(end, tbs) - start;
    if (!vt_rd_ok(tbs) || !read_name(&name, NULL, 0, l->issuer_cn, sizeof(l->issuer_cn)))
        return vt_err_set(err, VT_E_FORMAT, "tdx: pck_leaf issuer malformed");

    validity = vt__tdx_der_expect(tbs, DER_SEQUENCE);
    if (!vt_rd_ok(tbs) || !read_time(&validity, &l->not_before) || !read_time(&validity, &l->not_after) ||
        !vt_rd_ok_and_empty(&validity))
        return vt_err_set(err, VT_E_FORMAT, "tdx: pck_leaf validity malformed");

    start = pos_of(end, tbs);
    name = vt__tdx_der_expect(tbs, DER_SEQUENCE);
    l->subject_off = start;
    l->subject_len = pos_of(end, tbs) - start;
    if (!vt_rd_ok(tbs) || !read_name(&name, l->subject, sizeof(l->subject), l->subject_cn, sizeof(l->subject_cn)))
        return vt_err_set(err, VT_E_FORMAT, "tdx: pck_leaf subject malformed");

    rc = read_spki(l, tbs, err);
    if (rc != VT_OK)
        return rc;
    if (tbs->left == 0 || tbs->p[0] != DER_CTX3)
        return vt_err_set(err, VT_E_FORMAT, "tdx: pck_leaf has %s", tbs->left == 0 ? "no extensions" :
                          "issuer or subject unique IDs (not allowed)");
    exts = vt__tdx_der_explicit(tbs, DER_CTX3, DER_SEQUENCE);
    if (!vt_rd_ok(tbs))
        return vt_err_set(err, VT_E_FORMAT, "tdx: pck_leaf extensions malformed");
    rc = read_extensions(l, &exts, err);
    if (rc != VT_OK)
        return rc;
    if (!vt_rd_ok_and_empty(tbs))
        return vt_err_set(err, VT_E_FORMAT, "tdx: pck_leaf has bytes after its extensions");
    return VT_OK;
}

static vt_status parse(vt__tdx_pck_leaf *l, vt_err *err)
{
    vt_rd r, cert, tbs, sig, ecsig;
    size_t start;
    vt_status rc;

    vt_rd_init(&r, l->der, l->der_len);
    cert = vt__tdx_der_expect(&r, DER_SEQUENCE);
    if (!vt_rd_ok_and_empty(&r))
        return vt_err_set(err, VT_E_FORMAT, "tdx: pck_leaf is not one DER SEQUENCE");
    start = pos_of(l->der_len, &cert);
    tbs = vt__tdx_der_expect(&cert, DER_SEQUENCE);
    l->tbs_off = start;
    l->tbs_len = pos_of(l->der_len, &cert) - start;
    if (!vt_rd_ok(&cert))
        return vt_err_set(err, VT_E_FORMAT, "tdx: pck_leaf tbsCertificate malformed");
    rc = read_tbs(l, &tbs, err);
    if (rc != VT_OK)
        return rc;
    if (!alg_ecdsa_sha256(&cert))
        return vt_err_set(err, VT_E_FORMAT, "tdx: pck_leaf signatureAlgorithm is not ecdsa-with-SHA256");
    sig = vt__tdx_der_expect(&cert, DER_BIT_STRING);
    if (!vt_rd_ok_and_empty(&cert) || vt_rd_u8(&sig) != 0)
        return vt_err_set(err, VT_E_FORMAT, "tdx: pck_leaf signatureValue malformed");
    ecsig = vt__tdx_der_expect(&sig, DER_SEQUENCE);
    if (!vt_rd_ok_and_empty(&sig) || !sig_half(&ecsig, l->sig) || !sig_half(&ecsig, l->sig + 32) ||
        !vt_rd_ok_and_empty(&ecsig))
        return vt_err_set(err, VT_E_FORMAT, "tdx: pck_leaf signatureValue is not a DER ECDSA signature");
    return VT_OK;
}

vt_status vt__tdx_pck_leaf_parse(vt__tdx_pck_leaf *out, const uint8_t *der, size_t len, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;

    memset(out, 0, sizeof(*out));
    if (der == NULL || len == 0)
        return vt_err_set(err, VT_E_FORMAT, "tdx: pck_leaf empty");
    if (len > TDX_PCK_LEAF_MAX)
        return vt_err_set(err, VT_E_LIMIT, "tdx: pck_leaf of %zu bytes above the %u-byte limit", len,
                          (unsigned)TDX_PCK_LEAF_MAX);
    memcpy(out->der, der, len);
    out->der_len = len;
    rc = parse(out, err);
    if (rc != VT_OK)
        memset(out, 0, sizeof(*out));
    return rc;
}

vt_status vt__tdx_pck_leaf_from_pem(vt__tdx_pck_leaf *out, const char *pem, size_t len, size_t *end, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    size_t pos = 0;
    vt_buf der;

    memset(out, 0, sizeof(*out));
    if (end != NULL)
        *end = 0;
    vt_buf_init(&der);
    if (pem == NULL) {
        rc = vt_err_set(err, VT_E_FORMAT, "tdx: pck_chain has no PEM certificate");
        goto out;
    }
    if (len > 0 && pem[len - 1] == '\0')
        len--;
    if (memchr(pem, '\0', len) != NULL) {
        rc = vt_err_set(err, VT_E_FORMAT, "tdx: pck_chain contains a NUL byte");
        goto out;
    }
    rc = vt__pem_next(&der, pem, len, &pos, "CERTIFICATE", err);
    if (rc == VT_E_NOTFOUND)
        rc = vt_err_set(err, VT_E_FORMAT, "tdx: pck_chain has no PEM certificate");
    if (rc == VT_OK)
        rc = vt__tdx_pck_leaf_parse(out, der.data, der.len, err);
    if (rc == VT_OK && end != NULL)
        *end = pos;
out:
    vt_buf_free(&der);
    return rc;
}

vt_status vt__tdx_pck_leaf_verify(const vt__tdx_pck_leaf *leaf, const vt__tdx_pck_issuer *ca, vt_time now,
                                  vt_err *err)
{
    char t[32], serial[2 * TDX_PCK_SERIAL_MAX + 2];
    bool listed = false;
    vt_err e = { 0 };

    if (leaf == NULL || ca == NULL || ca->key == NULL || ca->subject_der == NULL || (ca->crl_count > 0 && ca->crls == NULL))
        return vt_err_set(err, VT_E_ARG, "tdx: pck_leaf verify request incomplete");
    if (leaf->issuer_len != ca->subject_len ||
        memcmp(leaf->der + leaf->issuer_off, ca->subject_der, ca->subject_len) != 0)
        return vt_err_set(err, VT_E_CRYPTO, "tdx: pck_leaf issuer is not the subject of its PCK CA");
    if (vt_ecdsa_verify_raw(ca->key, VT_MD_SHA256, leaf->der + leaf->tbs_off, leaf->tbs_len, leaf->sig,
                            sizeof(leaf->sig), &e) != VT_OK)
        return vt_err_set(err, VT_E_CRYPTO, "tdx: pck_leaf signature does not verify with the PCK CA's key");
    if (now < leaf->not_before) {
        vt_time_format(t, leaf->not_before);
        return vt_err_set(err, VT_E_CRYPTO, "tdx: pck_leaf is not yet valid (notBefore %s)", t);
    }
    if (now > leaf->not_after) {
        vt_time_format(t, leaf->not_after);
        return vt_err_set(err, VT_E_CRYPTO, "tdx: pck_leaf has expired (notAfter %s)", t);
    }
    for (size_t i = 0; i < ca->crl_count; i++) {
        if (vt__crl_lists_serial(&listed, ca->crls[i], leaf->serial, leaf->serial_len, &e) != VT_OK)
            return vt_err_set(err, VT_E_CRYPTO, "tdx: pck_leaf revocation not checked: %s", e.msg);
        if (listed) {
            vt__tdx_pck_leaf_serial_hex(leaf, serial, sizeof(serial));
            return vt_err_set(err, VT_E_CRYPTO, "tdx: pck_leaf serial %s is revoked by the CRL of its PCK CA",
                              serial);
        }
    }
    return VT_OK;
}

void vt__tdx_pck_leaf_serial_hex(const vt__tdx_pck_leaf *leaf, char *out, size_t out_len)
{
    size_t skip = leaf->serial_len > 1 && leaf->serial[0] == 0 ? 1 : 0;

    if (out_len == 0)
        return;
    out[0] = '\0';
    if (leaf->serial_len - skip == 0 || out_len < 2 * (leaf->serial_len - skip) + 1)
        return;
    vt_hex_encode(out, leaf->serial + skip, leaf->serial_len - skip);
}
