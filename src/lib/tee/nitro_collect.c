/* AWS Nitro Enclaves inside an enclave: detection and attestation through
 * /dev/nsm.  The driver's one ioctl, NSM_IOCTL_RAW, takes a CBOR request and
 * returns a CBOR response (evidence-formats 5.1); the structs below restate
 * the kernel uapi (include/uapi/linux/nsm.h) so the build needs no kernel
 * headers.  The driver copies min(our buffer, its response) and says nothing
 * when that cuts the response short, so our buffer is larger than anything
 * the device can return and a response that fills it is refused. */
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
#include "tee/nitro_doc.h"

#define NSM_DEV "/dev/nsm"
#define NSM_REQUEST_MAX 0x1000u            /* the driver refuses larger requests (EMSGSIZE) */
#define NSM_RESPONSE_MAX (NITRO_DOC_MAX + 64u) /* device responses are at most 0x3000 bytes */
#define NSM_ERROR_MAX 64

struct nsm_iovec {
    uint64_t addr;
    uint64_t len;
};

struct nsm_raw {
    struct nsm_iovec request;
    struct nsm_iovec response; /* len: in, our buffer size; out, bytes copied */
};

_Static_assert(sizeof(struct nsm_raw) == 32, "nsm_raw is 32 bytes");
_Static_assert(offsetof(struct nsm_raw, response) == 16, "response at 16");

#define NSM_IOCTL_RAW _IOWR(0x0A, 0, struct nsm_raw)
_Static_assert(NSM_IOCTL_RAW == 0xC0200A00u, "NSM_IOCTL_RAW is 0xC0200A00");

void vt__nitro_detect(vt_hw_entry *hw, const char *sysroot)
{
    char path[4096];
    struct stat st;
    bool dev;

    snprintf(path, sizeof(path), "%s" NSM_DEV, sysroot);
    dev = stat(path, &st) == 0;
    hw->kind = VT_TEE_NITRO;
    hw->present = dev;
    snprintf(hw->evidence, sizeof(hw->evidence), NSM_DEV " %s", dev ? "present" : "absent");
}

/* ---- CBOR, just the shapes the NSM speaks ---- */

static vt_status put_head(vt_buf *b, unsigned major, size_t v, vt_err *err)
{
    uint8_t h[3];
    size_t n;

    if (v < 24) {
        h[0] = (uint8_t)(major << 5 | v);
        n = 1;
    } else if (v <= 0xff) {
        h[0] = (uint8_t)(major << 5 | 24);
        h[1] = (uint8_t)v;
        n = 2;
    } else {
        h[0] = (uint8_t)(major << 5 | 25); /* every field is <= 1024 bytes */
        h[1] = (uint8_t)(v >> 8);
        h[2] = (uint8_t)v;
        n = 3;
    }
    return vt_buf_append(b, h, n, err);
}

static vt_status put_text(vt_buf *b, const char *s, vt_err *err)
{
    vt_status rc = put_head(b, 3, strlen(s), err);
    return rc == VT_OK ? vt_buf_append(b, s, strlen(s), err) : rc;
}

static vt_status put_opt(vt_buf *b, const char *key, const uint8_t *p, size_t len, vt_err *err)
{
    static const uint8_t null = 0xf6;
    vt_status rc = put_text(b, key, err);

    if (rc != VT_OK)
        return rc;
    if (p == NULL)
        return vt_buf_append(b, &null, 1, err);
    rc = put_head(b, 2, len, err);
    return rc == VT_OK && len > 0 ? vt_buf_append(b, p, len, err) : rc;
}

