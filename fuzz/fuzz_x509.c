/* libFuzzer: PEM certificate lists, DER certificates and CRLs from untrusted bytes. */
#include "veritee/crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vt_x509 *certs[8];
    vt_x509 *c = NULL;
    vt_crl *crl = NULL;
    size_t n = 0;

    if (vt_x509_list_from_pem(certs, &n, 8, (const char *)data, size, NULL) == VT_OK)
        for (size_t i = 0; i < n; i++)
            vt_x509_free(certs[i]);
    if (vt_x509_from_der(&c, data, size, NULL) == VT_OK) {
        const uint8_t *v;
        size_t len;
        if (vt_x509_ext(c, "1.2.840.113741.1.13.1", &v, &len, NULL) != VT_OK)
            len = 0;
        vt_x509_free(c);
    }
    if (vt_crl_parse(&crl, data, size, NULL) == VT_OK)
        vt_crl_free(crl);
    return 0;
}
