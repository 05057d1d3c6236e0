/* TDX plugin against the real quotes and Intel collateral in $VERITEE_VECTORS:
 * every sample x collateral set at its stated time gives the MANIFEST outcome. */
#include "test_tdx_util.h"

#include <time.h>

#include "tee/cache.h"

typedef struct sample {
    const char *dir;      /* tdx/<dir>/quote.bin */
    const char *coll;     /* collateral subdirectory or NULL */
    const char *at;       /* verification time */
    const char *status;   /* expected claims.tcb_status */
    size_t advisories;    /* expected advisory count, or (size_t)-1 to skip */
    bool tcb_error;       /* a "tcb_status" error (no match / revoked) */
    bool tcb_warning;     /* a "tcb_status" warning */
    bool debug;
    uint32_t version;
    const char *fmspc;
} sample;

static const sample samples[] = {
    { "gotdx-spr-e4-v4", "collateral-2023-06-gotdx", "2023-07-01T01:00:00Z", "NoMatchingTcbLevel", (size_t)-1, true,
      false, false, 4, "50806f000000" },
    { "gotdx-spr-e4-v4", "collateral-2026-03-lunal", "2026-04-01T00:00:00Z", "NoMatchingTcbLevel", (size_t)-1, true,
      false, false, 4, "50806f000000" },
    { "gotdx-v5-tdx15", "collateral-2026-03-lunal", "2026-04-01T00:00:00Z", "UpToDate", 0, false, false, false, 5,
      "90c06f000000" },
    { "gotdx-cos113-gce", NULL, "2026-06-01T00:00:00Z", "unknown", 0, false, false, false, 4, "00806f050000" },
    { "trustee-quote4-debug", "collateral-2023-06-gotdx", "2023-07-01T01:00:00Z", "UpToDate", 0, false, false, true,
      4, "50806f000000" },
    { "trustee-quote4-debug", "collateral-2026-03-lunal", "2026-04-01T00:00:00Z", "OutOfDate", 11, false, true, true,
      4, "50806f000000" },
    { "trustee-quote5-v5", "collateral-2026-03-lunal", "2026-04-01T00:00:00Z", "NoMatchingTcbLevel", (size_t)-1, true,
      false, false, 5, "90c06f000000" },
    { "trustee-quote6-00a06d", "collateral-2025-10-trustee", "2025-11-01T00:00:00Z", "OutOfDate", (size_t)-1, false,
      true, false, 4, "00a06d080000" },
    { "trustee-quote6-00a06d", "collateral-2026-01-tinfoil", "2026-02-01T00:00:00Z", "OutOfDate", (size_t)-1, false,
      true, false, 4, "00a06d080000" },
};

static void load_quote(vt_buf *q, const char *dir)
{
    char rel[256];

    snprintf(rel, sizeof(rel), "tdx/%s/quote.bin", dir);
    vt_test_load(q, rel);
}

static vt_collateral *load_coll(const char *dir, const char *coll)
{
    char rel[256];

    if (coll == NULL)
        return NULL;
    snprintf(rel, sizeof(rel), "tdx/%s/%s", dir, coll);
    return tdx_test_coll(rel);
}