/* {"Attestation": {"user_data": ..., "nonce": ..., "public_key": ...}} */
vt_status vt__nsm_request(vt_buf *out, const uint8_t *nonce, size_t nonce_len, const uint8_t *user_data,
                          size_t user_data_len, const uint8_t *public_key, size_t public_key_len, vt_err *err)
{
    vt_status rc;

    if (nonce_len > NITRO_OPT_MAX || user_data_len > NITRO_OPT_MAX || public_key_len > NITRO_OPT_MAX)
        return vt_err_set(err, VT_E_ARG, "nitro: nonce, user_data and public_key are at most %d bytes each",
                          NITRO_OPT_MAX);
    rc = put_head(out, 5, 1, err);
    if (rc == VT_OK)
        rc = put_text(out, "Attestation", err);
    if (rc == VT_OK)
        rc = put_head(out, 5, 3, err);
    if (rc == VT_OK)
        rc = put_opt(out, "user_data", user_data, user_data_len, err);
    if (rc == VT_OK)
        rc = put_opt(out, "nonce", nonce, nonce_len, err);
    if (rc == VT_OK)
        rc = put_opt(out, "public_key", public_key, public_key_len, err);
    if (rc == VT_OK && out->len > NSM_REQUEST_MAX)
        rc = vt_err_set(err, VT_E_LIMIT, "nitro: NSM request of %zu bytes is over the driver's %u", out->len,
                        NSM_REQUEST_MAX);
    return rc;
}

/* One definite head; false for anything else (indefinite, reserved, 8-byte lengths). */
static bool get_head(vt_rd *r, unsigned *major, size_t *v)
{
    uint8_t b = vt_rd_u8(r);
    unsigned ai = b & 0x1f;

    *major = b >> 5;
    if (ai < 24)
        *v = ai;
    else if (ai == 24)
        *v = vt_rd_u8(r);
    else if (ai == 25)
        *v = vt_rd_u16be(r);
    else if (ai == 26)
        *v = vt_rd_u32be(r);
    else
        return false;
    return vt_rd_ok(r);
}

static bool get_text(vt_rd *r, const char *want)
{
    unsigned major;
    size_t n;
    const uint8_t *s;

    if (!get_head(r, &major, &n) || major != 3 || n != strlen(want))
        return false;
    s = vt_rd_take(r, n);
    return s != NULL && memcmp(s, want, n) == 0;
}

/* {"Attestation": {"document": bstr}} -> the document; {"Error": text} -> VT_E_IO naming it. */
vt_status vt__nsm_response(vt_buf *doc_out, const uint8_t *p, size_t len, vt_err *err)
{
    vt_rd r, k;
    unsigned major;
    size_t n;
    const uint8_t *doc;

    vt_rd_init(&r, p, len);
    if (!get_head(&r, &major, &n) || major != 5 || n != 1)
        return vt_err_set(err, VT_E_FORMAT, "nitro: NSM response is not a one-entry CBOR map");
    k = r;
    if (get_text(&k, "Error")) {
        char msg[NSM_ERROR_MAX + 1];
        const uint8_t *s;

        if (!get_head(&k, &major, &n) || major != 3 || n > NSM_ERROR_MAX || (s = vt_rd_take(&k, n)) == NULL ||
            !vt_rd_ok_and_empty(&k))
            return vt_err_set(err, VT_E_FORMAT, "nitro: NSM error response is malformed");
        for (size_t i = 0; i < n; i++)
            msg[i] = s[i] >= 0x20 && s[i] < 0x7f ? (char)s[i] : '?';
        msg[n] = '\0';
        return vt_err_set(err, VT_E_IO, "nitro: the NSM refused the attestation request: %s", msg);
    }
    if (!get_text(&r, "Attestation") || !get_head(&r, &major, &n) || major != 5 || n != 1 ||
        !get_text(&r, "document") || !get_head(&r, &major, &n) || major != 2)
        return vt_err_set(err, VT_E_FORMAT, "nitro: NSM response is not {\"Attestation\": {\"document\": bstr}}");
    if (n > NITRO_DOC_MAX)
        return vt_err_set(err, VT_E_LIMIT, "nitro: NSM document of %zu bytes is over %d", n, NITRO_DOC_MAX);
    doc = vt_rd_take(&r, n);
    if (doc == NULL || !vt_rd_ok_and_empty(&r))
        return vt_err_set(err, VT_E_FORMAT, "nitro: NSM response of %zu bytes is truncated or has trailing bytes",
                          len);
    return vt_buf_append(doc_out, doc, n, err);
}

