/* The bounded reader (HS-10): counts, never pointer arithmetic past the end;
 * the first failure is sticky so a parser checks once at the end. */
#include <string.h>

#include "veritee/base.h"

void vt_rd_init(vt_rd *r, const uint8_t *p, size_t len)
{
    r->p = p;
    r->left = p == NULL ? 0 : len;
    r->failed = false;
}

const uint8_t *vt_rd_take(vt_rd *r, size_t n)
{
    const uint8_t *s = r->p;

    if (r->failed || n > r->left) {
        r->failed = true;
        return NULL;
    }
    r->p += n;
    r->left -= n;
    return s;
}

uint8_t vt_rd_u8(vt_rd *r)
{
    const uint8_t *p = vt_rd_take(r, 1);
    return p == NULL ? 0 : p[0];
}

uint16_t vt_rd_u16le(vt_rd *r)
{
    const uint8_t *p = vt_rd_take(r, 2);
    return p == NULL ? 0 : (uint16_t)(p[0] | (p[1] << 8));
}

uint32_t vt_rd_u32le(vt_rd *r)
{
    const uint8_t *p = vt_rd_take(r, 4);
    return p == NULL ? 0 : (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

uint64_t vt_rd_u64le(vt_rd *r)
{
    uint64_t lo = vt_rd_u32le(r);
    uint64_t hi = vt_rd_u32le(r);
    return r->failed ? 0 : lo | (hi << 32);
}

uint16_t vt_rd_u16be(vt_rd *r)
{
    const uint8_t *p = vt_rd_take(r, 2);
    return p == NULL ? 0 : (uint16_t)((p[0] << 8) | p[1]);
}

uint32_t vt_rd_u32be(vt_rd *r)
{
    const uint8_t *p = vt_rd_take(r, 4);
    return p == NULL ? 0 : ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

void vt_rd_copy(vt_rd *r, void *out, size_t n)
{
    const uint8_t *p = vt_rd_take(r, n);

    if (p == NULL)
        memset(out, 0, n);
    else if (n > 0)
        memcpy(out, p, n);
}

void vt_rd_skip(vt_rd *r, size_t n)
{
    (void)vt_rd_take(r, n);
}

vt_rd vt_rd_sub(vt_rd *r, size_t n)
{
    vt_rd c;
    const uint8_t *p = vt_rd_take(r, n);

    c.p = p;
    c.left = p == NULL ? 0 : n;
    c.failed = p == NULL;
    return c;
}

size_t vt_rd_span(const vt_rd *r, const char *set)
{
    size_t n = 0;

    if (r->failed)
        return 0;
    while (n < r->left && r->p[n] != '\0' && strchr(set, r->p[n]) != NULL)
        n++;
    return n;
}

bool vt_rd_ok(const vt_rd *r)
{
    return !r->failed;
}

bool vt_rd_ok_and_empty(const vt_rd *r)
{
    return !r->failed && r->left == 0;
}