static void check_sample(const sample *s, vt_verify_cache *cache)
{
    vt_buf q = { 0 };
    vt_collateral *c = load_coll(s->dir, s->coll);
    vt_x509 *root = tdx_test_intel_root();
    vt_result *r = calloc(1, sizeof(*r));
    const vt_claim *cl;
    char hex[129];

    assert_non_null(r);
    load_quote(&q, s->dir);
    assert_int_equal(tdx_test_run(r, q.data, q.len, c, vt_test_time(s->at), &root, 1, 1, cache), VT_OK);
    fprintf(stderr, "%s + %s: tcb_status %s, %zu advisories\n", s->dir, s->coll ? s->coll : "-", r->claims.tcb_status,
            r->claims.advisory_count);
    tdx_test_dump(r);
    assert_true(r->signature_valid);
    assert_true(r->chain_valid);
    assert_true(r->claims.hardware_attested);
    assert_int_equal(r->claims.platform, VT_TEE_TDX);
    assert_int_equal(r->claims.version, s->version);
    assert_int_equal(r->claims.debug, s->debug);
    assert_string_equal(r->claims.tcb_status, s->status);
    assert_int_equal(r->collateral_verified, s->coll != NULL);
    if (s->advisories != (size_t)-1)
        assert_int_equal(r->claims.advisory_count, s->advisories);
    assert_int_equal(tdx_has_error(r, "tcb_status"), s->tcb_error);
    assert_int_equal(tdx_has_warning(r, "tcb_status"), s->tcb_warning);
    /* nothing else is wrong with any of them; the 2025-10 set has no CRLs */
    assert_int_equal(r->error_count, s->tcb_error ? 1 : 0);
    assert_int_equal(tdx_has_warning(r, "revocation"), s->coll != NULL && strstr(s->coll, "2025-10") != NULL);
    assert_int_equal(r->warning_count, (s->tcb_warning ? 1u : 0u) + (tdx_has_warning(r, "revocation") ? 1u : 0u));
    cl = vt_claims_get(&r->claims, "fmspc");
    assert_non_null(cl);
    vt_hex_encode(hex, cl->value, cl->len);
    assert_string_equal(hex, s->fmspc);
    assert_non_null(vt_claims_get(&r->claims, "mrtd"));
    assert_non_null(vt_claims_get(&r->claims, "rtmr3"));
    assert_non_null(vt_claims_get(&r->claims, "qe_mrsigner"));
    assert_int_equal(vt_claims_get(&r->claims, "mrservicetd") != NULL, s->version == 5);
    assert_true(r->claims.signer_count >= 2);
    assert_string_equal(r->claims.signers[0].role, "pck");
    assert_non_null(strstr(r->claims.signers[0].value, "Intel SGX PCK Certificate"));
    assert_string_equal(r->claims.signers[1].role, "qe");
    assert_string_equal(r->claims.signers[1].value, "dc9e2a7c6f948f17474e34a7fc43ed030f7c1563f1babddf6340c82e0e54a8c5");
    if (s->coll != NULL) {
        assert_int_equal(r->claims.signer_count, 3);
        assert_string_equal(r->claims.signers[2].role, "tcb_signer");
        assert_non_null(strstr(r->claims.signers[2].value, "Intel SGX TCB Signing"));
    }
    assert_true(r->claims.not_before <= vt_test_time(s->at));
    assert_true(r->claims.not_after >= vt_test_time(s->at));
    free(r);
    vt_collateral_free(c);
    vt_buf_free(&q);
}

static void test_tee_tdx__manifest_outcomes(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++)
        check_sample(&samples[i], NULL);
}

static void test_tee_tdx__manifest_outcomes_cached(void **state)
{
    vt_verify_cache *cache = NULL;

    (void)state;
    assert_int_equal(vt_verify_cache_new(&cache, NULL), VT_OK);
    /* twice each: the second pass is served from the cache and must agree */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++)
            check_sample(&samples[i], cache);
    assert_true(vt__cache_count(cache) > 0);
    vt_verify_cache_free(cache);
}

static void test_tee_tdx__claims_match_manifest(void **state)
{
    vt_buf q = { 0 };
    vt_x509 *root = tdx_test_intel_root();
    vt_result *r = calloc(1, sizeof(*r));
    const vt_claim *cl;
    char hex[129];

    (void)state;
    load_quote(&q, "gotdx-v5-tdx15");
    assert_int_equal(tdx_test_run(r, q.data, q.len, NULL, vt_test_time("2026-04-01T00:00:00Z"), &root, 1, 1, NULL),
                     VT_OK);
    cl = vt_claims_get(&r->claims, "mrtd");
    vt_hex_encode(hex, cl->value, cl->len);
    assert_string_equal(hex, "7348651a34b2d2d3462822e3a750ec6110125f36757c78480bbfc69cc0d21fb001a1ced3ee19747dda8f750c3bc8f876");
    cl = vt_claims_get(&r->claims, "tee_tcb_svn");
    vt_hex_encode(hex, cl->value, cl->len);
    assert_string_equal(hex, "0b010400000000000000000000000000");
    cl = vt_claims_get(&r->claims, "tee_tcb_svn2");
    vt_hex_encode(hex, cl->value, cl->len);
    assert_string_equal(hex, "0d010400000000000000000000000000");
    cl = vt_claims_get(&r->claims, "td_attributes");
    vt_hex_encode(hex, cl->value, cl->len);
    assert_string_equal(hex, "0000001000000000");
    cl = vt_claims_get(&r->claims, "xfam");
    vt_hex_encode(hex, cl->value, cl->len);
    assert_string_equal(hex, "e702060000000000");
    cl = vt_claims_get(&r->claims, "qe_mrenclave");
    vt_hex_encode(hex, cl->value, cl->len);
    assert_string_equal(hex, "b7ae9ab69e76f7794a56b0db1915281d435d488c91d406ed33a7939caf8730f8");
    cl = vt_claims_get(&r->claims, "pceid");
    assert_int_equal(cl->len, 2);
    vt_hex_encode(hex, r->claims.report_data, 64);
    assert_string_equal(hex, "945eaacf5abc1f719d8666a942fda03d1edcb4490277396093dc5a5289ab9f1e094aed63060cd4a4933a4dd537ed1255c9c79ecb3ed82cd1b486233e31c25c3a");
    /* no collateral: status unknown, nothing failed, window = PCK chain */
    assert_string_equal(r->claims.tcb_status, "unknown");
    assert_false(r->collateral_verified);
    assert_int_equal(r->error_count, 0);
    assert_int_equal(r->claims.not_before, vt_test_time("2026-01-27T14:36:27Z"));
    free(r);
    vt_buf_free(&q);
}

