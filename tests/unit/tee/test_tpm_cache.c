/* The TPM AK cache (VT_CACHE_TPM_AK): with a vt_verify_cache, the second
 * verify of the GCE quote takes the imported AK and its verified certificate
 * chain from the cache and gives the same verdict and claims; the quote
 * signature and PCR digest are still checked every time; a cached chain
 * serves only inside its validity window; other certificate bytes miss. */
#include <stdlib.h>
#include <string.h>

#include "vt_test.h"

#include "tee/cache.h"
#include "veritee/tpm.h"

#define GCE "tpm/gce-cos85-no-nonce"

static void load(vt_buf *ev)
{
    char dir[4096];
    vt_err err = { 0 };

    vt_test_path(dir, sizeof(dir), GCE);
    vt_buf_init(ev);
    assert_int_equal(vt_tpm_evidence_load_dir(ev, dir, &err), VT_OK);
}

static vt_result *verify(const vt_buf *ev, vt_verify_cache *c, const char *at)
{
    vt_result *r = calloc(1, sizeof(*r));
    vt_verify_opts o;
    vt_err err = { 0 };

    assert_non_null(r);
    memset(&o, 0, sizeof(o));
    o.platform = VT_TEE_TPM;
    o.now = vt_test_time(at);
    o.cache = c;
    assert_int_equal(vt_evidence_verify(r, ev->data, ev->len, &o, &err), VT_OK);
    return r;
}

/* Flips one bit in the first record of type part. */
static void flip(vt_buf *ev, unsigned part, size_t off)
{
    size_t i = 8;
    while (i + 7 <= ev->len) {
        size_t n = (size_t)ev->data[i + 3] << 24 | (size_t)ev->data[i + 4] << 16 | (size_t)ev->data[i + 5] << 8 |
                   ev->data[i + 6];
        if (ev->data[i] == part) {
            ev->data[i + 7 + off] ^= 1;
            return;
        }
        i += 7 + n;
    }
    fail_msg("no record %u", part);
}

static void test_tee_tpm_cache__warm_equals_cold(void **state)
{
    vt_verify_cache *c = NULL;
    vt_result *cold, *warm, *plain;
    vt_buf ev, bad;

    (void)state;
    load(&ev);
    assert_int_equal(vt_verify_cache_new(&c, NULL), VT_OK);
    plain = verify(&ev, NULL, "2022-01-01T00:00:00Z");
    cold = verify(&ev, c, "2022-01-01T00:00:00Z");
    assert_int_equal(vt__cache_count(c), 1);
    warm = verify(&ev, c, "2022-01-01T00:00:00Z");
    assert_int_equal(vt__cache_count(c), 1);
    for (int k = 0; k < 3; k++) {
        vt_result *r = k == 0 ? plain : k == 1 ? cold : warm;
        assert_true(r->valid);
        assert_true(r->claims.hardware_attested);
        assert_true(r->chain_valid);
        assert_int_equal(r->error_count, 0);
        assert_non_null(vt_claims_get(&r->claims, "ak_sha256"));
        assert_int_equal(r->claims.signer_count, plain->claims.signer_count);
        assert_int_equal(r->claims.not_after, plain->claims.not_after);
    }
    /* Past the AK certificate: the cached chain no longer serves. */
    free(warm);
    warm = verify(&ev, c, "2052-01-01T00:00:00Z");
    assert_false(warm->valid);
    /* The signature is checked on every verify, warm or not. */
    vt_buf_init(&bad);
    assert_int_equal(vt_buf_append(&bad, ev.data, ev.len, NULL), VT_OK);
    flip(&bad, VT_TPM_PART_SIG, 100);
    free(warm);
    warm = verify(&bad, c, "2022-01-01T00:00:00Z");
    assert_false(warm->valid);
    assert_false(warm->signature_valid);
    /* Other certificate bytes: another key, verified (and refused) afresh. */
    bad.len = 0;
    assert_int_equal(vt_buf_append(&bad, ev.data, ev.len, NULL), VT_OK);
    flip(&bad, VT_TPM_PART_AK_CERT, 1200);
    free(warm);
    warm = verify(&bad, c, "2022-01-01T00:00:00Z");
    assert_false(warm->valid);
    assert_false(warm->chain_valid);
    free(plain);
    free(cold);
    free(warm);
    vt_buf_free(&ev);
    vt_buf_free(&bad);
    vt_verify_cache_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tee_tpm_cache__warm_equals_cold),
    };
    vt_test_require_vectors();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
