/* Nitro plugin against the real attestation documents in $VERITEE_VECTORS/nitro:
 * every sample at its MANIFEST time gives the stated outcome; expiry, a foreign
 * root, tag 18, nonce binding and the chain cache. */
#include "test_nitro_util.h"

#include <cbor.h>

#include "tee/cache.h"
#include "tee/nitro_doc.h"

static void hex_of(char *out, const vt_claim *c)
{
    assert_non_null(c);
    vt_hex_encode(out, c->value, c->len);
}

static void test_tee_nitro_vectors__every_sample_as_manifest(void **state)
{
    (void)state;
    for (size_t i = 0; i < NITRO_SAMPLES; i++) {
        const nitro_sample *s = &nitro_samples[i];
        vt_buf b = { 0 };
        vt_result *r = calloc(1, sizeof(*r));

        assert_non_null(r);
        vt_test_load(&b, s->file);
        assert_int_equal(vt_evidence_probe(b.data, b.len), VT_TEE_NITRO);
        assert_int_equal(nitro_test_run(r, b.data, b.len, vt_test_time(s->at), NULL, false), VT_OK);
        fprintf(stderr, "%s: %s, %zu errors\n", s->file, vt_verdict_name(r->verdict), r->error_count);
        assert_true(r->signature_valid);
        assert_true(r->chain_valid);
        assert_true(r->collateral_verified);
        assert_true(r->claims.hardware_attested);
        assert_string_equal(r->claims.tcb_status, "NotApplicable"); /* Nitro has no versioned TCB */
        assert_int_equal(r->claims.platform, VT_TEE_NITRO);
        assert_int_equal(r->claims.debug, s->debug);
        if (s->debug) {
            /* Debug is the only reason for rejection; allowing it gives a warning. */
            assert_false(r->valid);
            assert_int_equal(r->error_count, 1);
            assert_string_equal(r->errors[0].check, "debug");
            assert_int_equal(nitro_test_run(r, b.data, b.len, vt_test_time(s->at), NULL, true), VT_OK);
            assert_true(r->valid);
            assert_int_equal(r->verdict, VT_VERDICT_WARNING);
        } else {
            assert_true(r->valid);
            assert_int_equal(r->verdict, VT_VERDICT_AFFIRMING);
            assert_int_equal(r->error_count, 0);
            assert_int_equal(r->warning_count, 0);
        }
        vt_buf_free(&b);
        free(r);
    }
}

static void test_tee_nitro_vectors__key_fields(void **state)
{
    vt_buf b = { 0 };
    vt_result *r = calloc(1, sizeof(*r));
    char hex[129];
    const vt_claim *c;

    (void)state;
    assert_non_null(r);
    vt_test_load(&b, "nitro/nitrite-prod-maxsize.cbor");
    assert_int_equal(nitro_test_run(r, b.data, b.len, vt_test_time("2024-09-07T14:37:39Z"), NULL, false), VT_OK);
    hex_of(hex, vt_claims_get(&r->claims, "pcr0"));
    assert_string_equal(hex, "e72a46ca80a260fb044a125442f0c7e331813bcbaf9724d9f3857758992766f2d65710a27aa94ae3949dd54e7c9fe86a");
    hex_of(hex, vt_claims_get(&r->claims, "pcr4"));
    assert_string_equal(hex, "45706d7b621e4620a332e147a5ddb000b049f73d47d3e61f6b03d2069152d4df6a4a786ad1c10102b955799a9dc96b44");
    c = vt_claims_get(&r->claims, "module_id");
    assert_non_null(c);
    assert_true(c->text);
    assert_int_equal(c->len, strlen("i-0a22e5c5f24d22174-enc0191cceb4289903f"));
    assert_memory_equal(c->value, "i-0a22e5c5f24d22174-enc0191cceb4289903f", c->len);
    c = vt_claims_get(&r->claims, "digest");
    assert_non_null(c);
    assert_true(c->text);
    assert_memory_equal(c->value, "SHA384", c->len);
    {
        char *json = NULL;
        assert_int_equal(vt_claims_to_json(&json, &r->claims, NULL), VT_OK);
        assert_non_null(strstr(json, "\"module_id\": \"i-0a22e5c5f24d22174-enc0191cceb4289903f\""));
        assert_non_null(strstr(json, "\"digest\": \"SHA384\""));
        free(json);
    }
    /* module_id is a claim, not a signer (it used to appear twice). */
    for (size_t i = 0; i < r->claims.signer_count; i++)
        assert_string_not_equal(r->claims.signers[i].role, "module_id");
    hex_of(hex, vt_claims_get(&r->claims, "timestamp"));
    assert_string_equal(hex, "00000191cceb5159"); /* 1725719859545 ms */
    /* 1024-byte fields become SHA-256 claims; a 1024-byte nonce cannot be report_data. */
    assert_non_null(vt_claims_get(&r->claims, "nonce_sha256"));
    assert_non_null(vt_claims_get(&r->claims, "public_key_sha256"));
    assert_non_null(vt_claims_get(&r->claims, "user_data_sha256"));
    assert_null(vt_claims_get(&r->claims, "nonce"));
    for (size_t i = 0; i < VT_REPORT_DATA_LEN; i++)
        assert_int_equal(r->claims.report_data[i], 0);
    assert_int_equal(r->claims.not_before, vt_test_time("2024-09-07T14:37:36Z"));
    assert_int_equal(r->claims.not_after, vt_test_time("2024-09-07T17:37:39Z"));
    vt_buf_free(&b);

    /* sparsity-2: no public_key (null), 290-byte user_data, 32-byte nonce. */
    vt_test_load(&b, "nitro/sparsity-attestation-2.cbor");
    assert_int_equal(nitro_test_run(r, b.data, b.len, vt_test_time("2023-09-28T11:08:27Z"), NULL, false), VT_OK);
    assert_null(vt_claims_get(&r->claims, "public_key"));
    assert_null(vt_claims_get(&r->claims, "public_key_sha256"));
    assert_non_null(vt_claims_get(&r->claims, "user_data_sha256"));
    hex_of(hex, vt_claims_get(&r->claims, "nonce"));
    assert_string_equal(hex, "6537623463376537376339663639666136663032643363383737393666353431");
    assert_memory_equal(r->claims.report_data, vt_claims_get(&r->claims, "nonce")->value, 32);
    vt_buf_free(&b);
    free(r);
}