static void test_tee_tdx__before_pck_not_before(void **state)
{
    vt_buf q = { 0 };
    vt_x509 *root = tdx_test_intel_root();
    vt_result *r = calloc(1, sizeof(*r));

    (void)state;
    load_quote(&q, "gotdx-v5-tdx15"); /* PCK valid from 2026-01-27T14:36:27Z */
    assert_int_equal(tdx_test_run(r, q.data, q.len, NULL, vt_test_time("2026-01-27T14:36:26Z"), &root, 1, 1, NULL),
                     VT_OK);
    tdx_test_dump(r);
    assert_false(r->chain_valid);
    assert_false(r->claims.hardware_attested);
    assert_true(tdx_has_error(r, "pck_chain"));
    free(r);
    vt_buf_free(&q);
}

static void test_tee_tdx__after_collateral_next_update(void **state)
{
    vt_buf q = { 0 };
    vt_collateral *c = load_coll("gotdx-v5-tdx15", "collateral-2026-03-lunal");
    vt_x509 *root = tdx_test_intel_root();
    vt_result *r = calloc(1, sizeof(*r));
    vt_verify_cache *cache = NULL;

    (void)state;
    assert_int_equal(vt_verify_cache_new(&cache, NULL), VT_OK);
    load_quote(&q, "gotdx-v5-tdx15");
    /* fill the cache inside the window, then ask after nextUpdate (2026-04-15T22:06:09Z) */
    assert_int_equal(tdx_test_run(r, q.data, q.len, c, vt_test_time("2026-04-01T00:00:00Z"), &root, 1, 1, cache),
                     VT_OK);
    assert_true(r->collateral_verified);
    assert_int_equal(tdx_test_run(r, q.data, q.len, c, vt_test_time("2026-04-16T00:00:00Z"), &root, 1, 1, cache),
                     VT_OK);
    tdx_test_dump(r);
    /* the PCK CRL (nextUpdate 2026-04-15T22:34:05Z) is stale too: the chain cannot be checked for revocation */
    assert_false(r->chain_valid);
    assert_true(tdx_has_error(r, "pck_chain"));
    assert_false(r->collateral_verified);
    assert_string_equal(r->claims.tcb_status, "unknown");
    assert_true(tdx_has_error(r, "tcb_info"));
    assert_true(tdx_has_error(r, "qe_identity"));
    free(r);
    vt_collateral_free(c);
    vt_buf_free(&q);
    vt_verify_cache_free(cache);
}

static void test_tee_tdx__expired_tcb_info_named(void **state)
{
    vt_buf q = { 0 };
    vt_collateral *src = load_coll("trustee-quote6-00a06d", "collateral-2025-10-trustee"), *c = NULL;
    vt_x509 *root = tdx_test_intel_root();
    vt_result *r = calloc(1, sizeof(*r));

    (void)state;
    load_quote(&q, "trustee-quote6-00a06d");
    /* this set has no CRLs, so only the JSON windows can expire: tcb_info at 2025-11-26T13:07:17Z,
     * qe_identity at 2025-11-27T06:45:09Z */
    (void)c;
    assert_int_equal(tdx_test_run(r, q.data, q.len, src, vt_test_time("2025-11-26T20:00:00Z"), &root, 1, 1, NULL),
                     VT_OK);
    tdx_test_dump(r);
    assert_true(r->chain_valid);
    assert_true(r->signature_valid);
    assert_false(r->collateral_verified);
    assert_true(tdx_has_error(r, "tcb_info"));
    assert_false(tdx_has_error(r, "qe_identity"));
    assert_non_null(strstr(r->errors[0].msg, "expired"));
    /* and before issueDate (2025-10-27T13:07:17Z) */
    assert_int_equal(tdx_test_run(r, q.data, q.len, src, vt_test_time("2025-10-27T13:00:00Z"), &root, 1, 1, NULL),
                     VT_OK);
    assert_true(tdx_has_error(r, "tcb_info"));
    assert_true(tdx_has_error(r, "qe_identity"));
    free(r);
    vt_collateral_free(src);
    vt_buf_free(&q);
}

