/* libFuzzer: the PCK leaf reader (tee/tdx_pck_leaf.c) on DER and on PEM
 * chains, its verify step, and OpenSSL's reading of what it accepts. */
#include <stdlib.h>
#include <string.h>

#include "tee/tdx_pck_leaf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What the reader accepted: offsets inside the copy, terminated strings, a minimal positive serial. */
static void check_shape(const vt__tdx_pck_leaf *l)
{
    size_t tbs_end = l->tbs_off + l->tbs_len;

    if (l->der_len == 0 || l->der_len > sizeof(l->der) || tbs_end > l->der_len || l->tbs_len == 0 ||
        l->issuer_off < l->tbs_off || l->issuer_off + l->issuer_len > tbs_end || l->subject_off < l->tbs_off ||
        l->subject_off + l->subject_len > tbs_end || l->serial_len == 0 || l->serial_len > sizeof(l->serial) ||
        (l->serial[0] & 0x80) || memchr(l->subject, '\0', sizeof(l->subject)) == NULL ||
        memchr(l->subject_cn, '\0', sizeof(l->subject_cn)) == NULL ||
        memchr(l->issuer_cn, '\0', sizeof(l->issuer_cn)) == NULL || l->der[l->tbs_off] != 0x30 ||
        l->der[l->issuer_off] != 0x30 || l->der[l->subject_off] != 0x30)
        __builtin_trap();
}

/* When OpenSSL reads the same bytes too, both readings agree. */
static void check_against_openssl(const vt__tdx_pck_leaf *l, const uint8_t *data, size_t size)
{
    vt_x509 *c = NULL;
    vt_pkey *k = NULL;
    vt_buf raw;
    vt_time nb, na;
    char a[2 * TDX_PCK_SERIAL_MAX + 2], b[2 * TDX_PCK_SERIAL_MAX + 2];

    if (vt_x509_from_der(&c, data, size, NULL) != VT_OK)
        return;
    vt_buf_init(&raw);
    vt_x509_validity(c, &nb, &na);
    vt_x509_serial_hex(c, a, sizeof(a));
    vt__tdx_pck_leaf_serial_hex(l, b, sizeof(b));
    if (nb != l->not_before || na != l->not_after || strcmp(a, b) != 0)
        __builtin_trap();
    /* A point off the curve is copied by the reader and refused when it is imported to verify, as
     * OpenSSL refuses it.  Where OpenSSL has a key, it is the reader's. */
    if (vt_x509_pubkey(&k, c, NULL) != VT_OK) {
        if (vt_pkey_from_ec_raw(&k, VT_KEY_EC_P256, l->pub, sizeof(l->pub), NULL) == VT_OK)
            __builtin_trap();
    } else if (vt_pkey_public_raw(&raw, k, NULL) != VT_OK || raw.len != sizeof(l->pub) ||
               memcmp(raw.data, l->pub, raw.len) != 0) {
        __builtin_trap();
    }
    vt_buf_free(&raw);
    vt_pkey_free(k);
    vt_x509_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static vt__tdx_pck_leaf leaf;
    static vt_pkey *key;
    static const uint8_t subject[] = { 0x30, 0x00 };
    vt__tdx_pck_issuer iss;
    size_t end = 0;

    if (key == NULL && vt_pkey_generate(&key, VT_KEY_EC_P256, NULL) != VT_OK)
        abort();
    if (vt__tdx_pck_leaf_parse(&leaf, data, size, NULL) == VT_OK) {
        check_shape(&leaf);
        check_against_openssl(&leaf, data, size);
        /* Under a key made here, nothing the fuzzer writes verifies; with its own issuer name, the signature decides. */
        memset(&iss, 0, sizeof(iss));
        iss.subject_der = leaf.der + leaf.issuer_off;
        iss.subject_len = leaf.issuer_len;
        iss.key = key;
        if (vt__tdx_pck_leaf_verify(&leaf, &iss, leaf.not_before, NULL) == VT_OK)
            __builtin_trap();
        iss.subject_der = subject;
        iss.subject_len = sizeof(subject);
        if (vt__tdx_pck_leaf_verify(&leaf, &iss, leaf.not_before, NULL) == VT_OK)
            __builtin_trap();
    }
    if (vt__tdx_pck_leaf_from_pem(&leaf, (const char *)data, size, &end, NULL) == VT_OK) {
        check_shape(&leaf);
        if (end == 0 || end > size)
            __builtin_trap();
    } else if (end != 0) {
        __builtin_trap();
    }
    return 0;
}
