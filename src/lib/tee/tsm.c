/* configfs-tsm: one report = mkdir, write inblob, read outblob, check
 * generation, rmdir.  The generation check is the only defence against
 * another process rewriting inblob between our write and our read. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tee/tsm.h"
#include "veritee/crypto.h"

static vt_status write_all(const char *path, const void *p, size_t len, vt_err *err)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC | O_CREAT, 0600);
    ssize_t w;

    if (fd < 0)
        return vt_err_set(err, VT_E_IO, "tsm: open %s: %s", path, strerror(errno));
    w = write(fd, p, len);
    if (w < 0 || (size_t)w != len) {
        int e = errno;
        close(fd);
        return vt_err_set(err, VT_E_IO, "tsm: write %s: %s", path, w < 0 ? strerror(e) : "short write");
    }
    if (close(fd) != 0)
        return vt_err_set(err, VT_E_IO, "tsm: close %s: %s", path, strerror(errno));
    return VT_OK;
}

static vt_status read_text(char *out, size_t len, const char *path, vt_err *err)
{
    vt_buf b;
    vt_status rc;

    vt_buf_init(&b);
    rc = vt_file_read(&b, path, 256, err);
    if (rc == VT_OK) {
        size_t n = b.len;
        while (n > 0 && (b.data[n - 1] == '\n' || b.data[n - 1] == ' '))
            n--;
        if (n >= len)
            n = len - 1;
        memcpy(out, b.data, n);
        out[n] = '\0';
    }
    vt_buf_free(&b);
    return rc;
}

bool vt__tsm_present(const char *sysroot, char *provider_out, size_t provider_len)
{
    char path[4096];
    struct stat st;

    if (provider_len > 0)
        provider_out[0] = '\0';
    snprintf(path, sizeof(path), "%s%s", sysroot == NULL ? "" : sysroot, VT_TSM_REPORT_DIR);
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

vt_status vt__tsm_report(vt_buf *out, vt_buf *aux, const char *sysroot, const char *instance,
                         const uint8_t inblob[64], const char *provider, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    char dir[4096], path[4200], gen1[32], gen2[32], prov[64];
    uint8_t rnd[8];
    bool made = false;
    size_t start = out->len;
    int n;

    if (sysroot == NULL)
        sysroot = "";
    if (instance == NULL) {
        char hex[17];
        rc = vt_random(rnd, sizeof(rnd), err);
        if (rc != VT_OK)
            return rc;
        vt_hex_encode(hex, rnd, sizeof(rnd));
        n = snprintf(dir, sizeof(dir), "%s%s/veritee-%s", sysroot, VT_TSM_REPORT_DIR, hex);
    } else {
        n = snprintf(dir, sizeof(dir), "%s%s/%s", sysroot, VT_TSM_REPORT_DIR, instance);
    }
    if (n < 0 || (size_t)n >= sizeof(dir))
        return vt_err_set(err, VT_E_ARG, "tsm: path too long");
    if (instance == NULL) {
        if (mkdir(dir, 0700) != 0)
            return vt_err_set(err, VT_E_IO, "tsm: cannot create report instance %s: %s", dir, strerror(errno));
        made = true;
    }
    snprintf(path, sizeof(path), "%s/provider", dir);
    rc = read_text(prov, sizeof(prov), path, err);
    if (rc != VT_OK)
        goto out;
    if (provider != NULL && strcmp(prov, provider) != 0) {
        rc = vt_err_set(err, VT_E_UNSUPPORTED, "tsm: provider is '%s', expected '%s'", prov, provider);
        goto out;
    }
    snprintf(path, sizeof(path), "%s/inblob", dir);
    rc = write_all(path, inblob, 64, err);
    if (rc != VT_OK)
        goto out;
    snprintf(path, sizeof(path), "%s/generation", dir);
    rc = read_text(gen1, sizeof(gen1), path, err);
    if (rc != VT_OK)
        goto out;
    snprintf(path, sizeof(path), "%s/outblob", dir);
    rc = vt_file_read(out, path, VT_TSM_OUTBLOB_MAX, err);
    if (rc != VT_OK)
        goto out;
    if (out->len == start) {
        rc = vt_err_set(err, VT_E_IO, "tsm: %s returned an empty report", path);
        goto out;
    }
    if (aux != NULL) {
        snprintf(path, sizeof(path), "%s/auxblob", dir);
        rc = vt_file_read(aux, path, VT_TSM_OUTBLOB_MAX, err);
        if (rc == VT_E_NOTFOUND)
            rc = VT_OK;
        if (rc != VT_OK)
            goto out;
    }
    snprintf(path, sizeof(path), "%s/generation", dir);
    rc = read_text(gen2, sizeof(gen2), path, err);
    if (rc != VT_OK)
        goto out;
    if (strcmp(gen1, gen2) != 0) {
        rc = vt_err_set(err, VT_E_IO, "tsm: generation moved from %s to %s: another writer raced us, retry", gen1,
                        gen2);
        goto out;
    }
    rc = VT_OK;
out:
    if (rc != VT_OK)
        out->len = start;
    if (made)
        (void)rmdir(dir);
    return rc;
}