/* A root that is not Intel's: a freshly made self-signed P-256 CA. */
static vt_x509 *other_root(vt_pkey **key_out)
{
    vt_pkey *k = NULL;
    vt_x509 *c = NULL;
    vt_x509_spec spec;

    memset(&spec, 0, sizeof(spec));
    spec.subject_cn = "Intel SGX Root CA"; /* same name, different key */
    spec.serial = 7;
    spec.not_before = vt_test_time("2018-01-01T00:00:00Z");
    spec.not_after = vt_test_time("2049-01-01T00:00:00Z");
    spec.ca = true;
    spec.pathlen = -1;
    assert_int_equal(vt_pkey_generate(&k, VT_KEY_EC_P256, NULL), VT_OK);
    assert_int_equal(vt_x509_issue(&c, &spec, k, NULL, k, NULL), VT_OK);
    *key_out = k;
    return c;
}

static void test_tee_tdx__other_root_rejected(void **state)
{
    vt_buf q = { 0 };
    vt_collateral *c = load_coll("gotdx-v5-tdx15", "collateral-2026-03-lunal");
    vt_pkey *k = NULL;
    vt_x509 *other = other_root(&k);
    vt_x509 *intel = tdx_test_intel_root();
    vt_result *r = calloc(1, sizeof(*r));
    vt_verify_cache *cache = NULL;

    (void)state;
    assert_int_equal(vt_verify_cache_new(&cache, NULL), VT_OK);
    load_quote(&q, "gotdx-v5-tdx15");
    /* warm the cache with the Intel root, then the other root must not ride on it */
    assert_int_equal(tdx_test_run(r, q.data, q.len, c, vt_test_time("2026-04-01T00:00:00Z"), &intel, 1, 1, cache),
                     VT_OK);
    assert_true(r->chain_valid);
    assert_int_equal(tdx_test_run(r, q.data, q.len, c, vt_test_time("2026-04-01T00:00:00Z"), &other, 1, 1, cache),
                     VT_OK);
    tdx_test_dump(r);
    assert_false(r->chain_valid);
    assert_false(r->claims.hardware_attested);
    assert_false(r->collateral_verified);
    assert_true(tdx_has_error(r, "pck_chain"));
    assert_true(tdx_has_error(r, "tcb_info"));
    /* a non-production root in the list: chain anchors at Intel, so still hardware */
    {
        vt_x509 *both[2] = { other, intel };
        assert_int_equal(tdx_test_run(r, q.data, q.len, c, vt_test_time("2026-04-01T00:00:00Z"), both, 2, 1, cache),
                         VT_OK);
        assert_true(r->chain_valid);
        assert_false(r->claims.hardware_attested); /* Intel sits after prod_root_count here */
        assert_true(r->collateral_verified);
    }
    free(r);
    vt_x509_free(other);
    vt_pkey_free(k);
    vt_collateral_free(c);
    vt_buf_free(&q);
    vt_verify_cache_free(cache);
}

/* Copies a collateral set, letting edit() change one blob. */
static vt_collateral *coll_edit(const vt_collateral *src, bool (*edit)(const char *name, vt_buf *b))
{
    vt_collateral *c = NULL;
    bool edited = false;

    assert_int_equal(vt_collateral_new(&c, NULL), VT_OK);
    for (size_t i = 0; i < vt_collateral_count(src); i++) {
        const char *name = NULL;
        size_t len = 0;
        const uint8_t *p = vt_collateral_get(src, i, &name, &len);
        vt_buf b = { 0 };

        assert_int_equal(vt_buf_append(&b, p, len, NULL), VT_OK);
        if (!edited)
            edited = edit(name, &b);
        assert_int_equal(vt_collateral_add(c, name, b.data, b.len, NULL), VT_OK);
        vt_buf_free(&b);
    }
    assert_true(edited);
    return c;
}

