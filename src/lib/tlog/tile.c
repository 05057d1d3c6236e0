/* C2SP tlog-tiles: tile and entry bundle paths, entry bundles. */
#include <stdio.h>
#include <string.h>

#include "tlog_int.h"

vt_status vt_tile_path(char out[VT_TILE_PATH_MAX], const vt_tile *t, vt_err *err)
{
    char digits[24];
    size_t nd, pos = 0, first;
    int n;

    out[0] = '\0';
    if ((t->level != VT_TILE_ENTRIES && (t->level < 0 || t->level > 63)) || t->width < 1 || t->width > VT_TILE_WIDTH)
        return vt_err_set(err, VT_E_ARG, "tile: level %d width %u out of range", t->level, t->width);
    if (t->level == VT_TILE_ENTRIES)
        n = snprintf(out, VT_TILE_PATH_MAX, "tile/entries/");
    else
        n = snprintf(out, VT_TILE_PATH_MAX, "tile/%d/", t->level);
    pos = (size_t)n;
    /* N in zero-padded groups of three digits, all but the last prefixed with x. */
    nd = (size_t)snprintf(digits, sizeof(digits), "%llu", (unsigned long long)t->index);
    first = nd % 3 != 0 ? nd % 3 : 3;
    for (size_t i = 0; i < nd;) {
        size_t g = i == 0 ? first : 3;
        bool last = i + g == nd;
        n = snprintf(out + pos, VT_TILE_PATH_MAX - pos, "%s%.*s%.*s%s", last ? "" : "x", (int)(3 - g), "00",
                     (int)g, digits + i, last ? "" : "/");
        pos += (size_t)n;
        i += g;
    }
    if (t->width < VT_TILE_WIDTH)
        snprintf(out + pos, VT_TILE_PATH_MAX - pos, ".p/%u", t->width);
    return VT_OK;
}

static bool digit(char c)
{
    return c >= '0' && c <= '9';
}

vt_status vt_tile_path_parse(vt_tile *out, const char *path, size_t len, vt_err *err)
{
    vt_tile t = { 0, 0, VT_TILE_WIDTH };
    size_t i = 5, groups = 0;
    bool last = false;

    memset(out, 0, sizeof(*out));
    if (len < 5 || len >= VT_TILE_PATH_MAX || memcmp(path, "tile/", 5) != 0)
        goto bad;
    if (len - i > 8 && memcmp(path + i, "entries/", 8) == 0) {
        t.level = VT_TILE_ENTRIES;
        i += 8;
    } else {
        if (i + 2 > len || !digit(path[i]))
            goto bad;
        t.level = path[i++] - '0';
        if (i < len && digit(path[i])) {
            if (t.level == 0)
                goto bad;
            t.level = t.level * 10 + (path[i++] - '0');
        }
        if (t.level > 63 || i >= len || path[i++] != '/')
            goto bad;
    }
    while (!last) {
        bool x = i < len && path[i] == 'x';
        unsigned g;
        if (x)
            i++;
        if (i + 3 > len || !digit(path[i]) || !digit(path[i + 1]) || !digit(path[i + 2]))
            goto bad;
        g = (unsigned)((path[i] - '0') * 100 + (path[i + 1] - '0') * 10 + (path[i + 2] - '0'));
        i += 3;
        /* groups past the first cannot overflow below 7 (21 digits > 2^64 is caught here) */
        if (++groups > 7 || (groups == 1 && x && g == 0) || t.index > (UINT64_MAX - g) / 1000)
            goto bad;
        t.index = t.index * 1000 + g;
        if (x) {
            if (i >= len || path[i++] != '/')
                goto bad;
        } else {
            last = true;
        }
    }
    if (i < len) {
        unsigned w = 0;
        if (len - i < 4 || memcmp(path + i, ".p/", 3) != 0 || path[i + 3] == '0')
            goto bad;
        for (i += 3; i < len; i++) {
            if (!digit(path[i]) || w > 25)
                goto bad;
            w = w * 10 + (unsigned)(path[i] - '0');
        }
        if (w < 1 || w >= VT_TILE_WIDTH)
            goto bad;
        t.width = w;
    }
    *out = t;
    return VT_OK;
bad:
    return vt_err_set(err, VT_E_FORMAT, "tile: path is not tile/<L>/<N>[.p/<W>] or tile/entries/<N>[.p/<W>]");
}

void vt_tile_for(vt_tile *out, int level, uint64_t index, uint64_t size)
{
    unsigned shift = level == VT_TILE_ENTRIES ? 0 : 8 * (unsigned)level;
    uint64_t count = shift >= 64 ? 0 : size >> shift, start;

    out->level = level;
    out->index = index / VT_TILE_WIDTH;
    start = out->index * VT_TILE_WIDTH;
    out->width = count <= start ? 0 : count - start >= VT_TILE_WIDTH ? VT_TILE_WIDTH : (unsigned)(count - start);
}

vt_status vt_tile_bundle_append(vt_buf *out, const void *entry, size_t len, vt_err *err)
{
    uint8_t be[2];
    vt_status rc;

    if (len > VT_TLOG_ENTRY_MAX)
        return vt_err_set(err, VT_E_LIMIT, "tile: entry of %zu bytes, more than %u", len, VT_TLOG_ENTRY_MAX);
    be[0] = (uint8_t)(len >> 8);
    be[1] = (uint8_t)len;
    rc = vt_buf_append(out, be, 2, err);
    if (rc == VT_OK)
        rc = vt_buf_append(out, entry, len, err);
    return rc;
}

bool vt_tile_bundle_next(vt_rd *r, const uint8_t **entry, size_t *len)
{
    uint16_t n;

    *entry = NULL;
    *len = 0;
    if (r->failed || r->left == 0)
        return false;
    n = vt_rd_u16be(r);
    *entry = vt_rd_take(r, n);
    if (*entry == NULL)
        return false;
    *len = n;
    return true;
}

vt_status vt_tile_bundle_check(const uint8_t *bundle, size_t len, const vt_tile *t, const uint8_t (*hashes)[32],
                               vt_err *err)
{
    const uint8_t *e;
    size_t el, n = 0;
    uint8_t h[32];
    vt_status rc;
    vt_rd r;

    vt_rd_init(&r, bundle, len);
    while (vt_tile_bundle_next(&r, &e, &el)) {
        if (n == t->width)
            return vt_err_set(err, VT_E_FORMAT, "tile: bundle has more than %u entries", t->width);
        rc = vt_tlog_leaf_hash(h, e, el, err);
        if (rc != VT_OK)
            return rc;
        if (!vt_ct_equal(h, hashes[n], 32))
            return vt_err_set(err, VT_E_CRYPTO, "tile: entry %zu of the bundle does not hash to its leaf", n);
        n++;
    }
    if (!vt_rd_ok_and_empty(&r))
        return vt_err_set(err, VT_E_FORMAT, "tile: bundle entry %zu is truncated", n);
    if (n != t->width)
        return vt_err_set(err, VT_E_FORMAT, "tile: bundle has %zu entries, not %u", n, t->width);
    return VT_OK;
}