/* The document must answer our request: same nonce, user_data, public_key. */
static vt_status check_echo(const uint8_t *doc, size_t len, const vt_collect_opts *o, vt_err *err)
{
    vt_status rc;
    vt__nitro_doc *d = calloc(1, sizeof(*d));
    bool ok;

    if (d == NULL)
        return vt_err_set(err, VT_E_NOMEM, "nitro: out of memory");
    rc = vt__nitro_doc_parse(d, doc, len, err);
    if (rc == VT_OK) {
        ok = d->nonce.present && d->nonce.len == VT_REPORT_DATA_LEN &&
             memcmp(d->nonce.data, o->report_data, VT_REPORT_DATA_LEN) == 0;
        ok = ok && d->user_data.present == (o->user_data != NULL) &&
             (o->user_data == NULL ||
              (d->user_data.len == o->user_data_len && memcmp(d->user_data.data, o->user_data, o->user_data_len) == 0));
        ok = ok && d->public_key.present == (o->public_key != NULL) &&
             (o->public_key == NULL || (d->public_key.len == o->public_key_len &&
                                        memcmp(d->public_key.data, o->public_key, o->public_key_len) == 0));
        if (!ok)
            rc = vt_err_set(err, VT_E_IO, "nitro: the NSM document does not carry the nonce, user_data and "
                                          "public_key requested");
    }
    free(d);
    return rc;
}

/* One request/response through NSM_IOCTL_RAW on <sysroot>/dev/nsm; resp_out gets the raw response. */
static vt_status nsm_call(vt_buf *resp_out, const char *sysroot, const vt_buf *rq, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    struct nsm_raw raw;
    char path[4096];
    int fd, ret, e;

    snprintf(path, sizeof(path), "%s" NSM_DEV, sysroot == NULL ? "" : sysroot);
    rc = vt_buf_reserve(resp_out, NSM_RESPONSE_MAX, err);
    if (rc != VT_OK)
        return rc;
    fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return vt_err_set(err, errno == ENOENT ? VT_E_UNSUPPORTED : VT_E_IO, "nitro: cannot open %s: %s", path,
                          strerror(errno));
    memset(&raw, 0, sizeof(raw));
    raw.request.addr = (uint64_t)(uintptr_t)rq->data;
    raw.request.len = rq->len;
    raw.response.addr = (uint64_t)(uintptr_t)(resp_out->data + resp_out->len);
    raw.response.len = NSM_RESPONSE_MAX;
    ret = ioctl(fd, NSM_IOCTL_RAW, &raw);
    e = errno;
    close(fd);
    if (ret != 0)
        return vt_err_set(err, VT_E_IO, "nitro: NSM_IOCTL_RAW on %s failed: %s", path, strerror(e));
    if (raw.response.len >= NSM_RESPONSE_MAX)
        return vt_err_set(err, VT_E_IO, "nitro: NSM response filled the whole %u-byte buffer: it may be truncated",
                          NSM_RESPONSE_MAX);
    resp_out->len += (size_t)raw.response.len;
    return VT_OK;
}

vt_status vt__nitro_collect(const vt__collect_req *req, vt_buf *out, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    const vt_collect_opts *o = req->opts;
    size_t start = out->len;
    vt_buf rq, resp;

    vt_buf_init(&rq);
    vt_buf_init(&resp);
    /* The 64-byte report_data is the nonce: the verifier reads it back as report_data. */
    rc = vt__nsm_request(&rq, o->report_data, VT_REPORT_DATA_LEN, o->user_data, o->user_data_len, o->public_key,
                         o->public_key_len, err);
    if (rc == VT_OK)
        rc = nsm_call(&resp, o->sysroot, &rq, err);
    if (rc == VT_OK)
        rc = vt__nsm_response(out, resp.data, resp.len, err);
    if (rc == VT_OK)
        rc = check_echo(out->data + start, out->len - start, o, err);
    if (rc != VT_OK)
        out->len = start;
    vt_buf_free(&resp);
    vt_buf_free(&rq);
    return rc;
}

/* ---- the NSM's PCRs: the gateway's measurement register (nitro_register.c) ---- */

