/* AMD SEV-SNP on a Linux guest: detection and report collection.  configfs-tsm
 * (provider sev_guest) first: it also hands over the host's certificate table
 * in auxblob.  Without configfs-tsm, /dev/sev-guest: SNP_GET_EXT_REPORT when
 * the caller wants the certificate table (growing the buffer once to the size
 * the firmware asks for), else SNP_GET_REPORT, which returns the report alone.
 * The structs below are the kernel uapi (include/uapi/linux/sev-guest.h)
 * restated from evidence-formats 4.1, so the build needs no kernel headers;
 * the static asserts pin their sizes. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tee/collect.h"
#include "tee/tsm.h"

#define SNP_DEV "/dev/sev-guest"
#define SNP_REPORT_SIZE 1184u
#define SNP_REPORT_DATA_OFF 0x50u
#define SNP_RESP_LEN 4000u
#define SNP_RESP_HDR 32u
#define SNP_CERT_ENTRY_LEN 24u
#define SNP_CERT_ENTRIES_MAX 32u
#define SNP_PAGE 4096u
#define SNP_CERTS_FIRST (4u * SNP_PAGE) /* SEV_FW_BLOB_MAX_SIZE: what the driver takes in one go */
#define SNP_CERTS_MAX (16u * SNP_PAGE)  /* a larger request from the firmware is refused */
#define SNP_VMM_ERR_INVALID_LEN 1u      /* SNP_GUEST_VMM_ERR_INVALID_LEN: certs_len now holds the size needed */

struct snp_report_req {
    uint8_t user_data[64];
    uint32_t vmpl;
    uint8_t rsvd[28]; /* must be zero */
};

struct snp_report_resp {
    uint8_t data[SNP_RESP_LEN]; /* u32 status, u32 report_size, 24 reserved, then the report */
};

struct snp_guest_request_ioctl {
    uint8_t msg_version; /* must be non-zero: 1 */
    uint64_t req_data;
    uint64_t resp_data;
    uint64_t exitinfo2; /* low 32 bits: firmware error, high: VMM error */
};

struct snp_ext_report_req {
    struct snp_report_req data;
    uint64_t certs_address; /* user buffer for the certificate table */
    uint32_t certs_len;     /* a multiple of the page size; rewritten by the driver when too small */
};

_Static_assert(sizeof(struct snp_report_req) == 96, "snp_report_req is 96 bytes");
_Static_assert(sizeof(struct snp_ext_report_req) == 112, "snp_ext_report_req is 112 bytes");
_Static_assert(offsetof(struct snp_ext_report_req, certs_len) == 104, "certs_len at 104");
_Static_assert(sizeof(struct snp_guest_request_ioctl) == 32, "snp_guest_request_ioctl is 32 bytes");
_Static_assert(offsetof(struct snp_guest_request_ioctl, req_data) == 8, "req_data at 8");

#define SNP_GET_REPORT _IOWR('S', 0x0, struct snp_guest_request_ioctl)
_Static_assert(SNP_GET_REPORT == 0xC0205300u, "SNP_GET_REPORT is 0xC0205300");
#define SNP_GET_EXT_REPORT _IOWR('S', 0x2, struct snp_guest_request_ioctl)
_Static_assert(SNP_GET_EXT_REPORT == 0xC0205302u, "SNP_GET_EXT_REPORT is 0xC0205302");

void vt__sevsnp_detect(vt_hw_entry *hw, const char *sysroot)
{
    char path[4096], prov[64];
    struct stat st;
    bool dev, tsm;

    snprintf(path, sizeof(path), "%s" SNP_DEV, sysroot);
    dev = stat(path, &st) == 0;
    tsm = vt__tsm_present(sysroot, prov, sizeof(prov));
    hw->kind = VT_TEE_SEVSNP;
    hw->present = dev;
    snprintf(hw->evidence, sizeof(hw->evidence), SNP_DEV " %s; configfs-tsm %s", dev ? "present" : "absent",
             tsm ? "mounted" : "absent");
}

/* ---- certificate table ---- */

