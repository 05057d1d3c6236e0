/* Growable byte buffers.  Growth wipes the old block, so a buffer that held a
 * secret never leaves a stale copy behind in freed memory. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "veritee/base.h"

#define VT_BUF_MAX ((size_t)1 << 30)

void vt_buf_init(vt_buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void vt_buf_free(vt_buf *b)
{
    if (b == NULL)
        return;
    if (b->data != NULL)
        OPENSSL_clear_free(b->data, b->cap);
    vt_buf_init(b);
}

vt_status vt_buf_reserve(vt_buf *b, size_t extra, vt_err *err)
{
    size_t need, cap;
    uint8_t *p;

    if (!vt_add_ok(b->len, extra, &need) || !vt_add_ok(need, 1, &need) || need > VT_BUF_MAX)
        return vt_err_set(err, VT_E_LIMIT, "buf: %zu more bytes would pass the 1 GiB limit", extra);
    if (need <= b->cap)
        return VT_OK;
    cap = b->cap < 64 ? 64 : b->cap;
    while (cap < need)
        cap = cap > VT_BUF_MAX / 2 ? VT_BUF_MAX : cap * 2;
    p = malloc(cap);
    if (p == NULL)
        return vt_err_set(err, VT_E_NOMEM, "buf: out of memory for %zu bytes", cap);
    if (b->data != NULL) {
        memcpy(p, b->data, b->len);
        OPENSSL_clear_free(b->data, b->cap);
    }
    b->data = p;
    b->cap = cap;
    return VT_OK;
}

vt_status vt_buf_append(vt_buf *b, const void *p, size_t len, vt_err *err)
{
    vt_status rc = vt_buf_reserve(b, len, err);

    if (rc != VT_OK)
        return rc;
    if (len > 0)
        memcpy(b->data + b->len, p, len);
    b->len += len;
    b->data[b->len] = 0; /* reserve always keeps one spare byte */
    return VT_OK;
}

vt_status vt_buf_append_u16le(vt_buf *b, uint16_t v, vt_err *err)
{
    uint8_t x[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
    return vt_buf_append(b, x, sizeof(x), err);
}

vt_status vt_buf_append_u32le(vt_buf *b, uint32_t v, vt_err *err)
{
    uint8_t x[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
    return vt_buf_append(b, x, sizeof(x), err);
}

vt_status vt_buf_append_str(vt_buf *b, const char *s, vt_err *err)
{
    return vt_buf_append(b, s, strlen(s), err);
}

vt_status vt_buf_terminate(vt_buf *b, vt_err *err)
{
    vt_status rc = vt_buf_reserve(b, 0, err);

    if (rc == VT_OK)
        b->data[b->len] = 0;
    return rc;
}
