/*
 * Pinned Google Compute Engine vTPM EK/AK certificate authorities: the roots
 * that anchor GCE AK certificates, and the intermediates between them (pinned,
 * like AMD's ASKs, so that evidence need only carry the AK certificate).
 * Source: google/go-tpm-tools @ 67670e5c021a server/ca-certs/ (Apache-2.0),
 * converted from DER; SHA-256 of each DER pinned below and checked at load.
 */

#include "tee/pinned.h"
#include "tee/plugin.h"
/* GCE vTPM EK/AK root (tpm_ek_root_1, 2018) */
static const char gce_tpm_ek_root_1_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIGfzCCBGegAwIBAgIQbw4ksY2+TlOMT5bDqCZawTANBgkqhkiG9w0BAQsFADCB\n"
    "vjELMAkGA1UEBhMCVVMxEzARBgNVBAgTCkNhbGlmb3JuaWExFjAUBgNVBAcTDU1v\n"
    "dW50YWluIFZpZXcxEzARBgNVBAoTCkdvb2dsZSBMTEMxDjAMBgNVBAsTBUNsb3Vk\n"
    "MV0wWwYDVQQDDFR0cG1fZWtfdjFfY2xvdWRfaG9zdF9yb290LXNpZ25lci0wLTIw\n"
    "MTgtMDQtMDZUMTA6NTg6MjYtMDc6MDAgSzoxLCAxOlB3MDAzSHNGWU80OjA6MTgw\n"
    "IBcNMTgwNDA2MTc1ODI2WhgPMjExODA0MDYxODU4MjZaMIG+MQswCQYDVQQGEwJV\n"
    "UzETMBEGA1UECBMKQ2FsaWZvcm5pYTEWMBQGA1UEBxMNTW91bnRhaW4gVmlldzET\n"
    "MBEGA1UEChMKR29vZ2xlIExMQzEOMAwGA1UECxMFQ2xvdWQxXTBbBgNVBAMMVHRw\n"
    "bV9la192MV9jbG91ZF9ob3N0X3Jvb3Qtc2lnbmVyLTAtMjAxOC0wNC0wNlQxMDo1\n"
    "ODoyNi0wNzowMCBLOjEsIDE6UHcwMDNIc0ZZTzQ6MDoxODCCAiIwDQYJKoZIhvcN\n"
    "AQEBBQADggIPADCCAgoCggIBAPvCO6TuV/jpJ4auYVo+9DKtdsC7EP5pXtyXwvbn\n"
    "Cj2kT+8JPGb++tOJylihDSO2BNrtqVukkiV8dXYY0MQNufPinSnBZP7s1RXN4F99\n"
    "k0tSI3e5TI2DwRFBV0jcu7rYZlzx3mO1ltNp/9UVA3zxLz663SPnoBBUUNlXnY90\n"
    "JudOLfwXNP68KiCt/YIG7XrIRMY8iXNFrTS9BIlaLb+LIgmh29FN/YcQsXsAyum8\n"
    "35FoULcDLqzrTjA+3rfRvQLwrq5QsJcEVuZYVRQS5td4RbRDz4GLQzHtRT0DSe89\n"
    "aFAndaK8h4i/WLDoOI8SJ8B8m+VvOWDYnx/7qP6NsCnicVg7BQzYqAtlTTHUzi5N\n"
    "d2p7Hc3FbbqYU74EdNTtFAwDsI95N0f+LC3wRK1xvGgaRSdnJeklhNVsdO00TDkm\n"
    "AVdkkK+o7Pij2Ss2ywW9uRH5gnosnfswiWxAe9LvwJfBr4MNtha7evAwcvqkRvBJ\n"
    "Fgd+AVugOuwOCC3rHFEquaoUWpNrvSBFMVooWgs0fMMcStYYj+vRd9aNDtgHsbgS\n"
    "QvCFDmo91lcqRFcwYqDf8JmQwZO9yYOzjb/73MBsxRzuXpeQ9/L/SrIgL3zS7LLT\n"
    "ybbQ3LJO592vz+sEk6/P/IOZSGPSh5NLVLSzjHfUuMR60hJ8zGo34QHJ/p1m6aHf\n"
    "k52hAgMBAAGjdTBzMA4GA1UdDwEB/wQEAwIBhjAQBgNVHSUECTAHBgVngQUIATAP\n"
    "BgNVHRMBAf8EBTADAQH/MB0GA1UdDgQWBBRl9OTmqvb9WtKInKhTVfcAjgj3pTAf\n"
    "BgNVHSMEGDAWgBRl9OTmqvb9WtKInKhTVfcAjgj3pTANBgkqhkiG9w0BAQsFAAOC\n"
    "AgEAJY6404gcN0hetPP/wdmL8fullQHfro3Jw5V311MFlkFEHpHS0+Bhg+Brt2J3\n"
    "D9CVpsAhmU5Wy8CrdZ25dh8vRp27Ki5zaq3VWnyQSt0zjIGwez7WMbq4ky5SfMlk\n"
    "mM5XvE1Boi99P6K4Qi2pJdU1JA4yYi6aiTz6A7iG7df769VokOD1Q4LIccD5MLUy\n"
    "s+ptnbn30e1VmteBrHagrYUpedUUTzBo2050DoQLPTuGRBsQBnBkMD2N+yrj6Nov\n"
    "4YufKPQUklu3PtLxdjZMa3U7Yd+Aw2WJJgD4xu0OH4SYfnnguaSX20njyi8tXNxk\n"
    "helXGMQt85YCuoYE5nBMDLQ0M0jsz0abUHjYavlHsVTxwPNWxUFONI3+tDdy9ZWX\n"
    "whYDRg/C+z7IvcrO9hcnghmJ7a1lX1oTHCah9bjTqz5w+cccx/nXHXpMglcACXJX\n"
    "E7LlvO3VeStT+57cPuIfpRO7dRbce1O8qfnGH4Sk0LNmJai6OfFU/5499lvPdWbw\n"
    "ChdLwaTFu/2Hs/Tq4bXvi9nHk0WSIQbPuUsFACRUf1U+NhyF7Ly6vWkI2cV3fI2w\n"
    "N1gQ2YgOiESSNE50dof8LyJ6RO97aQqAkW0Qeqj7xfL2+U6qlCQNNp4gSbBegysr\n"
    "cGNZKz/iBmmWoNvicw9mpPQqHnLv60IvRumxby/n617o/jU=\n"
    "-----END CERTIFICATE-----\n"
