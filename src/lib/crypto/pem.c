/* Strict PEM block reader shared by certificates and CRLs. */
#include <stdio.h>
#include <string.h>

#include "crypto_int.h"

#define PEM_BODY_MAX (16u * 1024u * 1024u)

static bool b64_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/' || c == '=';
}

vt_status vt__pem_next(vt_buf *der, const char *text, size_t len, size_t *pos, const char *label,
                       vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    char begin[64], end[64];
    int blen, elen;
    const char *b, *e, *body;
    size_t body_len;
    vt_buf b64;

    vt_buf_init(&b64);
    blen = snprintf(begin, sizeof(begin), "-----BEGIN %s-----", label);
    elen = snprintf(end, sizeof(end), "-----END %s-----", label);
    if (blen <= 0 || elen <= 0 || (size_t)blen >= sizeof(begin) || (size_t)elen >= sizeof(end)) {
        rc = vt_err_set(err, VT_E_ARG, "pem: label too long");
        goto out;
    }
    if (*pos > len) {
        rc = vt_err_set(err, VT_E_ARG, "pem: position past the end");
        goto out;
    }
    b = memmem(text + *pos, len - *pos, begin, (size_t)blen);
    if (b == NULL) {
        rc = VT_E_NOTFOUND; /* no further block: not an error for the caller */
        goto out;
    }
    body = b + blen;
    e = memmem(body, len - (size_t)(body - text), end, (size_t)elen);
    if (e == NULL) {
        rc = vt_err_set(err, VT_E_FORMAT, "pem: BEGIN %s without END", label);
        goto out;
    }
    body_len = (size_t)(e - body);
    if (body_len > PEM_BODY_MAX) {
        rc = vt_err_set(err, VT_E_LIMIT, "pem: %s block of %zu bytes is too large", label, body_len);
        goto out;
    }
    rc = vt_buf_reserve(&b64, body_len, err);
    if (rc != VT_OK)
        goto out;
    rc = VT_E_INTERNAL;
    for (size_t i = 0; i < body_len; i++) {
        char c = body[i];

        if (c == '\n' || c == '\r' || c == ' ' || c == '\t')
            continue;
        if (!b64_char(c)) {
            rc = vt_err_set(err, VT_E_FORMAT, "pem: %s block has an invalid character", label);
            goto out;
        }
        b64.data[b64.len++] = (uint8_t)c;
    }
    if (b64.len == 0) {
        rc = vt_err_set(err, VT_E_FORMAT, "pem: %s block is empty", label);
        goto out;
    }
    rc = vt_base64_decode(der, (const char *)b64.data, b64.len, err);
    if (rc != VT_OK)
        goto out;
    *pos = (size_t)(e - text) + (size_t)elen;
out:
    vt_buf_free(&b64);
    return rc;
}
