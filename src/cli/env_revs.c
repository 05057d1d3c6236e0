/*
 * The revisions of signed environments a one-shot client took, kept across runs in
 * <state>/environment-revisions (env_revs.h).  The gateway remembers them in memory for as long
 * as it runs; `veritee chat` and `workflow validate` run for seconds, so without this file a
 * party answering as the verifier's URL could hand them an older signed environment (still inside
 * its 300 s window) right after an update.
 *
 * The file is text, one line per (verifier, environment):  REV SP ID SP VERIFIER-URL LF,
 * after a first line naming the format.  Saving merges with what other runs wrote meanwhile
 * (the higher revision wins) under an flock on <file>.lock, and replaces the file whole.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "base/lines.h"
#include "cli/env_revs.h"

#define REVS_HEADER "# veritee environment revisions v1\n"
#define REVS_FILE_MAX ((size_t)1 << 20)
#define REVS_URL_MAX 1024

/* A verifier URL as the file can hold it: printable, no space, bounded. */
static bool url_storable(const char *u)
{
    size_t n = 0;

    for (; u[n] != '\0'; n++)
        if ((unsigned char)u[n] <= 0x20 || (unsigned char)u[n] >= 0x7f)
            return false;
    return n > 0 && n <= REVS_URL_MAX;
}

vt_status vt_cli_env_revs_parse(vt_env_revs *r, const char *path, const uint8_t *p, size_t len, vt_err *err)
{
    size_t hl = strlen(REVS_HEADER), line = 1;

    if (len == 0)
        return VT_OK;
    if (len < hl || memcmp(p, REVS_HEADER, hl) != 0)
        return vt_err_set(err, VT_E_FORMAT, "%s: not an environment revisions file (remove it to start afresh)",
                          path);
    for (size_t at = hl; at < len;) {
        char buf[REVS_URL_MAX + 128], *f[3];
        uint64_t rev;
        vt_status rc;

        line++;
        if (!vt__line_fields(p, len, &at, buf, sizeof(buf), f, 3) || !vt__line_count(f[0], VT_ENV_REV_MAX, &rev) ||
            !vt_env_id_valid(f[1]) || !url_storable(f[2]))
            return vt_err_set(err, VT_E_FORMAT, "%s: line %zu is not \"REV ID VERIFIER\" (remove the file to start "
                              "afresh)", path, line);
        rc = vt_env_revs_take(r, f[2], f[1], rev, err);
        if (rc == VT_E_POLICY)
            rc = VT_OK; /* the same pair twice: the higher stays */
        if (rc != VT_OK)
            return rc;
    }
    return VT_OK;
}

/* Reads path into r; a missing file is an empty one. */
static vt_status revs_read(vt_env_revs *r, const char *path, vt_err *err)
{
    vt_buf b;
    vt_status rc;

    if (access(path, F_OK) != 0 && errno == ENOENT)
        return VT_OK;
    vt_buf_init(&b);
    rc = vt_file_read(&b, path, REVS_FILE_MAX, err);
    if (rc == VT_OK)
        rc = vt_cli_env_revs_parse(r, path, b.data, b.len, err);
    vt_buf_free(&b);
    return rc;
}

vt_status vt_cli_env_revs_open(vt_env_revs **out, const char *path, vt_err *err)
{
    vt_status rc = vt_env_revs_new(out, err);

    if (rc == VT_OK && path != NULL)
        rc = revs_read(*out, path, err);
    if (rc != VT_OK) {
        vt_env_revs_free(*out);
        *out = NULL;
    }
    return rc;
}

/* vt_env_revs_each: one pair into the merged set (a higher revision there stays). */
static vt_status merge_one(void *arg, const char *verifier, const char *id, uint64_t rev, vt_err *err)
{
    vt_status rc = vt_env_revs_take(arg, verifier, id, rev, err);

    return rc == VT_E_POLICY ? VT_OK : rc;
}

/* vt_env_revs_each: one line of the file. */
static vt_status write_one(void *arg, const char *verifier, const char *id, uint64_t rev, vt_err *err)
{
    char line[REVS_URL_MAX + 128];
    int n;

    if (!url_storable(verifier))
        return VT_OK; /* a URL the file cannot hold is not remembered (never one veritee fetched from) */
    n = snprintf(line, sizeof(line), "%" PRIu64 " %s %s\n", rev, id, verifier);
    if (n < 0 || (size_t)n >= sizeof(line))
        return VT_OK;
    return vt_buf_append(arg, line, (size_t)n, err);
}

vt_status vt_cli_env_revs_format(vt_buf *out, vt_env_revs *r, vt_err *err)
{
    vt_status rc = vt_buf_append_str(out, REVS_HEADER, err);

    return rc == VT_OK ? vt_env_revs_each(r, write_one, out, err) : rc;
}

vt_status vt_cli_env_revs_save(vt_env_revs *r, const char *path, vt_err *err)
{
    char lock[4200], dir[4200], *slash;
    vt_env_revs *all = NULL;
    vt_buf out;
    vt_status rc;
    int fd;

    if (path == NULL)
        return VT_OK;
    if (snprintf(lock, sizeof(lock), "%s.lock", path) >= (int)sizeof(lock))
        return vt_err_set(err, VT_E_ARG, "environment revisions: path too long");
    snprintf(dir, sizeof(dir), "%s", path);
    slash = strrchr(dir, '/');
    if (slash != NULL && slash != dir) {
        *slash = '\0';
        rc = vt_mkdir_p(dir, 0700, err);
        if (rc != VT_OK)
            return rc;
    }
    fd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return vt_err_set(err, VT_E_IO, "environment revisions: cannot open %s: %s", lock, strerror(errno));
    while (flock(fd, LOCK_EX) != 0)
        if (errno != EINTR) {
            int e = errno;
            close(fd);
            return vt_err_set(err, VT_E_IO, "environment revisions: cannot lock %s: %s", lock, strerror(e));
        }
    /* What other runs wrote since this one read the file, with this run's revisions over it. */
    vt_buf_init(&out);
    rc = vt_cli_env_revs_open(&all, path, err);
    if (rc == VT_OK)
        rc = vt_env_revs_each(r, merge_one, all, err);
    if (rc == VT_OK)
        rc = vt_cli_env_revs_format(&out, all, err);
    if (rc == VT_OK)
        rc = vt_file_write(path, out.data, out.len, 0600, err);
    vt_buf_free(&out);
    vt_env_revs_free(all);
    close(fd); /* lets go of the lock */
    return rc;
}

void vt_cli_env_revs_hint(vt_err *err, const char *path)
{
    size_t n;

    if (err == NULL || path == NULL || strstr(err->msg, "a replayed environment") == NULL)
        return;
    n = strlen(err->msg);
    snprintf(err->msg + n, sizeof(err->msg) - n, " (the revision seen is kept in %s; remove the verifier's line "
             "there only if its database was replaced)", path);
}

const char *vt_cli_env_revs_path(char *buf, size_t size, const char *flag, const char *state_dir)
{
    if (flag != NULL && strcmp(flag, "none") == 0)
        return NULL;
    if (flag != NULL && *flag != '\0') {
        snprintf(buf, size, "%s", flag);
        return buf;
    }
    if ((size_t)snprintf(buf, size, "%s/environment-revisions", state_dir) >= size)
        return NULL;
    return buf;
}
