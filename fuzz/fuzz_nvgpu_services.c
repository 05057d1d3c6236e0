/* libFuzzer: what NVIDIA GPU verification and collection read from outside:
 * a RIM service answer (JSON, base64 RIM) and the NVML structures the driver
 * fills (attestation report and certificate chain).  The first input byte
 * picks the parser. */
#include <string.h>

#include "tee/nvgpu_fetch.h"
#include "tee/nvgpu_nvml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static vt__nvml_report rep;
static vt__nvml_certificate cert;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vt_buf a, b;
    uint8_t nonce[VT_NVML_NONCE_SIZE];

    if (size < 1)
        return 0;
    vt_buf_init(&a);
    vt_buf_init(&b);
    if (data[0] & 1) {
        if (vt__nvgpu_rim_service_decode(&a, data + 1, size - 1, (data[0] & 2) ? "NV_GPU_DRIVER_GH100_545.00" : NULL,
                                         NULL) == VT_OK &&
            a.len == 0)
            __builtin_trap();
    } else {
        size_t n = size - 1, half = n / 2;

        memset(&rep, 0, sizeof(rep));
        memset(&cert, 0, sizeof(cert));
        memcpy(&rep, data + 1, half < sizeof(rep) ? half : sizeof(rep));
        memcpy(&cert, data + 1 + half, n - half < sizeof(cert) ? n - half : sizeof(cert));
        memcpy(nonce, rep.report + 4, sizeof(nonce)); /* the request nonce, so that parsing goes on */
        if (vt__nvml_evidence(&a, &b, (const uint8_t *)&rep, sizeof(rep), (const uint8_t *)&cert, sizeof(cert), nonce,
                              NULL) == VT_OK &&
            (a.len == 0 || b.len == 0))
            __builtin_trap();
    }
    vt_buf_free(&a);
    vt_buf_free(&b);
    return 0;
}