/* {"ExtendPCR": {"index": i, "data": bstr}} / {"LockPCR": {"index": i}} */
vt_status vt__nsm_pcr_request(vt_buf *out, bool lock, unsigned index, const uint8_t *data, size_t len, vt_err *err)
{
    vt_status rc;

    if (index >= NITRO_PCR_MAX || (!lock && (data == NULL || len == 0 || len > NITRO_OPT_MAX)))
        return vt_err_set(err, VT_E_ARG, "nitro: PCR index %u (0..%d) or extend data of %zu bytes (1..%d)", index,
                          NITRO_PCR_MAX - 1, len, NITRO_OPT_MAX);
    rc = put_head(out, 5, 1, err);
    if (rc == VT_OK)
        rc = put_text(out, lock ? "LockPCR" : "ExtendPCR", err);
    if (rc == VT_OK)
        rc = put_head(out, 5, lock ? 1 : 2, err);
    if (rc == VT_OK)
        rc = put_text(out, "index", err);
    if (rc == VT_OK)
        rc = put_head(out, 0, index, err);
    if (rc == VT_OK && !lock)
        rc = put_opt(out, "data", data, len, err);
    return rc;
}

/* {"Error": text} as VT_E_IO naming the code; false when r is not an error response. */
static bool nsm_error(vt_status *rc, vt_rd r, const char *what, vt_err *err)
{
    unsigned major;
    size_t n;
    const uint8_t *s;
    char msg[NSM_ERROR_MAX + 1];

    if (!get_head(&r, &major, &n) || major != 5 || n != 1 || !get_text(&r, "Error"))
        return false;
    if (!get_head(&r, &major, &n) || major != 3 || n > NSM_ERROR_MAX || (s = vt_rd_take(&r, n)) == NULL ||
        !vt_rd_ok_and_empty(&r)) {
        *rc = vt_err_set(err, VT_E_FORMAT, "nitro: NSM error response is malformed");
        return true;
    }
    for (size_t i = 0; i < n; i++)
        msg[i] = s[i] >= 0x20 && s[i] < 0x7f ? (char)s[i] : '?';
    msg[n] = '\0';
    *rc = vt_err_set(err, VT_E_IO, "nitro: the NSM refused %s: %s", what, msg);
    return true;
}

/* ExtendPCR: {"ExtendPCR": {"data": bstr(48)}}; LockPCR: the text "LockPCR" (a unit variant). */
vt_status vt__nsm_pcr_response(uint8_t *out, bool lock, const uint8_t *p, size_t len, vt_err *err)
{
    vt_status rc = VT_OK;
    vt_rd r;
    unsigned major;
    size_t n;

    vt_rd_init(&r, p, len);
    if (nsm_error(&rc, r, lock ? "LockPCR" : "ExtendPCR", err))
        return rc;
    if (lock)
        return get_text(&r, "LockPCR") && vt_rd_ok_and_empty(&r)
                   ? VT_OK
                   : vt_err_set(err, VT_E_FORMAT, "nitro: NSM LockPCR response is not \"LockPCR\"");
    if (!get_head(&r, &major, &n) || major != 5 || n != 1 || !get_text(&r, "ExtendPCR") ||
        !get_head(&r, &major, &n) || major != 5 || n != 1 || !get_text(&r, "data") || !get_head(&r, &major, &n) ||
        major != 2 || n != NITRO_PCR_LEN)
        return vt_err_set(err, VT_E_FORMAT, "nitro: NSM ExtendPCR response is not {\"ExtendPCR\": {\"data\": bstr(48)}}");
    vt_rd_copy(&r, out, NITRO_PCR_LEN);
    if (!vt_rd_ok_and_empty(&r))
        return vt_err_set(err, VT_E_FORMAT, "nitro: NSM ExtendPCR response of %zu bytes is truncated or has trailing bytes",
                          len);
    return VT_OK;
}

vt_status vt__nsm_pcr(uint8_t *out, const char *sysroot, bool lock, unsigned index, const uint8_t *data,
                      size_t len, vt_err *err)
{
    vt_status rc;
    uint8_t ignored[NITRO_PCR_LEN];
    vt_buf rq, resp;

    vt_buf_init(&rq);
    vt_buf_init(&resp);
    rc = vt__nsm_pcr_request(&rq, lock, index, data, len, err);
    if (rc == VT_OK)
        rc = nsm_call(&resp, sysroot, &rq, err);
    if (rc == VT_OK)
        rc = vt__nsm_pcr_response(out != NULL ? out : ignored, lock, resp.data, resp.len, err);
    vt_buf_free(&resp);
    vt_buf_free(&rq);
    return rc;
}