static bool edit_tcb_value(const char *name, vt_buf *b)
{
    char *p;

    if (strncmp(name, "tcb_info", 8) != 0)
        return false;
    assert_int_equal(vt_buf_terminate(b, NULL), VT_OK);
    p = strstr((char *)b->data, "\"attributesMask\":\"FFFFFFFFFFFFFFFF\"");
    assert_non_null(p);
    p[sizeof("\"attributesMask\":\"") - 1] = 'E'; /* still valid JSON, inside the signed value */
    return true;
}

static bool edit_tcb_signature(const char *name, vt_buf *b)
{
    char *p;

    if (strncmp(name, "tcb_info", 8) != 0)
        return false;
    assert_int_equal(vt_buf_terminate(b, NULL), VT_OK);
    p = strstr((char *)b->data, "\"signature\":\"");
    assert_non_null(p);
    p += sizeof("\"signature\":\"") + 10;
    *p = *p == '0' ? '1' : '0';
    return true;
}

static bool edit_qe_value(const char *name, vt_buf *b)
{
    char *p;

    if (strncmp(name, "td_qe_identity", 14) != 0)
        return false;
    assert_int_equal(vt_buf_terminate(b, NULL), VT_OK);
    p = strstr((char *)b->data, "\"isvprodid\":2");
    assert_non_null(p);
    p[sizeof("\"isvprodid\":") - 1] = '3';
    return true;
}

static void tampered(bool (*edit)(const char *, vt_buf *), const char *check)
{
    vt_buf q = { 0 };
    vt_collateral *src = load_coll("gotdx-v5-tdx15", "collateral-2026-03-lunal");
    vt_collateral *c = coll_edit(src, edit);
    vt_x509 *root = tdx_test_intel_root();
    vt_result *r = calloc(1, sizeof(*r));

    load_quote(&q, "gotdx-v5-tdx15");
    assert_int_equal(tdx_test_run(r, q.data, q.len, c, vt_test_time("2026-04-01T00:00:00Z"), &root, 1, 1, NULL),
                     VT_OK);
    tdx_test_dump(r);
    assert_true(r->signature_valid);
    assert_true(r->chain_valid);
    assert_false(r->collateral_verified);
    assert_string_equal(r->claims.tcb_status, "unknown");
    assert_true(tdx_has_error(r, check));
    assert_non_null(strstr(r->errors[0].msg, "signature"));
    free(r);
    vt_collateral_free(c);
    vt_collateral_free(src);
    vt_buf_free(&q);
}

static void test_tee_tdx__tampered_tcb_info_value(void **state)
{
    (void)state;
    tampered(edit_tcb_value, "tcb_info");
}

static void test_tee_tdx__tampered_tcb_info_signature(void **state)
{
    (void)state;
    tampered(edit_tcb_signature, "tcb_info");
}

static void test_tee_tdx__tampered_qe_identity_value(void **state)
{
    (void)state;
    tampered(edit_qe_value, "qe_identity");
}

static bool drop_qe(const char *name, vt_buf *b)
{
    if (strncmp(name, "td_qe_identity", 14) != 0)
        return false;
    b->len = 0; /* an empty blob: ignored */
    return true;
}

static void test_tee_tdx__incomplete_collateral(void **state)
{
    vt_buf q = { 0 };
    vt_collateral *src = load_coll("gotdx-v5-tdx15", "collateral-2026-03-lunal");
    vt_collateral *c = coll_edit(src, drop_qe);
    vt_x509 *root = tdx_test_intel_root();
    vt_result *r = calloc(1, sizeof(*r));

    (void)state;
    load_quote(&q, "gotdx-v5-tdx15");
    assert_int_equal(tdx_test_run(r, q.data, q.len, c, vt_test_time("2026-04-01T00:00:00Z"), &root, 1, 1, NULL),
                     VT_OK);
    tdx_test_dump(r);
    assert_false(r->collateral_verified);
    assert_true(tdx_has_error(r, "qe_identity"));
    assert_false(tdx_has_error(r, "tcb_info"));
    free(r);
    vt_collateral_free(c);
    vt_collateral_free(src);
    vt_buf_free(&q);
}