;
static const uint8_t gce_tpm_ek_root_1_sha256[32] = {
    0x9b, 0xd5, 0x28, 0x5f, 0x8f, 0xb1, 0x85, 0x02, 0xa7, 0x94, 0x7e, 0x62,
    0x1f, 0xfd, 0x47, 0x02, 0x66, 0xf4, 0x9f, 0xcd, 0x3b, 0x73, 0xe1, 0x9a,
    0x19, 0x0f, 0x69, 0x0a, 0xd3, 0x2a, 0x7c, 0xaf,
};

/* GCP EK/AK CA Root (2022) */
static const char gcp_ek_ak_ca_root_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIGATCCA+mgAwIBAgIUAKZdpPnjKPOANcOnPU9yQyvfFdwwDQYJKoZIhvcNAQEL\n"
    "BQAwfjELMAkGA1UEBhMCVVMxEzARBgNVBAgTCkNhbGlmb3JuaWExFjAUBgNVBAcT\n"
    "DU1vdW50YWluIFZpZXcxEzARBgNVBAoTCkdvb2dsZSBMTEMxFTATBgNVBAsTDEdv\n"
    "b2dsZSBDbG91ZDEWMBQGA1UEAxMNRUsvQUsgQ0EgUm9vdDAgFw0yMjA3MDgwMDQw\n"
    "MzRaGA8yMTIyMDcwODA1NTcyM1owfjELMAkGA1UEBhMCVVMxEzARBgNVBAgTCkNh\n"
    "bGlmb3JuaWExFjAUBgNVBAcTDU1vdW50YWluIFZpZXcxEzARBgNVBAoTCkdvb2ds\n"
    "ZSBMTEMxFTATBgNVBAsTDEdvb2dsZSBDbG91ZDEWMBQGA1UEAxMNRUsvQUsgQ0Eg\n"
    "Um9vdDCCAiIwDQYJKoZIhvcNAQEBBQADggIPADCCAgoCggIBAJ0l9VCoyJZLSol8\n"
    "KyhNpbS7pBnuicE6ptrdtxAWIR2TnLxSgxNFiR7drtofxI0ruceoCIpsa9NHIKrz\n"
    "3sM/N/E8mFNHiJAuyVf3pPpmDpLJZQ1qe8yHkpGSs3Kj3s5YYWtEecCVfzNs4MtK\n"
    "vGfA+WKB49A6Noi8R9R1GonLIN6wSXX3kP1ibRn0NGgdqgfgRe5HC3kKAhjZ6scT\n"
    "8Eb1SGlaByGzE5WoGTnNbyifkyx9oUZxXVJsqv2q611W3apbPxcgev8z5JXQUbrr\n"
    "Q7EbO0StK1DsKRsKLuD+YLxjrBRQ4UeIN5WHp6G0vgYiOptHm6YKZxQemO/kVMLR\n"
    "zsm1AYH7eNOFekcBIKRjSqpk5m4ud04qum6f0hBj3iE/Pe+DvIbVhLh9ItAunISG\n"
    "QPA9dYEgfA/qWir+pU7LV3phpLeGhull8G/zYmQhF3heg0buIR70aavzT8iLAQrx\n"
    "VMNRZJEGMwIN/tq8YiT3+3EZIcSqq6GAGjiuVw3NIsXC3+CuSJGQ5GbDp49Lc6VW\n"
    "PHeWeFvwSUGgxKXq5r1+PRsoYgK6S4hhecgXEX5c7Rta6TcFlEFb0XK9fpy1dr89\n"
    "LeFGxUBpdDvKxDRLMm3FQen8rmR/PSReEcJsaqbUP/q7Pc7k0RfF9Mb6AfPZfnqg\n"
    "pYJQ+IFSr9EjRSW1wPcL03zoTP47AgMBAAGjdTBzMA4GA1UdDwEB/wQEAwIBBjAQ\n"
    "BgNVHSUECTAHBgVngQUIATAPBgNVHRMBAf8EBTADAQH/MB0GA1UdDgQWBBRJ50pb\n"
    "Vin1nXm3pjA8A7KP5xTdTDAfBgNVHSMEGDAWgBRJ50pbVin1nXm3pjA8A7KP5xTd\n"
    "TDANBgkqhkiG9w0BAQsFAAOCAgEAlfHRvOB3CJoLTl1YG/AvjGoZkpNMyp5X5je1\n"
    "ICCQ68b296En9hIUlcYY/+nuEPSPUjDA3izwJ8DAfV4REgpQzqoh6XhR3TgyfHXj\n"
    "J6DC7puzEgtzF1+wHShUpBoe3HKuL4WhB3rvwk2SEsudBu92o9BuBjcDJ/GW5GRt\n"
    "pD/H71HAE8rI9jJ41nS0FvkkjaX0glsntMVUXiwcta8GI0QOE2ijsJBwk41uQGt0\n"
    "YOj2SGlEwNAC5DBTB5kZ7+6X9xGE6/c+M3TAA0ONoX18rNfif94cCx/mPYOs8pUk\n"
    "ANRAQ4aTRBvpBrryGT8R1ahTBkMeRQG3tdsLHRT8fJCFUANd5WLWsi83005y/WuM\n"
    "z8/gFKc0PL+F+MubCsJ1ODPTRscH93QlS4zEMg5hDAIks+fDoRJ2QiROqo7GAqbT\n"
    "c7STKfGcr9+pa63na7f3oy1sZPWPdxB8tx5z3lghiPP3ktQx/yK/1Fwf1hgxJHFy\n"
    "/2UcaGuOXRRRTPyEnppZp82Kigs9aPHWtaVm2/LrXX2fvT9iM/k0CovNAj8rztHx\n"
    "sUEoA0xJnSOJNPpe9PRdjsTj7/u3Xu6hQLNNidBHgI3Hcmi704HMMd/3yZ424OOr\n"
    "S32ylpeU1oeQHFrLE6hYX4/ttMETbmESIKd2rTgstPotSvkuB5TljbKYPR+lq7hQ\n"
    "av16U4E=\n"
    "-----END CERTIFICATE-----\n"
