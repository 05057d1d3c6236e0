/* libFuzzer: OCSP responses (DER) as an OCSP responder sends them: the
 * cache's expiry and issue-time parses and full verification for a fixed certificate and issuer. */
#include <string.h>

#include "crypto/ocsp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static vt_x509 *issuer, *leaf;

static void setup(void)
{
    vt_pkey *ik = NULL, *lk = NULL;
    vt_x509_spec s;

    memset(&s, 0, sizeof(s));
    s.subject_cn = "fuzz issuer";
    s.serial = 1;
    s.not_before = 0;
    s.not_after = 4102444800;
    s.ca = true;
    s.pathlen = -1;
    if (vt_pkey_generate(&ik, VT_KEY_EC_P256, NULL) != VT_OK || vt_pkey_generate(&lk, VT_KEY_EC_P256, NULL) != VT_OK ||
        vt_x509_issue(&issuer, &s, ik, NULL, ik, NULL) != VT_OK)
        __builtin_trap();
    s.subject_cn = "fuzz leaf";
    s.serial = 2;
    s.ca = false;
    if (vt_x509_issue(&leaf, &s, lk, issuer, ik, NULL) != VT_OK)
        __builtin_trap();
    vt_pkey_free(ik);
    vt_pkey_free(lk);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vt__ocsp_answer a;
    vt_time until = 0, issued = 0;

    if (issuer == NULL)
        setup();
    /* The cache's two reads of an answer agree on whether it is one. */
    if ((vt__ocsp_response_expiry(&until, data, size, NULL) == VT_OK) !=
        (vt__ocsp_response_issued(&issued, data, size, NULL) == VT_OK))
        __builtin_trap();
    if (vt__ocsp_response_verify(&a, data, size, leaf, issuer, 1767225600, NULL) == VT_OK && a.status > 2)
        __builtin_trap();
    return 0;
}
