/*
 * NVIDIA GPU evidence from NVML (include/veritee/nvgpu.h).  libnvidia-ml is
 * opened with dlopen for each call and closed afterwards: nothing links
 * against it, so the program runs (and says why it cannot collect) on
 * machines without NVIDIA's driver.  NVML's structures are copied out of the
 * library's answer with vt_rd (tee/nvgpu_nvml.h), never trusted by size.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tee/nvgpu_nvml.h"
#include "tee/nvgpu_spdm.h"
#include "veritee/crypto.h"
#include "veritee/nvgpu.h"

#define NVML_SUCCESS 0
#define NVML_GPU_MAX 64u

typedef int (*nvml_void_fn)(void);
typedef int (*nvml_count_fn)(unsigned int *);
typedef int (*nvml_handle_fn)(unsigned int, void **);
typedef int (*nvml_state_fn)(vt__nvml_cc_state *);
typedef int (*nvml_driver_fn)(char *, unsigned int);
typedef int (*nvml_report_fn)(void *, vt__nvml_report *);
typedef int (*nvml_cert_fn)(void *, vt__nvml_certificate *);
typedef const char *(*nvml_errstr_fn)(int);

typedef struct nvml {
    void *so;
    nvml_void_fn shutdown;
    nvml_count_fn count;
    nvml_handle_fn handle;
    nvml_state_fn cc_state;
    nvml_driver_fn driver;
    nvml_report_fn report;
    nvml_cert_fn cert;
    nvml_errstr_fn errstr;
} nvml;

/* dlsym returns void *; POSIX guarantees it converts to a function pointer. */
static void *sym(void *so, const char *name)
{
    return dlsym(so, name);
}

static const char *nvml_err(const nvml *n, int rc)
{
    const char *s = n->errstr != NULL ? n->errstr(rc) : NULL;

    return s != NULL ? s : "error";
}

static void nvml_close(nvml *n)
{
    if (n->so != NULL) {
        if (n->shutdown != NULL)
            n->shutdown();
        dlclose(n->so);
    }
    memset(n, 0, sizeof(*n));
}

static vt_status nvml_open(nvml *n, const char *library, vt_err *err)
{
    const char *lib = library != NULL && library[0] != '\0' ? library : VT_NVML_DEFAULT_LIBRARY;
    nvml_void_fn init;
    int rc;

    memset(n, 0, sizeof(*n));
    n->so = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
    if (n->so == NULL)
        return vt_err_set(err, VT_E_UNSUPPORTED, "nvgpu: %s cannot be loaded (no NVIDIA driver?)", lib);
    *(void **)&init = sym(n->so, "nvmlInit_v2");
    *(void **)&n->shutdown = sym(n->so, "nvmlShutdown");
    *(void **)&n->count = sym(n->so, "nvmlDeviceGetCount_v2");
    *(void **)&n->handle = sym(n->so, "nvmlDeviceGetHandleByIndex_v2");
    *(void **)&n->cc_state = sym(n->so, "nvmlSystemGetConfComputeState");
    *(void **)&n->driver = sym(n->so, "nvmlSystemGetDriverVersion");
    *(void **)&n->report = sym(n->so, "nvmlDeviceGetConfComputeGpuAttestationReport");
    *(void **)&n->cert = sym(n->so, "nvmlDeviceGetConfComputeGpuCertificate");
    *(void **)&n->errstr = sym(n->so, "nvmlErrorString");
    if (init == NULL || n->shutdown == NULL || n->count == NULL || n->handle == NULL) {
        dlclose(n->so);
        n->so = NULL;
        return vt_err_set(err, VT_E_UNSUPPORTED, "nvgpu: %s lacks nvmlInit_v2 / nvmlDeviceGetCount_v2", lib);
    }
    rc = init();
    if (rc != NVML_SUCCESS) {
        vt_err_set(err, VT_E_UNSUPPORTED, "nvgpu: nvmlInit_v2 failed: %s (%d)", nvml_err(n, rc), rc);
        n->shutdown = NULL;
        dlclose(n->so);
        n->so = NULL;
        return VT_E_UNSUPPORTED;
    }
    return VT_OK;
}

