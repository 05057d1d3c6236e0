/* Whole-file reads with a size cap, atomic writes, mkdir -p, private directories. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "veritee/base.h"

/* Reads the open regular file fd whole into out (appended); closes nothing. */
static vt_status read_fd(vt_buf *out, int fd, const struct stat *st, const char *path, size_t max, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    size_t start = out->len;

    if (!S_ISREG(st->st_mode)) {
        rc = vt_err_set(err, VT_E_IO, "file: %s is not a regular file", path);
        goto out;
    }
    if ((uint64_t)st->st_size > max) {
        rc = vt_err_set(err, VT_E_LIMIT, "file: %s has %lld bytes, more than the limit of %zu", path,
                        (long long)st->st_size, max);
        goto out;
    }
    for (;;) {
        ssize_t n;
        rc = vt_buf_reserve(out, 65536, err);
        if (rc != VT_OK)
            goto out;
        n = read(fd, out->data + out->len, 65536);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = vt_err_set(err, VT_E_IO, "file: read %s: %s", path, strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        out->len += (size_t)n;
        if (out->len - start > max) {
            rc = vt_err_set(err, VT_E_LIMIT, "file: %s grew past the limit of %zu bytes", path, max);
            goto out;
        }
    }
    out->data[out->len] = 0;
    rc = VT_OK;
out:
    if (rc != VT_OK) {
        if (out->data != NULL)
            vt_wipe(out->data + start, out->len - start);
        out->len = start;
    }
    return rc;
}

static vt_status open_stat(int *fd, struct stat *st, const char *path, vt_err *err)
{
    *fd = open(path, O_RDONLY | O_CLOEXEC);
    if (*fd < 0)
        return vt_err_set(err, errno == ENOENT ? VT_E_NOTFOUND : VT_E_IO, "file: cannot open %s: %s", path,
                          strerror(errno));
    if (fstat(*fd, st) != 0) {
        close(*fd);
        *fd = -1;
        return vt_err_set(err, VT_E_IO, "file: cannot stat %s: %s", path, strerror(errno));
    }
    return VT_OK;
}

vt_status vt_file_read(vt_buf *out, const char *path, size_t max, vt_err *err)
{
    struct stat st;
    int fd = -1;
    vt_status rc = open_stat(&fd, &st, path, err);

    if (rc == VT_OK)
        rc = read_fd(out, fd, &st, path, max, err);
    if (fd >= 0)
        close(fd);
    return rc;
}

vt_status vt_file_read_private(vt_buf *out, const char *path, size_t max, vt_err *err)
{
    struct stat st;
    int fd = -1;
    vt_status rc = open_stat(&fd, &st, path, err);

    /* Checked on the descriptor that is read, so the file cannot change in between. */
    if (rc == VT_OK && (st.st_mode & 077) != 0)
        rc = vt_err_set(err, VT_E_POLICY, "file: %s is readable or writable by group or others (mode %03o): "
                        "chmod 600 %s", path, (unsigned)(st.st_mode & 0777), path);
    if (rc == VT_OK && st.st_uid != geteuid())
        rc = vt_err_set(err, VT_E_POLICY, "file: %s is owned by uid %u, not by this user (uid %u)", path,
                        (unsigned)st.st_uid, (unsigned)geteuid());
    if (rc == VT_OK)
        rc = read_fd(out, fd, &st, path, max, err);
    if (fd >= 0)
        close(fd);
    return rc;
}

/* The bytes in a temporary file of their own, then renamed over path (replace) or linked to it
 * (only when nothing is there: *made false, and path left as it is, when something is). */
static vt_status file_put(bool *made, const char *path, const void *p, size_t len, unsigned mode, bool replace,
                          vt_err *err)
{
    char tmp[4096];
    const uint8_t *b = p;
    int fd, n;

    *made = false;

    n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof(tmp))
        return vt_err_set(err, VT_E_ARG, "file: path too long");
    /* Made here, never opened as found: a file left under the name would keep its own mode, and a
     * symbolic link would take the bytes elsewhere.  What is in the way goes, once. */
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, (mode_t)mode);
    if (fd < 0 && errno == EEXIST && unlink(tmp) == 0)
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, (mode_t)mode);
    if (fd < 0)
        return vt_err_set(err, VT_E_IO, "file: cannot create %s: %s", tmp, strerror(errno));
    while (len > 0) {
        ssize_t w = write(fd, b, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = errno;
            close(fd);
            unlink(tmp);
            return vt_err_set(err, VT_E_IO, "file: write %s: %s", tmp, strerror(e));
        }
        b += w;
        len -= (size_t)w;
    }
    if (fsync(fd) != 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        return vt_err_set(err, VT_E_IO, "file: sync %s: %s", tmp, strerror(e));
    }
    if (close(fd) != 0) {
        unlink(tmp);
        return vt_err_set(err, VT_E_IO, "file: close %s: %s", tmp, strerror(errno));
    }
    if (replace && rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return vt_err_set(err, VT_E_IO, "file: rename to %s: %s", path, strerror(e));
    }
    if (!replace) {
        int r = link(tmp, path), e = errno;
        unlink(tmp);
        if (r != 0 && e != EEXIST)
            return vt_err_set(err, VT_E_IO, "file: link to %s: %s", path, strerror(e));
        *made = r == 0;
        return VT_OK;
    }
    *made = true;
    return VT_OK;
}

vt_status vt_file_write(const char *path, const void *p, size_t len, unsigned mode, vt_err *err)
{
    bool made;

    return file_put(&made, path, p, len, mode, true, err);
}

vt_status vt_file_create(bool *made, const char *path, const void *p, size_t len, unsigned mode, vt_err *err)
{
    bool m = false;
    vt_status rc = file_put(&m, path, p, len, mode, false, err);

    if (made != NULL)
        *made = m;
    return rc;
}

vt_status vt_mkdir_p(const char *path, unsigned mode, vt_err *err)
{
    char p[4096];
    size_t len = strlen(path);

    if (len == 0 || len >= sizeof(p))
        return vt_err_set(err, VT_E_ARG, "file: bad directory path");
    memcpy(p, path, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (p[i] == '/' || p[i] == '\0') {
            char c = p[i];
            p[i] = '\0';
            if (mkdir(p, (mode_t)mode) != 0 && errno != EEXIST)
                return vt_err_set(err, VT_E_IO, "file: mkdir %s: %s", p, strerror(errno));
            p[i] = c;
        }
    }
    return VT_OK;
}

vt_status vt_dir_private(const char *path, vt_err *err)
{
    struct stat st;
    vt_status rc = vt_mkdir_p(path, 0700, err);

    if (rc != VT_OK)
        return rc;
    if (stat(path, &st) != 0)
        return vt_err_set(err, VT_E_IO, "file: cannot stat %s: %s", path, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return vt_err_set(err, VT_E_IO, "file: %s is not a directory", path);
    /* Another user's directory could be read, or have files swapped under us. */
    if (st.st_uid != geteuid())
        return vt_err_set(err, VT_E_POLICY, "file: state directory %s is owned by uid %u, not by this user (uid %u)",
                          path, (unsigned)st.st_uid, (unsigned)geteuid());
    if ((st.st_mode & 0777) != 0700 && chmod(path, 0700) != 0)
        return vt_err_set(err, VT_E_IO, "file: cannot chmod 700 %s: %s", path, strerror(errno));
    return VT_OK;
}
