/* X.509 parsing: DER, PEM lists, accessors and extensions (certificates made with vt_x509_issue). */
#include "vt_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T0 ((vt_time)1700000000) /* 2023-11-14T22:13:20Z */

typedef struct pki {
    vt_pkey *root_key, *leaf_key;
    vt_x509 *root, *leaf, *other;
} pki;

static vt_pkey *gen(vt_key_type t)
{
    vt_pkey *k = NULL;

    assert_int_equal(vt_pkey_generate(&k, t, NULL), VT_OK);
    return k;
}

static const uint8_t ext_der[] = { 0x30, 0x06, 0x04, 0x04, 0xde, 0xad, 0xbe, 0xef };

static int pki_setup(void **state)
{
    pki *p = calloc(1, sizeof(*p));
    vt_x509_ext_spec ext = { .oid = "1.2.840.113741.1.13.1", .der = ext_der, .len = sizeof(ext_der) };
    vt_x509_spec rs = { .subject_cn = "Test Root", .subject_o = "Veritee Test", .serial = 1,
                        .not_before = T0, .not_after = T0 + 86400 * 365, .ca = true, .pathlen = -1 };
    vt_x509_spec ls = { .subject_cn = "Test Leaf", .serial = 0x1a2b3c, .not_before = T0 + 60,
                        .not_after = T0 + 86400, .exts = &ext, .ext_count = 1 };
    vt_x509_spec os = { .subject_cn = "Other", .serial = 0x80, .not_before = T0, .not_after = T0 + 1 };
    vt_err err = { 0 };

    assert_non_null(p);
    p->root_key = gen(VT_KEY_EC_P256);
    p->leaf_key = gen(VT_KEY_EC_P384);
    if (vt_x509_issue(&p->root, &rs, p->root_key, NULL, p->root_key, &err) != VT_OK ||
        vt_x509_issue(&p->leaf, &ls, p->leaf_key, p->root, p->root_key, &err) != VT_OK ||
        vt_x509_issue(&p->other, &os, p->leaf_key, p->root, p->root_key, &err) != VT_OK)
        fail_msg("%s", err.msg);
    *state = p;
    return 0;
}

static int pki_teardown(void **state)
{
    pki *p = *state;

    vt_x509_free(p->root);
    vt_x509_free(p->leaf);
    vt_x509_free(p->other);
    vt_pkey_free(p->root_key);
    vt_pkey_free(p->leaf_key);
    free(p);
    return 0;
}

static void pem_of(vt_buf *b, const vt_x509 *c)
{
    assert_int_equal(vt_x509_to_pem(b, c, NULL), VT_OK);
}

static void same_der(const vt_x509 *a, const vt_x509 *b)
{
    size_t la, lb;
    const uint8_t *da = vt_x509_der(a, &la), *db = vt_x509_der(b, &lb);

    assert_int_equal(la, lb);
    assert_memory_equal(da, db, la);
}

static void free_all(vt_x509 **c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        vt_x509_free(c[i]);
}