static const struct {
    uint8_t guid[16];
    const char *name;
} cert_guids[] = {
    /* 63da758d-e664-4564-adc5-f4b93be8accd */
    { { 0x63, 0xda, 0x75, 0x8d, 0xe6, 0x64, 0x45, 0x64, 0xad, 0xc5, 0xf4, 0xb9, 0x3b, 0xe8, 0xac, 0xcd }, "vcek.der" },
    /* a8074bc2-a25a-483e-aae6-39c045a0b8a1 */
    { { 0xa8, 0x07, 0x4b, 0xc2, 0xa2, 0x5a, 0x48, 0x3e, 0xaa, 0xe6, 0x39, 0xc0, 0x45, 0xa0, 0xb8, 0xa1 }, "vlek.der" },
    /* 4ab7b379-bbac-4fe4-a02f-05aef327c782 */
    { { 0x4a, 0xb7, 0xb3, 0x79, 0xbb, 0xac, 0x4f, 0xe4, 0xa0, 0x2f, 0x05, 0xae, 0xf3, 0x27, 0xc7, 0x82 }, "ask.der" },
    /* c0b406a4-a803-4952-9743-3fb6014cd0ae */
    { { 0xc0, 0xb4, 0x06, 0xa4, 0xa8, 0x03, 0x49, 0x52, 0x97, 0x43, 0x3f, 0xb6, 0x01, 0x4c, 0xd0, 0xae }, "ark.der" },
};

typedef struct cert_entry {
    const char *name; /* NULL: an entry we do not keep */
    uint32_t off, len;
} cert_entry;

vt_status vt__sevsnp_cert_table(vt_collateral *c, const uint8_t *p, size_t len, vt_err *err)
{
    static const uint8_t zero[SNP_CERT_ENTRY_LEN] = { 0 };
    cert_entry ent[SNP_CERT_ENTRIES_MAX];
    size_t n = 0, hdr_len, end;
    vt_status rc = VT_OK;
    vt_rd r;

    if (len == 0)
        return VT_OK; /* hosts often provide no certificates */
    vt_rd_init(&r, p, len);
    for (;;) {
        const uint8_t *e = vt_rd_take(&r, SNP_CERT_ENTRY_LEN);
        vt_rd er;

        if (e == NULL)
            return vt_err_set(err, VT_E_FORMAT, "sevsnp: certificate table of %zu bytes has no terminating entry",
                              len);
        if (memcmp(e, zero, sizeof(zero)) == 0)
            break;
        if (n == SNP_CERT_ENTRIES_MAX)
            return vt_err_set(err, VT_E_LIMIT, "sevsnp: certificate table has more than %u entries",
                              SNP_CERT_ENTRIES_MAX);
        ent[n].name = NULL;
        for (size_t g = 0; g < sizeof(cert_guids) / sizeof(cert_guids[0]); g++)
            if (memcmp(e, cert_guids[g].guid, 16) == 0)
                ent[n].name = cert_guids[g].name;
        vt_rd_init(&er, e + 16, 8);
        ent[n].off = vt_rd_u32le(&er);
        ent[n].len = vt_rd_u32le(&er);
        n++;
    }
    hdr_len = (n + 1) * SNP_CERT_ENTRY_LEN;
    for (size_t i = 0; i < n; i++) {
        if (ent[i].off < hdr_len || !vt_add_ok(ent[i].off, ent[i].len, &end) || end > len)
            return vt_err_set(err, VT_E_FORMAT,
                              "sevsnp: certificate table entry %zu (offset %u, length %u) is outside the %zu-byte "
                              "table",
                              i, ent[i].off, ent[i].len, len);
    }
    for (size_t i = 0; i < n && rc == VT_OK; i++)
        if (ent[i].name != NULL && ent[i].len > 0)
            rc = vt_collateral_add(c, ent[i].name, p + ent[i].off, ent[i].len, err);
    return rc;
}

/* ---- /dev/sev-guest ---- */

/* The report from a response: status 0, report_size 1184, report at 32. */
static vt_status resp_report(vt_buf *out, const struct snp_report_resp *resp, vt_err *err)
{
    uint32_t status, size;
    vt_rd r;

    vt_rd_init(&r, resp->data, sizeof(resp->data));
    status = vt_rd_u32le(&r);
    size = vt_rd_u32le(&r);
    vt_rd_skip(&r, SNP_RESP_HDR - 8);
    if (status != 0)
        return vt_err_set(err, VT_E_IO, "sevsnp: firmware refused the report request: status 0x%x", status);
    if (size != SNP_REPORT_SIZE)
        return vt_err_set(err, VT_E_FORMAT, "sevsnp: firmware returned a %u-byte report, not %u", size,
                          SNP_REPORT_SIZE);
    return vt_buf_append(out, vt_rd_take(&r, SNP_REPORT_SIZE), SNP_REPORT_SIZE, err);
}

static vt_status dev_open(int *fd, char *path, size_t path_len, const char *sysroot, vt_err *err)
{
    snprintf(path, path_len, "%s" SNP_DEV, sysroot);
    *fd = open(path, O_RDWR | O_CLOEXEC);
    if (*fd < 0)
        return vt_err_set(err, errno == ENOENT ? VT_E_UNSUPPORTED : VT_E_IO, "sevsnp: cannot open %s: %s", path,
                          strerror(errno));
    return VT_OK;
}

