/* The collateral container: named blobs whose meaning each platform works out
 * from their content (file names from PCS mirrors are not reliable). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tee/plugin.h"

#define COLL_MAX_FILES 64
#define COLL_MAX_FILE (4u << 20)

struct coll_item {
    char name[128];
    vt_buf data;
};

struct vt_collateral {
    struct coll_item items[COLL_MAX_FILES];
    size_t count;
};

vt_status vt_collateral_new(vt_collateral **out, vt_err *err)
{
    *out = calloc(1, sizeof(**out));
    if (*out == NULL)
        return vt_err_set(err, VT_E_NOMEM, "collateral: out of memory");
    return VT_OK;
}

void vt_collateral_free(vt_collateral *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->count; i++)
        vt_buf_free(&c->items[i].data);
    free(c);
}

vt_status vt_collateral_add(vt_collateral *c, const char *name, const uint8_t *p, size_t len, vt_err *err)
{
    struct coll_item *it;
    vt_status rc;

    if (c->count >= COLL_MAX_FILES)
        return vt_err_set(err, VT_E_LIMIT, "collateral: more than %d items", COLL_MAX_FILES);
    if (len > COLL_MAX_FILE)
        return vt_err_set(err, VT_E_LIMIT, "collateral: %s has %zu bytes, limit %u", name, len, COLL_MAX_FILE);
    if (strchr(name, '/') != NULL || name[0] == '.' || name[0] == '\0')
        return vt_err_set(err, VT_E_ARG, "collateral: bad item name '%.64s'", name);
    it = &c->items[c->count];
    vt_buf_init(&it->data);
    rc = vt_buf_append(&it->data, p, len, err);
    if (rc != VT_OK) {
        vt_buf_free(&it->data);
        return rc;
    }
    snprintf(it->name, sizeof(it->name), "%s", name);
    c->count++;
    return VT_OK;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

vt_status vt_collateral_load_dir(vt_collateral *c, const char *dir, vt_err *err)
{
    vt_status rc = VT_OK;
    char *names[COLL_MAX_FILES + 1];
    size_t n = 0;
    struct dirent *de;
    DIR *d = opendir(dir);

    if (d == NULL)
        return vt_err_set(err, errno == ENOENT ? VT_E_NOTFOUND : VT_E_IO, "collateral: cannot open directory %s: %s",
                          dir, strerror(errno));
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        if (n >= COLL_MAX_FILES) {
            rc = vt_err_set(err, VT_E_LIMIT, "collateral: %s holds more than %d files", dir, COLL_MAX_FILES);
            break;
        }
        names[n] = strdup(de->d_name);
        if (names[n] == NULL) {
            rc = vt_err_set(err, VT_E_NOMEM, "collateral: out of memory");
            break;
        }
        n++;
    }
    closedir(d);
    /* Sorted, so the same directory always gives the same order. */
    qsort(names, n, sizeof(names[0]), cmp_names);
    for (size_t i = 0; i < n && rc == VT_OK; i++) {
        char path[4096];
        struct stat st;
        vt_buf b;

        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        vt_buf_init(&b);
        rc = vt_file_read(&b, path, COLL_MAX_FILE, err);
        if (rc == VT_OK)
            rc = vt_collateral_add(c, names[i], b.data, b.len, err);
        vt_buf_free(&b);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    return rc;
}

vt_status vt_collateral_save_dir(const vt_collateral *c, const char *dir, vt_err *err)
{
    vt_status rc = vt_mkdir_p(dir, 0755, err);

    for (size_t i = 0; i < c->count && rc == VT_OK; i++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, c->items[i].name);
        rc = vt_file_write(path, c->items[i].data.data, c->items[i].data.len, 0644, err);
    }
    return rc;
}

size_t vt_collateral_count(const vt_collateral *c)
{
    return c == NULL ? 0 : c->count;
}

const uint8_t *vt_collateral_get(const vt_collateral *c, size_t i, const char **name, size_t *len)
{
    if (c == NULL || i >= c->count)
        return NULL;
    if (name != NULL)
        *name = c->items[i].name;
    if (len != NULL)
        *len = c->items[i].data.len;
    return c->items[i].data.data;
}

vt_status vt__digest_update_lp(vt_digest_ctx *d, const void *p, size_t len, vt_err *err)
{
    uint8_t lenb[8];
    vt_status rc;

    for (size_t k = 0; k < 8; k++)
        lenb[k] = (uint8_t)((uint64_t)len >> (8 * k));
    rc = vt_digest_ctx_update(d, lenb, sizeof(lenb), err);
    if (rc == VT_OK && len > 0)
        rc = vt_digest_ctx_update(d, p, len, err);
    return rc;
}

vt_status vt__collateral_digest(uint8_t out[32], const vt_collateral *c, vt_err *err)
{
    vt_digest_ctx *d = NULL;
    size_t n = vt_collateral_count(c);
    vt_status rc = vt_digest_ctx_new(&d, VT_MD_SHA256, err);

    for (size_t i = 0; rc == VT_OK && i < n; i++) {
        size_t len = 0;
        const uint8_t *p = vt_collateral_get(c, i, NULL, &len);
        rc = vt__digest_update_lp(d, p, len, err);
    }
    if (rc == VT_OK)
        rc = vt_digest_ctx_final(d, out, err);
    vt_digest_ctx_free(d);
    return rc;
}