static void test_crypto_x509__pem_list_trailing_nul_and_junk(void **state)
{
    pki *p = *state;
    vt_buf b;
    vt_x509 *c[4] = { 0 };
    size_t n = 0;
    vt_err err = { 0 };

    vt_buf_init(&b);
    assert_int_equal(vt_buf_append_str(&b, "subject=CN = Test Leaf\r\n", NULL), VT_OK);
    pem_of(&b, p->leaf);
    assert_int_equal(vt_buf_append_str(&b, "\n# the issuer\njunk -----BEGIN NOTHING-----\n", NULL), VT_OK);
    pem_of(&b, p->root);
    pem_of(&b, p->other);
    assert_int_equal(vt_buf_append_str(&b, "trailing text\n", NULL), VT_OK);
    assert_int_equal(vt_buf_append(&b, "", 1, NULL), VT_OK); /* one trailing NUL */
    if (vt_x509_list_from_pem(c, &n, 4, (const char *)b.data, b.len, &err) != VT_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(n, 3);
    same_der(c[0], p->leaf);
    same_der(c[1], p->root);
    same_der(c[2], p->other);
    free_all(c, n);
    vt_buf_free(&b);
}

static void test_crypto_x509__pem_list_appends_and_limit(void **state)
{
    pki *p = *state;
    vt_buf b;
    vt_x509 *c[3] = { 0 };
    size_t n = 0;
    vt_err err = { 0 };

    vt_buf_init(&b);
    pem_of(&b, p->leaf);
    pem_of(&b, p->root);
    assert_int_equal(vt_x509_list_from_pem(c, &n, 3, (const char *)b.data, b.len, &err), VT_OK);
    assert_int_equal(n, 2);
    /* one more slot, two certificates: limit, and nothing changes */
    assert_int_equal(vt_x509_list_from_pem(c, &n, 3, (const char *)b.data, b.len, &err), VT_E_LIMIT);
    assert_int_equal(n, 2);
    assert_null(c[2]);
    same_der(c[0], p->leaf);
    free_all(c, n);
    vt_buf_free(&b);
}

static void test_crypto_x509__pem_list_broken(void **state)
{
    pki *p = *state;
    static const char *bad[] = {
        "",
        "no certificates here",
        "-----BEGIN CERTIFICATE-----\nMIIB\n",                                  /* no END */
        "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",             /* empty */
        "-----BEGIN CERTIFICATE-----\nMII*\n-----END CERTIFICATE-----\n",       /* bad char */
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",       /* not DER */
        "-----BEGIN CERTIFICATE-----\nMII_\n-----END CERTIFICATE-----\n",       /* url alphabet */
    };
    vt_x509 *c[4] = { 0 };
    size_t n = 0;
    vt_buf b;
    vt_err err = { 0 };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(vt_x509_list_from_pem(c, &n, 4, bad[i], strlen(bad[i]), &err), VT_E_FORMAT);
        assert_int_equal(n, 0);
    }
    /* a good block then a broken one: the good one is released, count unchanged */
    vt_buf_init(&b);
    pem_of(&b, p->leaf);
    assert_int_equal(vt_buf_append_str(&b, bad[5], NULL), VT_OK);
    assert_int_equal(vt_x509_list_from_pem(c, &n, 4, (const char *)b.data, b.len, &err), VT_E_FORMAT);
    assert_int_equal(n, 0);
    assert_null(c[0]);
    /* a NUL inside the text (not the last byte) */
    b.len = 0;
    pem_of(&b, p->leaf);
    b.data[10] = '\0';
    assert_int_equal(vt_x509_list_from_pem(c, &n, 4, (const char *)b.data, b.len, &err), VT_E_FORMAT);
    /* two trailing NULs: only one is tolerated */
    b.len = 0;
    pem_of(&b, p->leaf);
    assert_int_equal(vt_buf_append(&b, "\0\0", 2, NULL), VT_OK);
    assert_int_equal(vt_x509_list_from_pem(c, &n, 4, (const char *)b.data, b.len, &err), VT_E_FORMAT);
    assert_int_equal(n, 0);
    vt_buf_free(&b);
}

static void test_crypto_x509__der_truncations_and_trailing(void **state)
{
    pki *p = *state;
    size_t len;
    const uint8_t *der = vt_x509_der(p->leaf, &len);
    uint8_t *copy = malloc(len + 1);
    vt_x509 *c = NULL;
    vt_err err = { 0 };

    assert_non_null(copy);
    memcpy(copy, der, len);
    for (size_t n = 0; n < len; n++) {
        assert_int_not_equal(vt_x509_from_der(&c, copy, n, &err), VT_OK);
        assert_null(c);
    }
    copy[len] = 0;
    assert_int_equal(vt_x509_from_der(&c, copy, len + 1, &err), VT_E_FORMAT);
    assert_non_null(strstr(err.msg, "trailing"));
    assert_int_equal(vt_x509_from_der(&c, copy, len, &err), VT_OK);
    same_der(c, p->leaf);
    vt_x509_free(c);
    free(copy);
}

/* BER long-form length for the outer SEQUENCE is not DER: refused. */
static void test_crypto_x509__der_non_canonical(void **state)
{
    pki *p = *state;
    size_t len;
    const uint8_t *der = vt_x509_der(p->leaf, &len);
    uint8_t *copy = malloc(len + 1);
    vt_x509 *c = NULL;
    vt_err err = { 0 };

    assert_non_null(copy);
    assert_int_equal(der[0], 0x30);
    assert_true(der[1] == 0x82 || der[1] == 0x81);
    if (der[1] == 0x82) { /* 30 82 hi lo -> 30 83 00 hi lo */
        copy[0] = 0x30;
        copy[1] = 0x83;
        copy[2] = 0x00;
        memcpy(copy + 3, der + 2, len - 2);
    } else {              /* 30 81 n -> 30 82 00 n */
        copy[0] = 0x30;
        copy[1] = 0x82;
        copy[2] = 0x00;
        memcpy(copy + 3, der + 2, len - 2);
    }
    assert_int_equal(vt_x509_from_der(&c, copy, len + 1, &err), VT_E_FORMAT);
    assert_null(c);
    free(copy);
}