static vt_status ioctl_report(vt_buf *out, const char *sysroot, const uint8_t rd[64], vt_err *err)
{
    struct snp_report_req req;
    struct snp_report_resp resp;
    struct snp_guest_request_ioctl io;
    char path[4096];
    int fd = -1, ret, e;
    vt_status rc = dev_open(&fd, path, sizeof(path), sysroot, err);

    if (rc != VT_OK)
        return rc;
    memset(&req, 0, sizeof(req));
    memset(&resp, 0, sizeof(resp));
    memset(&io, 0, sizeof(io));
    memcpy(req.user_data, rd, 64);
    req.vmpl = 0;
    io.msg_version = 1;
    io.req_data = (uint64_t)(uintptr_t)&req;
    io.resp_data = (uint64_t)(uintptr_t)&resp;
    ret = ioctl(fd, SNP_GET_REPORT, &io);
    e = errno;
    close(fd);
    if (ret != 0)
        return vt_err_set(err, VT_E_IO, "sevsnp: SNP_GET_REPORT on %s failed: %s (firmware error 0x%x, vmm error 0x%x)",
                          path, strerror(e), (unsigned)(io.exitinfo2 & 0xffffffffu), (unsigned)(io.exitinfo2 >> 32));
    return resp_report(out, &resp, err);
}

/* MSG_KEY_REQ / MSG_KEY_RSP (SEV-SNP ABI 7.2; kernel struct snp_derived_key_req). */
struct snp_derived_key_req {
    uint32_t root_key_select; /* 0: VCEK */
    uint32_t rsvd;
    uint64_t guest_field_select;
    uint32_t vmpl;
    uint32_t guest_svn;
    uint64_t tcb_version;
};
_Static_assert(sizeof(struct snp_derived_key_req) == 32, "snp_derived_key_req is 32 bytes");
#define SNP_GET_DERIVED_KEY _IOWR('S', 0x1, struct snp_guest_request_ioctl)
_Static_assert(SNP_GET_DERIVED_KEY == 0xC0205301u, "SNP_GET_DERIVED_KEY is 0xC0205301");

vt_status vt__sevsnp_derived_key(uint8_t out[32], const char *sysroot, uint64_t field_select, vt_err *err)
{
    struct snp_derived_key_req req;
    uint8_t resp[64]; /* u32 status, 28 reserved, the key at 0x20 */
    struct snp_guest_request_ioctl io;
    char path[4096];
    uint32_t status;
    int fd = -1, ret, e;
    vt_status rc;

    memset(out, 0, 32);
    rc = dev_open(&fd, path, sizeof(path), sysroot != NULL ? sysroot : "", err);
    if (rc != VT_OK)
        return rc;
    memset(&req, 0, sizeof(req));
    memset(resp, 0, sizeof(resp));
    memset(&io, 0, sizeof(io));
    req.root_key_select = 0;
    req.guest_field_select = field_select;
    io.msg_version = 1;
    io.req_data = (uint64_t)(uintptr_t)&req;
    io.resp_data = (uint64_t)(uintptr_t)resp;
    ret = ioctl(fd, SNP_GET_DERIVED_KEY, &io);
    e = errno;
    close(fd);
    memcpy(&status, resp, 4);
    if (ret != 0)
        rc = vt_err_set(err, VT_E_IO,
                        "sevsnp: SNP_GET_DERIVED_KEY on %s failed: %s (firmware error 0x%x, vmm error 0x%x)", path,
                        strerror(e), (unsigned)(io.exitinfo2 & 0xffffffffu), (unsigned)(io.exitinfo2 >> 32));
    else if (status != 0)
        rc = vt_err_set(err, VT_E_IO, "sevsnp: firmware refused the derived key request: status 0x%x", status);
    else
        memcpy(out, resp + 0x20, 32);
    vt_wipe(resp, sizeof(resp));
    return rc;
}

/*
 * SNP_GET_EXT_REPORT: the report, and the host's certificate table appended
 * to certs.  When the buffer is too small the driver fails with EIO, vmm
 * error INVALID_LEN and the size it needs in certs_len: asked once more with
 * that size, never in a loop (other failures make the driver drop the VMPCK,
 * so nothing else is retried).  A kernel that refuses the request (EINVAL,
 * ENOTTY) gets the plain SNP_GET_REPORT, and no certificates.
 */
