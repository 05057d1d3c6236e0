/*
 * A stand-in libnvidia-ml for tests: the NVML entry points veritee uses, with
 * the layout of the driver's nvml.h, answering from files.  It serves a real
 * GPU's bytes (the report and chain of ../shared/vectors): it cannot sign, so
 * its report carries the nonce it was captured with, whatever is asked.
 *
 *   VT_NVML_STANDIN_DIR   directory with report.bin and certchain.pem
 *   VT_NVML_STANDIN_CC    on (default), off, devtools
 *   VT_NVML_STANDIN_GPUS  GPU count (default 1)
 *   VT_NVML_STANDIN_FAIL  init, report or cert: that call fails
 *   VT_NVML_STANDIN_SIZE  a report size to claim instead of the file's
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct { unsigned int environment, ccFeature, devToolsMode; } cc_state;
typedef struct {
    unsigned int certChainSize, attestationCertChainSize;
    unsigned char certChain[0x1000], attestationCertChain[0x1400];
} certificate;
typedef struct {
    unsigned int isCecAttestationReportPresent, attestationReportSize, cecAttestationReportSize;
    unsigned char nonce[0x20], attestationReport[0x2000], cecAttestationReport[0x1000];
} report;

/* NVML's entry points (nvml.h), exported by this library. */
int nvmlInit_v2(void);
int nvmlShutdown(void);
const char *nvmlErrorString(int rc);
int nvmlSystemGetDriverVersion(char *v, unsigned int len);
int nvmlDeviceGetCount_v2(unsigned int *n);
int nvmlDeviceGetHandleByIndex_v2(unsigned int i, void **dev);
int nvmlSystemGetConfComputeState(cc_state *s);
int nvmlDeviceGetConfComputeGpuAttestationReport(void *dev, report *r);
int nvmlDeviceGetConfComputeGpuCertificate(void *dev, certificate *c);

static const char *env(const char *k, const char *d)
{
    const char *v = getenv(k);
    return v != NULL && v[0] != '\0' ? v : d;
}

static int fails(const char *what)
{
    return strcmp(env("VT_NVML_STANDIN_FAIL", ""), what) == 0;
}

static size_t slurp(unsigned char *out, size_t cap, const char *name)
{
    char path[4096];
    FILE *f;
    size_t n;

    snprintf(path, sizeof(path), "%s/%s", env("VT_NVML_STANDIN_DIR", "."), name);
    f = fopen(path, "rb");
    if (f == NULL)
        return 0;
    n = fread(out, 1, cap, f);
    fclose(f);
    return n;
}

int nvmlInit_v2(void) { return fails("init") ? 9 /* NVML_ERROR_DRIVER_NOT_LOADED */ : 0; }
int nvmlShutdown(void) { return 0; }
const char *nvmlErrorString(int rc) { return rc == 0 ? "Success" : "stand-in failure"; }

int nvmlSystemGetDriverVersion(char *v, unsigned int len)
{
    snprintf(v, len, "%s", "545.00 (stand-in)");
    return 0;
}

int nvmlDeviceGetCount_v2(unsigned int *n)
{
    *n = (unsigned int)atoi(env("VT_NVML_STANDIN_GPUS", "1"));
    return 0;
}

int nvmlDeviceGetHandleByIndex_v2(unsigned int i, void **dev)
{
    *dev = (void *)(unsigned long)(0x1000 + i);
    return 0;
}

int nvmlSystemGetConfComputeState(cc_state *s)
{
    const char *cc = env("VT_NVML_STANDIN_CC", "on");

    s->environment = 2;
    s->ccFeature = strcmp(cc, "off") != 0;
    s->devToolsMode = strcmp(cc, "devtools") == 0;
    return 0;
}

int nvmlDeviceGetConfComputeGpuAttestationReport(void *dev, report *r)
{
    (void)dev;
    if (fails("report"))
        return 3; /* NVML_ERROR_NOT_SUPPORTED */
    r->isCecAttestationReportPresent = 0;
    r->cecAttestationReportSize = 0;
    r->attestationReportSize = (unsigned int)slurp(r->attestationReport, sizeof(r->attestationReport), "report.bin");
    if (getenv("VT_NVML_STANDIN_SIZE") != NULL)
        r->attestationReportSize = (unsigned int)strtoul(getenv("VT_NVML_STANDIN_SIZE"), NULL, 10);
    return r->attestationReportSize > 0 ? 0 : 999;
}

int nvmlDeviceGetConfComputeGpuCertificate(void *dev, certificate *c)
{
    (void)dev;
    if (fails("cert"))
        return 3;
    c->certChainSize = 0;
    c->attestationCertChainSize =
        (unsigned int)slurp(c->attestationCertChain, sizeof(c->attestationCertChain), "certchain.pem");
    return c->attestationCertChainSize > 0 ? 0 : 999;
}