;
static const uint8_t gcp_ek_ak_ca_root_sha256[32] = {
    0x59, 0x47, 0x59, 0x59, 0x4b, 0x9b, 0x61, 0x52, 0x4f, 0x6c, 0x8e, 0xf6,
    0x68, 0xf7, 0x17, 0x7f, 0x7b, 0x90, 0x66, 0xbc, 0x06, 0x74, 0xf2, 0xf4,
    0x9f, 0xe9, 0xe0, 0x52, 0xbe, 0x78, 0xbe, 0xb2,
};

/* GCE vTPM EK/AK intermediate (tpm_ek_intermediate_2, 2020) */
static const char gce_tpm_ek_intermediate_2_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIGFDCCA/ygAwIBAgIQKGFud4l+Tma/3sf58QMTrDANBgkqhkiG9w0BAQsFADCB\n"
    "vjELMAkGA1UEBhMCVVMxEzARBgNVBAgTCkNhbGlmb3JuaWExFjAUBgNVBAcTDU1v\n"
    "dW50YWluIFZpZXcxEzARBgNVBAoTCkdvb2dsZSBMTEMxDjAMBgNVBAsTBUNsb3Vk\n"
    "MV0wWwYDVQQDDFR0cG1fZWtfdjFfY2xvdWRfaG9zdF9yb290LXNpZ25lci0wLTIw\n"
    "MTgtMDQtMDZUMTA6NTg6MjYtMDc6MDAgSzoxLCAxOlB3MDAzSHNGWU80OjA6MTgw\n"
    "IBcNMjAxMDIyMjEwMjA4WhgPMjEyMDEwMjIyMTAyMDhaMIG5MQswCQYDVQQGEwJV\n"
    "UzETMBEGA1UECBMKQ2FsaWZvcm5pYTEWMBQGA1UEBxMNTW91bnRhaW4gVmlldzET\n"
    "MBEGA1UEChMKR29vZ2xlIExMQzEOMAwGA1UECxMFQ2xvdWQxWDBWBgNVBAMMT3Rw\n"
    "bV9la192MV9jbG91ZF9ob3N0LXNpZ25lci0wLTIwMjAtMTAtMjJUMTQ6MDI6MDgt\n"
    "MDc6MDAgSzoxLCAyOkhCTnBBM1RQQWJNOjA6MTgwggEiMA0GCSqGSIb3DQEBAQUA\n"
    "A4IBDwAwggEKAoIBAQC04DIsQSkrbQCB4/7EV2BDEXZzBBBUVDaF/yuDzxzdMNux\n"
    "kdNbB/cSbKbSc4+gI+4NLIn/qZA37KzWAd8PSviF2zFgC+ZF4m4wr7J5830n4OkA\n"
    "BqfdtP368ROI1b5Ue1avugNfeHUI2Tz1YIflDlXlnotNMT4O4SIMug9sfBFjnwIN\n"
    "bivDu3gUP803vfXDCsTcndKA7WgN5jXDEAfdP1EZtugODsCxSjvcveKr30ORmCg7\n"
    "76N+bt+Q+YQeQxFxWF6eIDG8u4BPk9p/mXXIfqQMd+WprWEt1pdvQFURoieAN2hx\n"
    "EkoL959oFiva69vAjTU8HqaAb16uWhWSQayH0lXbAgMBAAGjggENMIIBCTAOBgNV\n"
    "HQ8BAf8EBAMCAQYwEAYDVR0lBAkwBwYFZ4EFCAEwEgYDVR0TAQH/BAgwBgEB/wIB\n"
    "ADAdBgNVHQ4EFgQUE81xuliyClGjKA5luZaeux0NEZMwHwYDVR0jBBgwFoAUZfTk\n"
    "5qr2/VrSiJyoU1X3AI4I96UwTQYIKwYBBQUHAQEEQTA/MD0GCCsGAQUFBzAChjFo\n"
    "dHRwOi8vcGtpLmdvb2cvY2xvdWRfaW50ZWdyaXR5L3RwbV9la19yb290XzEuY3J0\n"
    "MEIGA1UdHwQ7MDkwN6A1oDOGMWh0dHA6Ly9wa2kuZ29vZy9jbG91ZF9pbnRlZ3Jp\n"
    "dHkvdHBtX2VrX3Jvb3RfMS5jcmwwDQYJKoZIhvcNAQELBQADggIBAJDz1ozb36Gh\n"
    "Nkcflz77qNXW/I6TqBN7VUMJy5zVXxIxLHDayU6mJGizriQkncDmnWY8/NUgroXK\n"
    "IyURBsB2sNI41KcQFi+ScYRGKuGkiLt/0huxA0njCLIOyAcDN6oaph8Eo7rCL5Md\n"
    "hA9uMxnHMgWVWjnpgYKVMui6lakEcpek2ngNMpSHe7VxmM2L/56ucQblvIma00AN\n"
    "C6NAi+QOFuyoqrmZhXjj0w/p2yO5W38jp/tcPX38FZ6uZpD3iYAfBgRc4yrvUF4J\n"
    "2UUlF3xBL0uQI3G96uh0OcBzAA4KFMRBfsZR4rfgbAhCRq/LZ0NAIhb9ndOkHYl0\n"
    "/6TyQFqSt77v8E+w2mwzAsYp/jAAu7IF8s0WMcZPTBKgMk9iRoVRAU7r6sJcqfhu\n"
    "mx7o8H57k+90bpAZjZsBHLj/OWFQDK6TBrxL9kXtZ8eL6c+M7o5Mx3mCzqjjp5fE\n"
    "e/K5Dr2NhzcU31TTGdRz/2t7eFMjP1ylsNCXSHNB7yoA1oUcWKo6nuitUPxLjiiv\n"
    "j6cvhMPsJLRpMJQN78k2VF7osri73l1Df22ELkWz6tvvb6O6Dh3fWCeKP713B/+J\n"
    "Rv4XJ10wPL1StRDE8vl/mi+hyc/c7QGeuRoYdmKu5xti9IxtaxZaZJqCXm4C7BdS\n"
    "6w7bUa6T6smyKpXcL4iX/vx2v7Ym67AG\n"
    "-----END CERTIFICATE-----\n"