static void status_fill(vt_nvgpu_status *out, nvml *n)
{
    vt__nvml_cc_state st;
    unsigned int count = 0;
    int rc;

    out->nvml = true;
    if (n->driver != NULL && n->driver(out->driver_version, sizeof(out->driver_version)) != NVML_SUCCESS)
        out->driver_version[0] = '\0';
    out->driver_version[sizeof(out->driver_version) - 1] = '\0';
    rc = n->count(&count);
    if (rc != NVML_SUCCESS) {
        snprintf(out->message, sizeof(out->message), "nvmlDeviceGetCount_v2 failed: %s", nvml_err(n, rc));
        return;
    }
    out->gpu_count = count;
    if (n->cc_state == NULL) {
        snprintf(out->message, sizeof(out->message), "this NVML has no nvmlSystemGetConfComputeState (driver too old "
                                                     "for confidential computing)");
        return;
    }
    memset(&st, 0, sizeof(st));
    rc = n->cc_state(&st);
    if (rc != NVML_SUCCESS) {
        snprintf(out->message, sizeof(out->message), "nvmlSystemGetConfComputeState failed: %s", nvml_err(n, rc));
        return;
    }
    out->cc_production = st.environment == 2;
    if (st.cc_feature == 0) {
        out->cc = VT_NVGPU_CC_OFF;
        snprintf(out->message, sizeof(out->message),
                 "confidential computing is off: GPUs give no attestation report (turn CC on, e.g. nvidia-smi "
                 "conf-compute -scc 1 with NVIDIA's tools, and reset the GPUs)");
        return;
    }
    out->cc = st.devtools != 0 ? VT_NVGPU_CC_DEVTOOLS : VT_NVGPU_CC_ON;
    if (out->cc == VT_NVGPU_CC_DEVTOOLS)
        snprintf(out->message, sizeof(out->message), "confidential computing is on in developer-tools mode (no "
                                                     "production secrets)");
}

void vt_nvgpu_status_get(vt_nvgpu_status *out, const char *library)
{
    nvml n;
    vt_err e = { 0 };

    memset(out, 0, sizeof(*out));
    if (nvml_open(&n, library, &e) != VT_OK) {
        snprintf(out->message, sizeof(out->message), "%s", e.msg);
        return;
    }
    status_fill(out, &n);
    nvml_close(&n);
}

vt_status vt__nvml_evidence(vt_buf *report_out, vt_buf *chain_pem_out, const uint8_t *rep, size_t rep_len,
                            const uint8_t *cert, size_t cert_len, const uint8_t nonce[VT_NVML_NONCE_SIZE],
                            vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt__nvgpu_evidence *ev = NULL;
    vt_x509 *certs[8] = { NULL };
    size_t ncerts = 0, report_off = 3 * sizeof(uint32_t) + VT_NVML_NONCE_SIZE, chain_off = 2 * sizeof(uint32_t) +
                                                                                             VT_NVML_CERT_CHAIN_SIZE;
    uint32_t cec = 0, size = 0, cec_size = 0, csize = 0, asize = 0;
    vt_rd r;

    if (rep == NULL || cert == NULL || rep_len != sizeof(vt__nvml_report) || cert_len != sizeof(vt__nvml_certificate))
        return vt_err_set(err, VT_E_FORMAT, "nvgpu: NVML report and certificate structures have the wrong size");
    vt_rd_init(&r, rep, rep_len);
    vt_rd_copy(&r, &cec, sizeof(cec));
    vt_rd_copy(&r, &size, sizeof(size));
    vt_rd_copy(&r, &cec_size, sizeof(cec_size));
    vt_rd_init(&r, cert, cert_len);
    vt_rd_copy(&r, &csize, sizeof(csize));
    vt_rd_copy(&r, &asize, sizeof(asize));
    if (size == 0 || size > VT_NVML_REPORT_SIZE)
        return vt_err_set(err, VT_E_LIMIT, "nvgpu: NVML attestationReportSize %u is 0 or above %u", size,
                          VT_NVML_REPORT_SIZE);
    if (cec > 1 || cec_size > VT_NVML_CEC_REPORT_SIZE)
        return vt_err_set(err, VT_E_FORMAT, "nvgpu: NVML CEC report flag %u / size %u out of range", cec, cec_size);
    if (csize > VT_NVML_CERT_CHAIN_SIZE || asize == 0 || asize > VT_NVML_ATTESTATION_CERT_CHAIN_SIZE)
        return vt_err_set(err, VT_E_LIMIT, "nvgpu: NVML certChainSize %u / attestationCertChainSize %u out of range",
                          csize, asize);
    ev = calloc(1, sizeof(*ev));
    if (ev == NULL)
        return vt_err_set(err, VT_E_NOMEM, "nvgpu: out of memory");
    rc = vt__nvgpu_parse(ev, rep + report_off, size, err);
    if (rc != VT_OK)
        goto out;
    if (!vt_ct_equal(ev->nonce, nonce, VT_NVML_NONCE_SIZE)) {
        rc = vt_err_set(err, VT_E_FORMAT, "nvgpu: the GPU's report is for another nonce than the one asked for");
        goto out;
    }
    rc = vt_x509_list_from_pem(certs, &ncerts, sizeof(certs) / sizeof(certs[0]), (const char *)cert + chain_off,
                               asize, err);
    if (rc == VT_OK && ncerts < 2)
        rc = vt_err_set(err, VT_E_FORMAT, "nvgpu: NVML attestation chain holds %zu certificate(s), want 2 or more",
                        ncerts);
    if (rc != VT_OK)
        goto out;
    rc = vt_buf_append(report_out, rep + report_off, size, err);
    if (rc == VT_OK) {
        rc = vt_buf_append(chain_pem_out, cert + chain_off, asize, err);
        if (rc != VT_OK)
            report_out->len -= size;
    }
out:
    for (size_t i = 0; i < ncerts; i++)
        vt_x509_free(certs[i]);
    free(ev);
    return rc;
}

