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

/* AWS Nitro Enclaves Root G1: CN=aws.nitro-enclaves, OU=AWS, O=Amazon, C=US,
 * P-384, valid 2019-10-28..2049-10-28, SHA-256(DER) 641a0321...8f79bb5b
 * (docs/formats/nitro.md). */
static const char aws_nitro_root_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIICETCCAZagAwIBAgIRAPkxdWgbkK/hHUbMtOTn+FYwCgYIKoZIzj0EAwMwSTEL\n"
    "MAkGA1UEBhMCVVMxDzANBgNVBAoMBkFtYXpvbjEMMAoGA1UECwwDQVdTMRswGQYD\n"
    "VQQDDBJhd3Mubml0cm8tZW5jbGF2ZXMwHhcNMTkxMDI4MTMyODA1WhcNNDkxMDI4\n"
    "MTQyODA1WjBJMQswCQYDVQQGEwJVUzEPMA0GA1UECgwGQW1hem9uMQwwCgYDVQQL\n"
    "DANBV1MxGzAZBgNVBAMMEmF3cy5uaXRyby1lbmNsYXZlczB2MBAGByqGSM49AgEG\n"
    "BSuBBAAiA2IABPwCVOumCMHzaHDimtqQvkY4MpJzbolL//Zy2YlES1BR5TSksfbb\n"
    "48C8WBoyt7F2Bw7eEtaaP+ohG2bnUs990d0JX28TcPQXCEPZ3BABIeTPYwEoCWZE\n"
    "h8l5YoQwTcU/9KNCMEAwDwYDVR0TAQH/BAUwAwEB/zAdBgNVHQ4EFgQUkCW1DdkF\n"
    "R+eWw5b6cp3PmanfS5YwDgYDVR0PAQH/BAQDAgGGMAoGCCqGSM49BAMDA2kAMGYC\n"
    "MQCjfy+Rocm9Xue4YnwWmNJVA44fA0P5W2OpYow9OYCVRaEevL8uO1XYru5xtMPW\n"
    "rfMCMQCi85sWBbJwKKXdS6BptQFuZbT73o/gBh1qUxl/nNr12UO8Yfwr6wPLb+6N\n"
    "IwLz3/Y=\n"
    "-----END CERTIFICATE-----\n";

static const uint8_t aws_nitro_root_sha256[32] = {
    0x64, 0x1a, 0x03, 0x21, 0xa3, 0xe2, 0x44, 0xef, 0xe4, 0x56, 0x46, 0x31, 0x95, 0xd6, 0x06, 0x31,
    0x7e, 0xd7, 0xcd, 0xcc, 0x3c, 0x17, 0x56, 0xe0, 0x98, 0x93, 0xf3, 0xc6, 0x8f, 0x79, 0xbb, 0x5b,
};

static pthread_once_t aws_nitro_once = PTHREAD_ONCE_INIT;
static vt_x509 *aws_nitro_root;

static void aws_nitro_load(void)
{
    vt_x509 *certs[1] = { NULL };
    size_t n = 0;
    uint8_t fp[32];

    if (vt_x509_list_from_pem(certs, &n, 1, aws_nitro_root_pem, sizeof(aws_nitro_root_pem) - 1, NULL) != VT_OK ||
        n != 1)
        return;
    vt_x509_fingerprint(certs[0], fp);
    if (!vt_ct_equal(fp, aws_nitro_root_sha256, sizeof(fp))) {
        vt_x509_free(certs[0]);
        return;
    }
    aws_nitro_root = certs[0];
}

vt_status vt__roots_aws_nitro(vt_x509 **out, vt_err *err)
{
    pthread_once(&aws_nitro_once, aws_nitro_load);
    *out = aws_nitro_root;
    if (aws_nitro_root == NULL)
        return vt_err_set(err, VT_E_INTERNAL, "roots: pinned AWS Nitro Enclaves Root G1 failed to load");
    return VT_OK;
}