;
static const uint8_t gce_tpm_ek_intermediate_2_sha256[32] = {
    0x5d, 0x8d, 0xbc, 0xf8, 0xc8, 0x05, 0x3d, 0xd8, 0xff, 0xad, 0x71, 0x1b,
    0x62, 0x19, 0x35, 0x50, 0x32, 0xb7, 0x12, 0x2c, 0x34, 0xca, 0xc0, 0xf9,
    0x0c, 0xcb, 0x49, 0xde, 0xf6, 0x9e, 0xc5, 0x04,
};

/* GCE vTPM EK/AK intermediate (tpm_ek_intermediate_3, 2021) */
static const char gce_tpm_ek_intermediate_3_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIGFDCCA/ygAwIBAgIQdPr3fPH3QMiVke9TGXN5dzANBgkqhkiG9w0BAQsFADCB\n"
    "vjELMAkGA1UEBhMCVVMxEzARBgNVBAgTCkNhbGlmb3JuaWExFjAUBgNVBAcTDU1v\n"
    "dW50YWluIFZpZXcxEzARBgNVBAoTCkdvb2dsZSBMTEMxDjAMBgNVBAsTBUNsb3Vk\n"
    "MV0wWwYDVQQDDFR0cG1fZWtfdjFfY2xvdWRfaG9zdF9yb290LXNpZ25lci0wLTIw\n"
    "MTgtMDQtMDZUMTA6NTg6MjYtMDc6MDAgSzoxLCAxOlB3MDAzSHNGWU80OjA6MTgw\n"
    "IBcNMjExMDEyMTEyMjExWhgPMjEyMTEwMTIxMTIyMTFaMIG5MQswCQYDVQQGEwJV\n"
    "UzETMBEGA1UECBMKQ2FsaWZvcm5pYTEWMBQGA1UEBxMNTW91bnRhaW4gVmlldzET\n"
    "MBEGA1UEChMKR29vZ2xlIExMQzEOMAwGA1UECxMFQ2xvdWQxWDBWBgNVBAMMT3Rw\n"
    "bV9la192MV9jbG91ZF9ob3N0LXNpZ25lci0wLTIwMjEtMTAtMTJUMDQ6MjI6MTEt\n"
    "MDc6MDAgSzoxLCAzOm5idmFHWkZMY3VjOjA6MTgwggEiMA0GCSqGSIb3DQEBAQUA\n"
    "A4IBDwAwggEKAoIBAQDvM90hFR7OBvS/U82Lw7hkWEsf0ut9rnvTaKHNK1Si+swz\n"
    "tPBgGU7/RveNRxVFgU6q5NZh/jnG1xl5H9D+1zHuThKOekQ7axUXpdcPtN3CXp+w\n"
    "kgkOTdZgbnn4jnDQibwyBQMuzfP+8jR8rcpAS5PGwpyr50IjgJB0428hrOr1hkfG\n"
    "s2OQ23eqcSGCniJtnnEkmNxijOAqvAoUanFWLmpEgNqLqSXohSFVMoS6VtiKHfC4\n"
    "5vb0RNkzSozEDnjC7qY9nnaBC4bweMgYTQeqjX/L+5ZPzYLPUTDuyD8/R3AiZlc6\n"
    "FlTkzK1avnPUg4D5SRx8gMoHr5meZ67g3HsnE9TzAgMBAAGjggENMIIBCTAOBgNV\n"
    "HQ8BAf8EBAMCAQYwEAYDVR0lBAkwBwYFZ4EFCAEwEgYDVR0TAQH/BAgwBgEB/wIB\n"
    "ADAdBgNVHQ4EFgQUZwjEdxH91YeE0ywda02Xg2CEJYAwHwYDVR0jBBgwFoAUZfTk\n"
    "5qr2/VrSiJyoU1X3AI4I96UwTQYIKwYBBQUHAQEEQTA/MD0GCCsGAQUFBzAChjFo\n"
    "dHRwOi8vcGtpLmdvb2cvY2xvdWRfaW50ZWdyaXR5L3RwbV9la19yb290XzEuY3J0\n"
    "MEIGA1UdHwQ7MDkwN6A1oDOGMWh0dHA6Ly9wa2kuZ29vZy9jbG91ZF9pbnRlZ3Jp\n"
    "dHkvdHBtX2VrX3Jvb3RfMS5jcmwwDQYJKoZIhvcNAQELBQADggIBANz3sNr/tCAu\n"
    "ov2t/76tSL0l5kvShhsXuvZd3TTUD0lkcUfVCDBSKD1C3us/MSl5CFEcZFs1PO3n\n"
    "kh6LzJZAgyiUcsMNv1VgPBofeTAXEzPdtgZoSTLW12e75zc2likR7CCVCZV9h6Po\n"
    "wR7FCNwBCMi6xt28Xp1SwL3OwrT+uPTDZYCcr7zPZhnwkB+Dm89TpCyCquXoic50\n"
    "dN2Uj3Js8ybEEWpkrEPR3d4nQwqIGuoZQcb4lwdfmDGRvRb1UUWUiGNk5XwJ74sC\n"
    "M6W3NTeq4ixgpKterqtVBenRrpfcNsgBw/eeLImdCCfCETWuHLHnZHxyirOAWxCI\n"
    "5zGObkezG62JiFlveFnTKf6C4UtK7oofSzVR8w75T+xPXXGx3OfR1zV4ry3n3lEQ\n"
    "Ra7T/Fp80B4/SSTH0sBbR5Gylzni+AbgA5pkrU7HN4xFRHpdPWEhQzf4llqxOhyr\n"
    "9qO0WIAuFgYEVlYDOdxK6+VOwbc/3jd0en9SsOyIAovlpyrtoCS62fNk2ZozBLKp\n"
    "Ba/57xS8pdjHZ6pl32ZbQ75IOY4L8tt+2oDRxsCSB+z1XoRaHbZ/t38GKZvmOfek\n"
    "j6Ey2keiyS/iYLV/hOxYo7ugXdovF+iE6i16LFkoaWWXiy7MJcWxlanbldRnAwnt\n"
    "SucAsnV1jW7XJnod7bPwgdoIkIBuT6Hd\n"
    "-----END CERTIFICATE-----\n"
