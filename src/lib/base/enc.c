/* Hex and base64.  Decoders take untrusted text: every character is checked,
 * lengths are checked before anything is written. */
#include <pthread.h>
#include <string.h>

#include "base/enc.h"
#include "veritee/base.h"

static const char hexdig[] = "0123456789abcdef";

void vt_hex_encode(char *out, const uint8_t *in, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = hexdig[in[i] >> 4];
        out[2 * i + 1] = hexdig[in[i] & 15];
    }
    out[2 * len] = '\0';
}

int vt_hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static vt_status hex_into(uint8_t *out, const char *hex, size_t n, vt_err *err)
{
    for (size_t i = 0; i < n; i++) {
        int hi = vt_hex_digit((unsigned char)hex[2 * i]), lo = vt_hex_digit((unsigned char)hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return vt_err_set(err, VT_E_FORMAT, "hex: invalid character at position %zu",
                              hi < 0 ? 2 * i : 2 * i + 1);
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return VT_OK;
}

vt_status vt_hex_decode(uint8_t *out, size_t out_len, const char *hex, size_t hex_len, vt_err *err)
{
    if (hex_len != 2 * out_len)
        return vt_err_set(err, VT_E_FORMAT, "hex: expected %zu characters, got %zu", 2 * out_len, hex_len);
    return hex_into(out, hex, out_len, err);
}

vt_status vt_hex_decode_buf(vt_buf *out, const char *hex, size_t hex_len, size_t max, vt_err *err)
{
    vt_status rc;

    if (hex_len % 2 != 0)
        return vt_err_set(err, VT_E_FORMAT, "hex: odd number of characters (%zu)", hex_len);
    if (hex_len / 2 > max)
        return vt_err_set(err, VT_E_LIMIT, "hex: %zu bytes exceed the limit of %zu", hex_len / 2, max);
    rc = vt_buf_reserve(out, hex_len / 2, err);
    if (rc != VT_OK)
        return rc;
    rc = hex_into(out->data + out->len, hex, hex_len / 2, err);
    if (rc == VT_OK)
        out->len += hex_len / 2;
    return rc;
}

static const char b64std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

vt_status vt_base64_encode(vt_buf *out, const uint8_t *in, size_t len, bool url, vt_err *err)
{
    const char *al = url ? b64url : b64std;
    size_t need = (len + 2) / 3 * 4;
    vt_status rc;
    char *o;

    if (len > ((size_t)1 << 29))
        return vt_err_set(err, VT_E_LIMIT, "base64: input of %zu bytes too large", len);
    rc = vt_buf_reserve(out, need, err);
    if (rc != VT_OK)
        return rc;
    o = (char *)out->data + out->len;
    size_t i = 0, j = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        o[j++] = al[v >> 18];
        o[j++] = al[(v >> 12) & 63];
        o[j++] = al[(v >> 6) & 63];
        o[j++] = al[v & 63];
    }
    if (len - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        o[j++] = al[v >> 18];
        o[j++] = al[(v >> 12) & 63];
        if (!url) {
            o[j++] = '=';
            o[j++] = '=';
        }
    } else if (len - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        o[j++] = al[v >> 18];
        o[j++] = al[(v >> 12) & 63];
        o[j++] = al[(v >> 6) & 63];
        if (!url)
            o[j++] = '=';
    }
    out->len += j;
    out->data[out->len] = 0;
    return VT_OK;
}

/*
 * Each byte's 6-bit value in either alphabet (B64_STD / B64_URL say which), 0
 * for any other byte.  A table, not comparisons: the verifier decodes every
 * receipt's and passport's JWS, and the branchy per-character decode was 9%
 * of its time per receipt.
 */
#define B64_STD 0x40
#define B64_URL 0x80
static uint8_t b64dec[256];
static pthread_once_t b64dec_once = PTHREAD_ONCE_INIT;

static void b64dec_init(void)
{
    for (unsigned i = 0; i < 64; i++) {
        b64dec[(unsigned char)b64std[i]] |= (uint8_t)(i | B64_STD);
        b64dec[(unsigned char)b64url[i]] |= (uint8_t)(i | B64_URL);
    }
}

size_t vt__b64url_prefix(const char *s, size_t len)
{
    size_t i = 0;

    pthread_once(&b64dec_once, b64dec_init);
    while (i < len && (b64dec[(unsigned char)s[i]] & B64_URL))
        i++;
    return i;
}

vt_status vt_base64_decode(vt_buf *out, const char *in, size_t len, vt_err *err)
{
    const unsigned char *p = (const unsigned char *)in;
    size_t n = len, start = out->len, i = 0;
    uint32_t acc = 0;
    int bits = 0;
    uint8_t *o;
    vt_status rc;

    pthread_once(&b64dec_once, b64dec_init);
    while (n > 0 && in[n - 1] == '=')
        n--;
    if (len - n > 2)
        return vt_err_set(err, VT_E_FORMAT, "base64: too much padding");
    if (n % 4 == 1)
        return vt_err_set(err, VT_E_FORMAT, "base64: impossible length %zu", n);
    rc = vt_buf_reserve(out, n / 4 * 3 + 2, err);
    if (rc != VT_OK)
        return rc;
    /* Four characters to three bytes at a time; a group with a byte of neither alphabet stops
     * it, and the loop below finds which. */
    o = out->data + out->len;
    for (; i + 4 <= n; i += 4) {
        uint32_t a = b64dec[p[i]], b = b64dec[p[i + 1]], c = b64dec[p[i + 2]], d = b64dec[p[i + 3]], v;
        if (a == 0 || b == 0 || c == 0 || d == 0)
            break;
        v = (a & 63) << 18 | (b & 63) << 12 | (c & 63) << 6 | (d & 63);
        o[0] = (uint8_t)(v >> 16);
        o[1] = (uint8_t)(v >> 8);
        o[2] = (uint8_t)v;
        o += 3;
    }
    out->len = (size_t)(o - out->data);
    for (; i < n; i++) {
        uint32_t v = b64dec[p[i]];
        if (v == 0) {
            out->len = start;
            return vt_err_set(err, VT_E_FORMAT, "base64: invalid character at position %zu", i);
        }
        acc = (acc << 6) | (v & 63);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out->data[out->len++] = (uint8_t)(acc >> bits);
        }
    }
    /* Leftover bits must be zero so that each byte string has one encoding. */
    if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) {
        out->len = start;
        return vt_err_set(err, VT_E_FORMAT, "base64: non-zero trailing bits");
    }
    out->data[out->len] = 0;
    return VT_OK;
}