static void test_tee_nitro_vectors__report_data_is_nonce(void **state)
{
    vt_buf b = { 0 };
    vt_result *r = calloc(1, sizeof(*r));
    vt_verify_opts o;
    static const uint8_t nonce[4] = { 0x31, 0x32, 0x33, 0x34 };
    static const uint8_t wrong[4] = { 0x31, 0x32, 0x33, 0x35 };

    (void)state;
    assert_non_null(r);
    vt_test_load(&b, "nitro/sparsity-attestation-1.cbor");
    memset(&o, 0, sizeof(o));
    o.now = vt_test_time("2024-08-16T09:11:49Z");
    o.allow_debug = true;
    o.expected_report_data = nonce;
    o.expected_report_data_len = sizeof(nonce);
    assert_int_equal(vt_evidence_verify(r, b.data, b.len, &o, NULL), VT_OK);
    assert_true(r->valid);
    o.expected_report_data = wrong;
    assert_int_equal(vt_evidence_verify(r, b.data, b.len, &o, NULL), VT_OK);
    assert_false(r->valid);
    assert_true(nitro_test_has(r->errors, r->error_count, "report_data"));
    vt_buf_free(&b);
    free(r);
}

static void test_tee_nitro_vectors__after_leaf_expiry(void **state)
{
    (void)state;
    for (size_t i = 0; i < NITRO_SAMPLES; i++) {
        vt_buf b = { 0 };
        vt_result *r = calloc(1, sizeof(*r));

        assert_non_null(r);
        vt_test_load(&b, nitro_samples[i].file);
        /* The leaf lives ~3 h: 4 h later the chain is expired; 1 h before, not yet valid. */
        assert_int_equal(nitro_test_run(r, b.data, b.len, vt_test_time(nitro_samples[i].at) + 4 * 3600, NULL, true),
                         VT_OK);
        assert_false(r->valid);
        assert_false(r->chain_valid);
        assert_false(r->claims.hardware_attested);
        assert_true(nitro_test_has(r->errors, r->error_count, "cert_chain"));
        assert_non_null(strstr(r->errors[0].msg, "expired"));
        assert_int_equal(nitro_test_run(r, b.data, b.len, vt_test_time(nitro_samples[i].at) - 3600, NULL, true),
                         VT_OK);
        assert_false(r->valid);
        assert_true(nitro_test_has(r->errors, r->error_count, "cert_chain"));
        vt_buf_free(&b);
        free(r);
    }
}

/* Re-encodes the document with cabundle replaced by `bundle` (n DER blobs);
 * the signature stays the original one. */