static void test_tee_tdx__wrong_fmspc_collateral(void **state)
{
    vt_buf q = { 0 };
    vt_collateral *c = load_coll("trustee-quote6-00a06d", "collateral-2026-01-tinfoil");
    vt_x509 *root = tdx_test_intel_root();
    vt_result *r = calloc(1, sizeof(*r));

    (void)state;
    load_quote(&q, "gotdx-v5-tdx15"); /* FMSPC 90c06f000000, collateral for 00a06d080000 */
    assert_int_equal(tdx_test_run(r, q.data, q.len, c, vt_test_time("2026-02-05T00:00:00Z"), &root, 1, 1, NULL),
                     VT_OK);
    tdx_test_dump(r);
    assert_false(r->collateral_verified);
    assert_true(tdx_has_error(r, "tcb_info"));
    assert_non_null(strstr(r->errors[0].msg, "FMSPC"));
    free(r);
    vt_collateral_free(c);
    vt_buf_free(&q);
}

/* With a cache, a repeat costs about two P-256 verifies plus hashing. */
static void test_tee_tdx__cache_speed(void **state)
{
    vt_buf q = { 0 };
    vt_collateral *c = load_coll("gotdx-v5-tdx15", "collateral-2026-03-lunal");
    vt_x509 *root = tdx_test_intel_root();
    vt_result *r = calloc(1, sizeof(*r));
    vt_verify_cache *cache = NULL;
    const int n = 50;

    (void)state;
    assert_int_equal(vt_verify_cache_new(&cache, NULL), VT_OK);
    load_quote(&q, "gotdx-v5-tdx15");
    for (int i = 0; i < n; i++)
        assert_int_equal(tdx_test_run(r, q.data, q.len, c, vt_test_time("2026-04-01T00:00:00Z"), &root, 1, 1, NULL),
                         VT_OK);
    for (int i = 0; i < n; i++)
        assert_int_equal(tdx_test_run(r, q.data, q.len, c, vt_test_time("2026-04-01T00:00:00Z"), &root, 1, 1, cache),
                         VT_OK);
    assert_string_equal(r->claims.tcb_status, "UpToDate");
    /* One verified PCK chain, its verified PCK CA (shared with other machines),
     * one verified collateral set, one attestation key; timing is for bench/,
     * never for a test. */
    assert_int_equal(vt__cache_count(cache), 4);
    free(r);
    vt_collateral_free(c);
    vt_buf_free(&q);
    vt_verify_cache_free(cache);
}

static void test_tee_tdx__inspect_fields(void **state)
{
    vt_buf q = { 0 };
    char *json = NULL;
    vt_err err = { 0 };

    (void)state;
    load_quote(&q, "trustee-quote4-debug");
    assert_int_equal(vt__tee_tdx.inspect(q.data, q.len, &json, &err), VT_OK);
    assert_non_null(strstr(json, "\"mrtd\": \"705ee9381b8633a9fbe532b52345e8433343d2868959f57889d84ca377c395b6"));
    assert_non_null(strstr(json, "\"debug\": true"));
    assert_non_null(strstr(json, "\"fmspc\": \"50806f000000\""));
    assert_non_null(strstr(json, "\"pcesvn\": 11"));
    assert_non_null(strstr(json, "\"isvsvn\": 4"));
    assert_non_null(strstr(json, "Intel SGX PCK Platform CA"));
    free(json);
    json = NULL;
    assert_int_equal(vt__tee_tdx.inspect(q.data, 100, &json, &err), VT_E_FORMAT);
    assert_null(json);
    assert_true(vt__tee_tdx.probe(q.data, q.len));
    assert_false(vt__tee_tdx.probe(q.data, 47));
    vt_buf_free(&q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tee_tdx__manifest_outcomes),
        cmocka_unit_test(test_tee_tdx__manifest_outcomes_cached),
        cmocka_unit_test(test_tee_tdx__claims_match_manifest),
        cmocka_unit_test(test_tee_tdx__before_pck_not_before),
        cmocka_unit_test(test_tee_tdx__after_collateral_next_update),
        cmocka_unit_test(test_tee_tdx__expired_tcb_info_named),
        cmocka_unit_test(test_tee_tdx__other_root_rejected),
        cmocka_unit_test(test_tee_tdx__tampered_tcb_info_value),
        cmocka_unit_test(test_tee_tdx__tampered_tcb_info_signature),
        cmocka_unit_test(test_tee_tdx__tampered_qe_identity_value),
        cmocka_unit_test(test_tee_tdx__incomplete_collateral),
        cmocka_unit_test(test_tee_tdx__wrong_fmspc_collateral),
        cmocka_unit_test(test_tee_tdx__cache_speed),
        cmocka_unit_test(test_tee_tdx__inspect_fields),
    };

    vt_test_require_vectors();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