;
static const uint8_t gce_tpm_ek_intermediate_3_sha256[32] = {
    0x71, 0x32, 0xb6, 0xea, 0x71, 0x10, 0x1f, 0x6c, 0x51, 0xbb, 0x58, 0xf9,
    0x8c, 0x37, 0x98, 0xc1, 0x9b, 0x65, 0xbe, 0x51, 0x0e, 0xca, 0x03, 0x44,
    0x31, 0x89, 0x00, 0x51, 0x0b, 0x59, 0x31, 0x78,
};

/* GCP EK/AK CA Intermediate v3 (2022) */
static const char gcp_ek_ak_ca_intermediate_v3_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIHIjCCBQqgAwIBAgITZ2viLuozn1JgaG2giK96ZF5cPzANBgkqhkiG9w0BAQsF\n"
    "ADB+MQswCQYDVQQGEwJVUzETMBEGA1UECBMKQ2FsaWZvcm5pYTEWMBQGA1UEBxMN\n"
    "TW91bnRhaW4gVmlldzETMBEGA1UEChMKR29vZ2xlIExMQzEVMBMGA1UECxMMR29v\n"
    "Z2xlIENsb3VkMRYwFAYDVQQDEw1FSy9BSyBDQSBSb290MCAXDTIyMDgyMzIyMjYy\n"
    "OVoYDzIxMjIwNzA4MDU1NzIzWjCBhjELMAkGA1UEBhMCVVMxEzARBgNVBAgTCkNh\n"
    "bGlmb3JuaWExFjAUBgNVBAcTDU1vdW50YWluIFZpZXcxEzARBgNVBAoTCkdvb2ds\n"
    "ZSBMTEMxFTATBgNVBAsTDEdvb2dsZSBDbG91ZDEeMBwGA1UEAxMVRUsvQUsgQ0Eg\n"
    "SW50ZXJtZWRpYXRlMIICIjANBgkqhkiG9w0BAQEFAAOCAg8AMIICCgKCAgEAoGMe\n"
    "14Bhqh9kWnHW0VnqNl+Iake9KUANTgC12z+8ULqciIvDoiw0ezQ1fP/pwKhNRxcV\n"
    "wP5+JgbJJluZw1lu1uV5trLs5yA/Er9CfVGX8CQF1TB7Zfv6Hf7hv7lv7eE986rd\n"
    "a1oM55hJXEt0L3BvWfVpPibBloktSqqbSVzrBJrtSFi9P+Hhku6Bw6Zt1T/8/z6O\n"
    "VdMbPNEhbPtCGFxmwyzKfb3wWU2YCIzZd7h53pV0ea1VJL3iGmRBJhC3Rkwvs3Qc\n"
    "SZYYENft6x42jWSK/t2WrrZknP2Q67OFlhVL/gMo0NJ6bczovY03yRTnoDcN6YXK\n"
    "qlc7iwPdUJn86jJHPL2s9KCWR/UDUGtb4PqZSaHQXA58N/tZSyQ48T0v+ar9CYVV\n"
    "AIOV93VJDn13j0lZLax1bAkbzl0I7il1S+W2wEVx+K3WUf/29aBhRLZ3Ddkyj/Ta\n"
    "8HxhMXpdOciddEXh2G4o/WaQAh3XCW8FGkKXjW8Ao7kBDBbpmCvlRvOtTBWetx9d\n"
    "IOGzUkX53s3R1soUvMeZAP8208fe06+TOj+k7Mcn5qY1XuALzAKhZlR9hGw1pjKE\n"
    "IUCKTJbfL+L2QDdP7OS2Kc2mBVQAcLu9PmaG++OZoVTlUrGd/6DBfKTEsN+aytWo\n"
    "CRkJKu8kTWYyaMhXAYD1C4yp5xLQMKyFImNXumUCAwEAAaOCAYwwggGIMA4GA1Ud\n"
    "DwEB/wQEAwIBBjAQBgNVHSUECTAHBgVngQUIATAPBgNVHRMBAf8EBTADAQH/MB0G\n"
    "A1UdDgQWBBTpZnNUZ2Yb791lv+XoXOORC5sFUjAfBgNVHSMEGDAWgBRJ50pbVin1\n"
    "nXm3pjA8A7KP5xTdTDCBjQYIKwYBBQUHAQEEgYAwfjB8BggrBgEFBQcwAoZwaHR0\n"
    "cDovL3ByaXZhdGVjYS1jb250ZW50LTYyZDcxNzczLTAwMDAtMjFkYS04NTJlLWY0\n"
    "ZjVlODBkNzc3OC5zdG9yYWdlLmdvb2dsZWFwaXMuY29tLzAzMmJmOWQzOWRiNGZh\n"
    "MDZhYWRlL2NhLmNydDCBggYDVR0fBHsweTB3oHWgc4ZxaHR0cDovL3ByaXZhdGVj\n"
    "YS1jb250ZW50LTYyZDcxNzczLTAwMDAtMjFkYS04NTJlLWY0ZjVlODBkNzc3OC5z\n"
    "dG9yYWdlLmdvb2dsZWFwaXMuY29tLzAzMmJmOWQzOWRiNGZhMDZhYWRlL2NybC5j\n"
    "cmwwDQYJKoZIhvcNAQELBQADggIBAJOunRNQRR4hxBRpzVWhAaSftC7mwvvys+p6\n"
    "ZmUpbYAObjsaxRX+aucZF2jofS1VDPQy7j0aj8wTIhz0qv6jEvkMZH/E5fb2rC/S\n"
    "Siqui51RwiTWi7Ry2XMuAbgG2suCirTL6O/iYed6vyJf07iysMK0o0bEeChEh3XP\n"
    "QNrl+Dcdrff4fUG6SGGgx0IXWJHD9qqU895rYXCyFhJe+QCtPHg/HnYX//yGlm7x\n"
    "hESYl0hgEVCITvu0YjNlKoBEiBMtHk0BHCeFkUm+pBydOjSl0BHUJs3UAJXuaYDp\n"
    "/CjpnnYfRo8EF2Xy5/bCqFU+jrjYLz1xbOh28H4kNudZ3KV9jQoM+lDqmeM7rq79\n"
    "r5ie1XfpC21tjxcAJktmxJP1hRpOtWoVtSJFLj05avqpDwt6AWDq2azquN7gjZFF\n"
    "/vNB6fbK+w/Yi7ArSLyo2z18vABWNEiV032NG0jrXXYWoc6l8bfXUxwG6Ntkj2L8\n"
    "p35ynxjR0mA73l7z920iBAl6rp15FfoR3LSzo1l+VaucnrWcnHow/kEFGqjtP8uE\n"
    "mzQc5Rq+5Xd5/64jEcomGKNh+6b0gY3Y67q2NlrFa6Fo9vfzDwqdYSYzENb/PR3u\n"
    "GFhkvoJzTWFXdsVypk0frMsX1chdbHOM4jzDNhHAbQNumH82E8avyKjepIf+EPC6\n"
    "1pmPeRHX\n"
    "-----END CERTIFICATE-----\n"