vt_status vt_nvgpu_collect(vt_buf *report_out, vt_buf *chain_pem_out, unsigned index,
                           const uint8_t nonce[VT_NVGPU_NONCE_LEN], const char *library, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt_nvgpu_status st;
    vt__nvml_report *rep = NULL;
    vt__nvml_certificate *cert = NULL;
    void *dev = NULL;
    nvml n;
    int nr;

    if (report_out == NULL || chain_pem_out == NULL || nonce == NULL)
        return vt_err_set(err, VT_E_ARG, "nvgpu: collect needs outputs and a nonce");
    rc = nvml_open(&n, library, err);
    if (rc != VT_OK)
        return rc;
    memset(&st, 0, sizeof(st));
    status_fill(&st, &n);
    if (st.cc != VT_NVGPU_CC_ON && st.cc != VT_NVGPU_CC_DEVTOOLS) {
        rc = vt_err_set(err, VT_E_UNSUPPORTED, "nvgpu: %s", st.message[0] ? st.message : "confidential computing state unknown");
        goto out;
    }
    if (index >= st.gpu_count || index >= NVML_GPU_MAX) {
        rc = vt_err_set(err, VT_E_ARG, "nvgpu: GPU %u does not exist (%u GPUs)", index, st.gpu_count);
        goto out;
    }
    if (n.report == NULL || n.cert == NULL) {
        rc = vt_err_set(err, VT_E_UNSUPPORTED, "nvgpu: this NVML cannot give attestation reports (driver too old)");
        goto out;
    }
    rep = calloc(1, sizeof(*rep));
    cert = calloc(1, sizeof(*cert));
    if (rep == NULL || cert == NULL) {
        rc = vt_err_set(err, VT_E_NOMEM, "nvgpu: out of memory");
        goto out;
    }
    nr = n.handle(index, &dev);
    if (nr != NVML_SUCCESS) {
        rc = vt_err_set(err, VT_E_IO, "nvgpu: nvmlDeviceGetHandleByIndex_v2(%u): %s", index, nvml_err(&n, nr));
        goto out;
    }
    memcpy(rep->nonce, nonce, VT_NVML_NONCE_SIZE);
    nr = n.report(dev, rep);
    if (nr != NVML_SUCCESS) {
        rc = vt_err_set(err, VT_E_IO, "nvgpu: GPU %u: nvmlDeviceGetConfComputeGpuAttestationReport: %s", index,
                        nvml_err(&n, nr));
        goto out;
    }
    nr = n.cert(dev, cert);
    if (nr != NVML_SUCCESS) {
        rc = vt_err_set(err, VT_E_IO, "nvgpu: GPU %u: nvmlDeviceGetConfComputeGpuCertificate: %s", index,
                        nvml_err(&n, nr));
        goto out;
    }
    rc = vt__nvml_evidence(report_out, chain_pem_out, (const uint8_t *)rep, sizeof(*rep), (const uint8_t *)cert,
                           sizeof(*cert), nonce, err);
out:
    free(rep);
    free(cert);
    nvml_close(&n);
    return rc;
}