static void rewrite_cabundle(vt_buf *out, const vt_buf *doc, const vt_buf *bundle, size_t n)
{
    struct cbor_load_result lr;
    cbor_item_t *cose, *payload, *newpayload, *arr, *newcose;
    cbor_item_t **items;
    struct cbor_pair *pairs;
    unsigned char *buf = NULL;
    size_t buf_size = 0, len;

    cose = cbor_load(doc->data, doc->len, &lr);
    assert_non_null(cose);
    items = cbor_array_handle(cose);
    payload = cbor_load(cbor_bytestring_handle(items[2]), cbor_bytestring_length(items[2]), &lr);
    assert_non_null(payload);
    pairs = cbor_map_handle(payload);
    newpayload = cbor_new_definite_map(cbor_map_size(payload));
    for (size_t i = 0; i < cbor_map_size(payload); i++) {
        struct cbor_pair pr = { .key = pairs[i].key, .value = pairs[i].value };
        bool is_bundle = cbor_string_length(pairs[i].key) == 8 &&
                         memcmp(cbor_string_handle(pairs[i].key), "cabundle", 8) == 0;

        if (is_bundle) {
            arr = cbor_new_definite_array(n);
            for (size_t k = 0; k < n; k++)
                assert_true(cbor_array_push(arr, cbor_move(cbor_build_bytestring(bundle[k].data, bundle[k].len))));
            pr.value = arr;
        }
        assert_true(cbor_map_add(newpayload, pr));
        if (is_bundle)
            cbor_decref(&arr);
    }
    len = cbor_serialize_alloc(newpayload, &buf, &buf_size);
    assert_true(len > 0);
    newcose = cbor_new_definite_array(4);
    assert_true(cbor_array_push(newcose, items[0]));
    assert_true(cbor_array_push(newcose, items[1]));
    assert_true(cbor_array_push(newcose, cbor_move(cbor_build_bytestring(buf, len))));
    assert_true(cbor_array_push(newcose, items[3]));
    free(buf);
    buf = NULL;
    len = cbor_serialize_alloc(newcose, &buf, &buf_size);
    assert_true(len > 0);
    vt_buf_init(out);
    assert_int_equal(vt_buf_append(out, buf, len, NULL), VT_OK);
    free(buf);
    cbor_decref(&newcose);
    cbor_decref(&newpayload);
    cbor_decref(&payload);
    cbor_decref(&cose);
}

static void test_tee_nitro_vectors__foreign_root_rejected(void **state)
{
    vt_buf doc = { 0 }, bad = { 0 }, pem = { 0 };
    vt_buf bundle[4];
    vt__nitro_doc *d = calloc(1, sizeof(*d));
    vt_result *r = calloc(1, sizeof(*r));
    vt_x509 *intel[1] = { NULL };
    size_t n = 0, dl = 0;
    const uint8_t *der;
    vt_time at = vt_test_time("2023-09-28T11:08:27Z");

    (void)state;
    assert_non_null(d);
    assert_non_null(r);
    vt_test_load(&doc, "nitro/sparsity-attestation-2.cbor");
    assert_int_equal(vt__nitro_doc_parse(d, doc.data, doc.len, NULL), VT_OK);
    assert_int_equal(d->cabundle_count, 4);
    for (size_t i = 0; i < 4; i++) {
        vt_buf_init(&bundle[i]);
        assert_int_equal(vt_buf_append(&bundle[i], d->cabundle[i].der, d->cabundle[i].len, NULL), VT_OK);
    }
    /* Re-encoding unchanged still verifies: the helper itself is sound. */
    rewrite_cabundle(&bad, &doc, bundle, 4);
    assert_int_equal(nitro_test_run(r, bad.data, bad.len, at, NULL, false), VT_OK);
    assert_true(r->valid);
    vt_buf_free(&bad);

    /* cabundle[0] = another vendor's root (Intel SGX Root CA). */
    vt_test_load(&pem, "roots/intel_sgx_root_ca.pem");
    assert_int_equal(vt_x509_list_from_pem(intel, &n, 1, (const char *)pem.data, pem.len, NULL), VT_OK);
    der = vt_x509_der(intel[0], &dl);
    vt_buf_free(&bundle[0]);
    vt_buf_init(&bundle[0]);
    assert_int_equal(vt_buf_append(&bundle[0], der, dl, NULL), VT_OK);
    rewrite_cabundle(&bad, &doc, bundle, 4);
    assert_int_equal(nitro_test_run(r, bad.data, bad.len, at, NULL, false), VT_OK);
    assert_false(r->valid);
    assert_false(r->chain_valid);
    assert_false(r->claims.hardware_attested);
    assert_string_equal(r->claims.tcb_status, "unknown");
    assert_true(nitro_test_has(r->errors, r->error_count, "cert_chain"));
    assert_non_null(strstr(r->errors[0].msg, "cabundle[0]"));
    vt_buf_free(&bad);

    /* Root left out: cabundle starts at the first intermediate. */
    rewrite_cabundle(&bad, &doc, &bundle[1], 3);
    assert_int_equal(nitro_test_run(r, bad.data, bad.len, at, NULL, false), VT_OK);
    assert_false(r->valid);
    assert_true(nitro_test_has(r->errors, r->error_count, "cert_chain"));
    vt_buf_free(&bad);

    for (size_t i = 0; i < 4; i++)
        vt_buf_free(&bundle[i]);
    vt_x509_free(intel[0]);
    vt_buf_free(&pem);
    vt_buf_free(&doc);
    free(d);
    free(r);
}

