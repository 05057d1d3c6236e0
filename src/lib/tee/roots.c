/*
 * Pinned production roots, compiled in.  Nothing from the environment can add
 * a root: simulation roots are trusted only when a caller asks for it
 * (vt_verify_opts.trust_sim), and are never reported as hardware attested.
 */
#include <pthread.h>
#include <string.h>

#include "tee/plugin.h"

/* Intel SGX Root CA: CN=Intel SGX Root CA, O=Intel Corporation, valid
 * 2018-05-21..2049-12-31, SHA-256(DER) 44a0196b...ccfab674d3. */
static const char intel_sgx_root_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIICjzCCAjSgAwIBAgIUImUM1lqdNInzg7SVUr9QGzknBqwwCgYIKoZIzj0EAwIw\n"
    "aDEaMBgGA1UEAwwRSW50ZWwgU0dYIFJvb3QgQ0ExGjAYBgNVBAoMEUludGVsIENv\n"
    "cnBvcmF0aW9uMRQwEgYDVQQHDAtTYW50YSBDbGFyYTELMAkGA1UECAwCQ0ExCzAJ\n"
    "BgNVBAYTAlVTMB4XDTE4MDUyMTEwNDUxMFoXDTQ5MTIzMTIzNTk1OVowaDEaMBgG\n"
    "A1UEAwwRSW50ZWwgU0dYIFJvb3QgQ0ExGjAYBgNVBAoMEUludGVsIENvcnBvcmF0\n"
    "aW9uMRQwEgYDVQQHDAtTYW50YSBDbGFyYTELMAkGA1UECAwCQ0ExCzAJBgNVBAYT\n"
    "AlVTMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEC6nEwMDIYZOj/iPWsCzaEKi7\n"
    "1OiOSLRFhWGjbnBVJfVnkY4u3IjkDYYL0MxO4mqsyYjlBalTVYxFP2sJBK5zlKOB\n"
    "uzCBuDAfBgNVHSMEGDAWgBQiZQzWWp00ifODtJVSv1AbOScGrDBSBgNVHR8ESzBJ\n"
    "MEegRaBDhkFodHRwczovL2NlcnRpZmljYXRlcy50cnVzdGVkc2VydmljZXMuaW50\n"
    "ZWwuY29tL0ludGVsU0dYUm9vdENBLmRlcjAdBgNVHQ4EFgQUImUM1lqdNInzg7SV\n"
    "Ur9QGzknBqwwDgYDVR0PAQH/BAQDAgEGMBIGA1UdEwEB/wQIMAYBAf8CAQEwCgYI\n"
    "KoZIzj0EAwIDSQAwRgIhAOW/5QkR+S9CiSDcNoowLuPRLsWGf/Yi7GSX94BgwTwg\n"
    "AiEA4J0lrHoMs+Xo5o/sX6O9QWxHRAvZUGOdRQ7cvqRXaqI=\n"
    "-----END CERTIFICATE-----\n";

static const uint8_t intel_sgx_root_sha256[32] = {
    0x44, 0xa0, 0x19, 0x6b, 0x2b, 0x99, 0xf8, 0x89, 0xb8, 0xe1, 0x49, 0xe9, 0x5b, 0x80, 0x7a, 0x35,
    0x0e, 0x74, 0x24, 0x96, 0x43, 0x99, 0xe8, 0x85, 0xa7, 0xcb, 0xb8, 0xcc, 0xfa, 0xb6, 0x74, 0xd3,
};

static pthread_once_t intel_once = PTHREAD_ONCE_INIT;
static vt_x509 *intel_root;

static void intel_load(void)
{
    vt_x509 *certs[1] = { NULL };
    size_t n = 0;
    uint8_t fp[32];

    if (vt_x509_list_from_pem(certs, &n, 1, intel_sgx_root_pem, sizeof(intel_sgx_root_pem) - 1, NULL) != VT_OK ||
        n != 1)
        return;
    /* Belt and braces: the compiled-in text must be the root we documented. */
    vt_x509_fingerprint(certs[0], fp);
    if (!vt_ct_equal(fp, intel_sgx_root_sha256, sizeof(fp))) {
        vt_x509_free(certs[0]);
        return;
    }
    intel_root = certs[0];
}

vt_status vt__roots_intel_sgx(vt_x509 **out, vt_err *err)
{
    pthread_once(&intel_once, intel_load);
    *out = intel_root;
    if (intel_root == NULL)
        return vt_err_set(err, VT_E_INTERNAL, "roots: pinned Intel SGX Root CA failed to load");
    return VT_OK;
}