static vt_status ioctl_ext_report(vt_buf *out, vt_buf *certs, const char *sysroot, const uint8_t rd[64], vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    struct snp_ext_report_req req;
    struct snp_report_resp *resp = NULL;
    struct snp_guest_request_ioctl io;
    uint8_t *buf = NULL;
    uint32_t len = SNP_CERTS_FIRST;
    char path[4096];
    int fd = -1, ret = -1, e = 0;

    rc = dev_open(&fd, path, sizeof(path), sysroot, err);
    if (rc != VT_OK)
        return rc;
    resp = calloc(1, sizeof(*resp));
    if (resp == NULL) {
        rc = vt_err_set(err, VT_E_NOMEM, "sevsnp: out of memory");
        goto out;
    }
    for (int attempt = 0; attempt < 2; attempt++) {
        free(buf);
        buf = calloc(1, len);
        if (buf == NULL) {
            rc = vt_err_set(err, VT_E_NOMEM, "sevsnp: out of memory");
            goto out;
        }
        memset(&req, 0, sizeof(req));
        memset(resp, 0, sizeof(*resp));
        memset(&io, 0, sizeof(io));
        memcpy(req.data.user_data, rd, 64);
        req.certs_address = (uint64_t)(uintptr_t)buf;
        req.certs_len = len;
        io.msg_version = 1;
        io.req_data = (uint64_t)(uintptr_t)&req;
        io.resp_data = (uint64_t)(uintptr_t)resp;
        ret = ioctl(fd, SNP_GET_EXT_REPORT, &io);
        e = errno;
        if (ret == 0 || attempt > 0 || e != EIO || (io.exitinfo2 >> 32) != SNP_VMM_ERR_INVALID_LEN)
            break;
        if (req.certs_len <= len || req.certs_len > SNP_CERTS_MAX || req.certs_len % SNP_PAGE != 0) {
            rc = vt_err_set(err, VT_E_IO,
                            "sevsnp: SNP_GET_EXT_REPORT asks for a %u-byte certificate buffer (had %u, at most %u)",
                            req.certs_len, len, SNP_CERTS_MAX);
            goto out;
        }
        len = req.certs_len; /* buffer too small: once more with the size the firmware asked for */
    }
    if (ret != 0 && (e == EINVAL || e == ENOTTY) && (io.exitinfo2 >> 32) != SNP_VMM_ERR_INVALID_LEN) {
        close(fd);
        fd = -1;
        rc = ioctl_report(out, sysroot, rd, err);
        goto out;
    }
    if (ret != 0) {
        rc = vt_err_set(err, VT_E_IO,
                        "sevsnp: SNP_GET_EXT_REPORT on %s failed: %s (firmware error 0x%x, vmm error 0x%x, "
                        "certs_len %u)",
                        path, strerror(e), (unsigned)(io.exitinfo2 & 0xffffffffu), (unsigned)(io.exitinfo2 >> 32),
                        req.certs_len);
        goto out;
    }
    rc = resp_report(out, resp, err);
    if (rc == VT_OK)
        rc = vt_buf_append(certs, buf, len, err);
out:
    if (fd >= 0)
        close(fd);
    free(buf);
    free(resp);
    return rc;
}

/* ---- collection ---- */

vt_status vt__sevsnp_collect(const vt__collect_req *req, vt_buf *out, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    const vt_collect_opts *o = req->opts;
    const char *sysroot = o->sysroot == NULL ? "" : o->sysroot;
    size_t start = out->len;
    char prov[64];
    vt_buf aux;
    bool tsm;

    vt_buf_init(&aux);
    tsm = vt__tsm_present(sysroot, prov, sizeof(prov));
    if (tsm)
        rc = vt__tsm_report(out, o->certs_out != NULL ? &aux : NULL, sysroot, o->tsm_instance, o->report_data,
                            "sev_guest", err);
    else if (o->certs_out != NULL)
        rc = ioctl_ext_report(out, &aux, sysroot, o->report_data, err);
    else
        rc = ioctl_report(out, sysroot, o->report_data, err);
    if (rc != VT_OK)
        goto out;
    if (out->len - start != SNP_REPORT_SIZE) {
        rc = vt_err_set(err, VT_E_FORMAT, "sevsnp: the kernel returned %zu bytes, not a %u-byte report",
                        out->len - start, SNP_REPORT_SIZE);
        goto out;
    }
    /* A report for other user data means someone else's request answered ours. */
    if (memcmp(out->data + start + SNP_REPORT_DATA_OFF, o->report_data, 64) != 0) {
        rc = vt_err_set(err, VT_E_IO, "sevsnp: report_data in the report differs from the one requested");
        goto out;
    }
    if (o->certs_out != NULL)
        rc = vt__sevsnp_cert_table(o->certs_out, aux.data, aux.len, err);
out:
    if (rc != VT_OK)
        out->len = start;
    vt_buf_free(&aux);
    return rc;
}