;
static const uint8_t gcp_ek_ak_ca_intermediate_v3_sha256[32] = {
    0xc8, 0x4d, 0xe8, 0x11, 0x6d, 0xfa, 0xf5, 0xa9, 0x08, 0xf2, 0x1e, 0x81,
    0x04, 0x87, 0x79, 0x1f, 0x54, 0x37, 0xe2, 0x06, 0xd0, 0x0a, 0xd8, 0x02,
    0x50, 0x50, 0xcc, 0xa6, 0xbd, 0x2f, 0xf6, 0x27,
};

static const vt__pin gce_pins[VT_GCE_TPM_ROOTS + VT_GCE_TPM_INTERMEDIATES] = {
    VT__PIN(gce_tpm_ek_root_1),         VT__PIN(gcp_ek_ak_ca_root),
    VT__PIN(gce_tpm_ek_intermediate_2), VT__PIN(gce_tpm_ek_intermediate_3),
    VT__PIN(gcp_ek_ak_ca_intermediate_v3),
};
static vt_x509 *gce_certs[VT_GCE_TPM_ROOTS + VT_GCE_TPM_INTERMEDIATES];
static vt__pinned_set gce = { gce_pins, VT_GCE_TPM_ROOTS + VT_GCE_TPM_INTERMEDIATES, "GCE vTPM CA certificates",
                              gce_certs, 0 };

vt_status vt__roots_gce_tpm(vt_x509 *out[VT_GCE_TPM_ROOTS], vt_err *err)
{
    vt_status rc = vt__pinned_load(&gce, err);

    if (rc != VT_OK)
        return rc;
    for (size_t i = 0; i < VT_GCE_TPM_ROOTS; i++)
        out[i] = gce_certs[i];
    return VT_OK;
}

vt_status vt__roots_gce_tpm_intermediates(vt_x509 *out[VT_GCE_TPM_INTERMEDIATES], vt_err *err)
{
    vt_status rc = vt__pinned_load(&gce, err);

    if (rc != VT_OK)
        return rc;
    for (size_t i = 0; i < VT_GCE_TPM_INTERMEDIATES; i++)
        out[i] = gce_certs[VT_GCE_TPM_ROOTS + i];
    return VT_OK;
}