static void test_crypto_x509__accessors(void **state)
{
    pki *p = *state;
    char s[256], tiny[5];
    uint8_t fp[32], want[32];
    size_t len;
    const uint8_t *der;
    vt_time nb, na;

    vt_x509_subject(p->root, s, sizeof(s));
    assert_string_equal(s, "O=Veritee Test,CN=Test Root");
    vt_x509_subject(p->leaf, s, sizeof(s));
    assert_string_equal(s, "CN=Test Leaf");
    vt_x509_issuer(p->leaf, s, sizeof(s));
    assert_string_equal(s, "O=Veritee Test,CN=Test Root");
    vt_x509_subject_cn(p->root, s, sizeof(s));
    assert_string_equal(s, "Test Root");
    vt_x509_subject_cn(p->root, tiny, sizeof(tiny));
    assert_string_equal(tiny, "Test");
    vt_x509_subject(p->root, tiny, sizeof(tiny));
    assert_string_equal(tiny, "O=Ve");
    vt_x509_serial_hex(p->leaf, s, sizeof(s));
    assert_string_equal(s, "1a2b3c");
    vt_x509_serial_hex(p->other, s, sizeof(s));
    assert_string_equal(s, "80");
    vt_x509_serial_hex(p->leaf, tiny, sizeof(tiny));
    assert_string_equal(tiny, "1a2b");
    vt_x509_validity(p->leaf, &nb, &na);
    assert_int_equal(nb, T0 + 60);
    assert_int_equal(na, T0 + 86400);
    der = vt_x509_der(p->leaf, &len);
    assert_int_equal(vt_digest(VT_MD_SHA256, der, len, want, NULL), VT_OK);
    vt_x509_fingerprint(p->leaf, fp);
    assert_memory_equal(fp, want, 32);
}

static void test_crypto_x509__pubkey(void **state)
{
    pki *p = *state;
    vt_pkey *k = NULL;
    vt_buf a, b;

    vt_buf_init(&a);
    vt_buf_init(&b);
    assert_int_equal(vt_x509_pubkey(&k, p->leaf, NULL), VT_OK);
    assert_int_equal(vt_pkey_type(k), VT_KEY_EC_P384);
    assert_int_equal(vt_pkey_public_raw(&a, k, NULL), VT_OK);
    assert_int_equal(vt_pkey_public_raw(&b, p->leaf_key, NULL), VT_OK);
    assert_int_equal(a.len, 96);
    assert_memory_equal(a.data, b.data, 96);
    vt_pkey_free(k);
    vt_buf_free(&a);
    vt_buf_free(&b);
}

static void test_crypto_x509__extension_by_oid(void **state)
{
    pki *p = *state;
    const uint8_t *v = NULL;
    size_t len = 0;
    vt_err err = { 0 };

    assert_int_equal(vt_x509_ext(p->leaf, "1.2.840.113741.1.13.1", &v, &len, &err), VT_OK);
    assert_int_equal(len, sizeof(ext_der));
    assert_memory_equal(v, ext_der, len);
    /* basicConstraints of a leaf: SEQUENCE {} */
    assert_int_equal(vt_x509_ext(p->leaf, "2.5.29.19", &v, &len, &err), VT_OK);
    assert_int_equal(len, 2);
    assert_int_equal(v[0], 0x30);
    assert_int_equal(vt_x509_ext(p->root, "1.2.840.113741.1.13.1", &v, &len, &err), VT_E_NOTFOUND);
    assert_null(v);
    assert_int_equal(len, 0);
    assert_non_null(strstr(err.msg, "absent"));
    assert_int_equal(vt_x509_ext(p->leaf, "basicConstraints", &v, &len, &err), VT_E_ARG);
    assert_int_equal(vt_x509_ext(p->leaf, "not an oid", &v, &len, &err), VT_E_ARG);
}

static void test_crypto_x509__references(void **state)
{
    pki *p = *state;
    vt_x509 *r = vt_x509_ref(p->leaf);
    char cn[64];

    assert_ptr_equal(r, p->leaf);
    vt_x509_free(r);
    vt_x509_subject_cn(p->leaf, cn, sizeof(cn)); /* still alive */
    assert_string_equal(cn, "Test Leaf");
    assert_null(vt_x509_ref(NULL));
    vt_x509_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crypto_x509__pem_list_trailing_nul_and_junk),
        cmocka_unit_test(test_crypto_x509__pem_list_appends_and_limit),
        cmocka_unit_test(test_crypto_x509__pem_list_broken),
        cmocka_unit_test(test_crypto_x509__der_truncations_and_trailing),
        cmocka_unit_test(test_crypto_x509__der_non_canonical),
        cmocka_unit_test(test_crypto_x509__accessors),
        cmocka_unit_test(test_crypto_x509__pubkey),
        cmocka_unit_test(test_crypto_x509__extension_by_oid),
        cmocka_unit_test(test_crypto_x509__references),
    };
    return cmocka_run_group_tests(tests, pki_setup, pki_teardown);
}