static void test_tee_nitro_vectors__tag18_accepted(void **state)
{
    vt_buf doc = { 0 }, tagged = { 0 };
    vt_result *r = calloc(1, sizeof(*r));
    static const uint8_t tag = 0xd2, tag19 = 0xd3;

    (void)state;
    assert_non_null(r);
    vt_test_load(&doc, "nitro/sparsity-attestation-2.cbor");
    assert_int_equal(vt_buf_append(&tagged, &tag, 1, NULL), VT_OK);
    assert_int_equal(vt_buf_append(&tagged, doc.data, doc.len, NULL), VT_OK);
    assert_int_equal(vt_evidence_probe(tagged.data, tagged.len), VT_TEE_NITRO);
    assert_int_equal(nitro_test_run(r, tagged.data, tagged.len, vt_test_time("2023-09-28T11:08:27Z"), NULL, false),
                     VT_OK);
    assert_true(r->valid);
    tagged.data[0] = tag19;
    assert_int_equal(nitro_test_run(r, tagged.data, tagged.len, vt_test_time("2023-09-28T11:08:27Z"), NULL, false),
                     VT_E_FORMAT);
    assert_false(r->valid);
    vt_buf_free(&tagged);
    vt_buf_free(&doc);
    free(r);
}

static void test_tee_nitro_vectors__chain_cached(void **state)
{
    vt_buf doc = { 0 };
    vt_result *r = calloc(1, sizeof(*r));
    vt_verify_cache *cache = NULL;
    vt_time at = vt_test_time("2024-09-07T14:37:39Z");

    (void)state;
    assert_non_null(r);
    assert_int_equal(vt_verify_cache_new(&cache, NULL), VT_OK);
    vt_test_load(&doc, "nitro/nitrite-prod-maxsize.cbor");
    assert_int_equal(nitro_test_run(r, doc.data, doc.len, at, cache, false), VT_OK);
    assert_true(r->valid);
    assert_int_equal(vt__cache_count(cache), 1);
    assert_int_equal(nitro_test_run(r, doc.data, doc.len, at, cache, false), VT_OK);
    assert_true(r->valid);
    assert_int_equal(vt__cache_count(cache), 1);
    /* The cached chain does not outlive its window. */
    assert_int_equal(nitro_test_run(r, doc.data, doc.len, at + 4 * 3600, cache, false), VT_OK);
    assert_false(r->valid);
    assert_true(nitro_test_has(r->errors, r->error_count, "cert_chain"));
    /* A flipped signature is caught on the cached path too. */
    doc.data[doc.len - 1] ^= 1;
    assert_int_equal(nitro_test_run(r, doc.data, doc.len, at, cache, false), VT_OK);
    assert_false(r->valid);
    assert_true(nitro_test_has(r->errors, r->error_count, "doc_signature"));
    vt_verify_cache_free(cache);
    vt_buf_free(&doc);
    free(r);
}

static void test_tee_nitro_vectors__inspect(void **state)
{
    vt_buf doc = { 0 };
    char *json = NULL;

    (void)state;
    vt_test_load(&doc, "nitro/sparsity-attestation-2.cbor");
    assert_int_equal(vt_evidence_inspect(&json, VT_TEE_NONE, doc.data, doc.len, NULL), VT_OK);
    assert_non_null(strstr(json, "\"module_id\": \"i-015531f954c54297c-enc018adb700a324d32\""));
    assert_non_null(strstr(json, "\"public_key\": null"));
    assert_non_null(strstr(json, "ca78fbe0b97bbfe1895dd713639dffcbdd21da5c7e05b8d90fe57a4e122414edc0f677d673df31fee1c16a7b34c16f36"));
    assert_non_null(strstr(json, "CN=aws.nitro-enclaves"));
    free(json);
    vt_buf_free(&doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tee_nitro_vectors__every_sample_as_manifest),
        cmocka_unit_test(test_tee_nitro_vectors__key_fields),
        cmocka_unit_test(test_tee_nitro_vectors__report_data_is_nonce),
        cmocka_unit_test(test_tee_nitro_vectors__after_leaf_expiry),
        cmocka_unit_test(test_tee_nitro_vectors__foreign_root_rejected),
        cmocka_unit_test(test_tee_nitro_vectors__tag18_accepted),
        cmocka_unit_test(test_tee_nitro_vectors__chain_cached),
        cmocka_unit_test(test_tee_nitro_vectors__inspect),
    };

    vt_test_require_vectors();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
