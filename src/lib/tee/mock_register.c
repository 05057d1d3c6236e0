/* The mock platform's register: <state_dir>/mock/mr, 48 bytes, extended
 * under an exclusive lock (what mock evidence reports as "mr"). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "tee/register_impl.h"

static vt_status mock_paths(char *dir, char *path, char *lockp, size_t n, const char *state_dir, vt_err *err)
{
    if (state_dir == NULL || *state_dir == '\0')
        return vt_err_set(err, VT_E_ARG, "register: mock needs a state directory");
    if (snprintf(dir, n, "%s/mock", state_dir) >= (int)n || snprintf(path, n, "%s/mock/mr", state_dir) >= (int)n ||
        snprintf(lockp, n, "%s/mock/mr.lock", state_dir) >= (int)n)
        return vt_err_set(err, VT_E_ARG, "register: state directory path too long");
    return vt_mkdir_p(dir, 0700, err);
}

static vt_status mock_extend(vt_register *r, const uint8_t *data48, uint8_t *out, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    char dir[4200], path[4200], lockp[4200];
    uint8_t reg[VT_REGISTER_LEN] = { 0 };
    vt_buf cur;
    int lk;

    rc = mock_paths(dir, path, lockp, sizeof(dir), r->o.state_dir, err);
    if (rc != VT_OK)
        return rc;
    lk = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lk < 0 || flock(lk, LOCK_EX) != 0) {
        if (lk >= 0)
            close(lk);
        return vt_err_set(err, VT_E_IO, "register: cannot lock %s: %s", lockp, strerror(errno));
    }
    vt_buf_init(&cur);
    rc = vt_file_read(&cur, path, VT_REGISTER_LEN, err);
    if (rc == VT_OK && cur.len == VT_REGISTER_LEN)
        memcpy(reg, cur.data, VT_REGISTER_LEN);
    else if (rc == VT_OK || rc == VT_E_NOTFOUND)
        rc = cur.len == 0 ? VT_OK : vt_err_set(err, VT_E_FORMAT, "register: %s is not 48 bytes", path);
    if (rc == VT_OK) {
        const void *parts[2] = { reg, data48 };
        size_t lens[2] = { VT_REGISTER_LEN, 48 };
        rc = vt_digestv(VT_MD_SHA384, parts, lens, 2, reg, err);
    }
    if (rc == VT_OK)
        rc = vt_file_write(path, reg, sizeof(reg), 0600, err);
    if (rc == VT_OK && out != NULL)
        memcpy(out, reg, VT_REGISTER_LEN);
    vt_buf_free(&cur);
    close(lk); /* releases the lock */
    return rc;
}

/* A boot starts from a reset register, as a TD's RTMRs do; the mock register
 * persists in the state directory, so a boot resets it. */
static vt_status mock_reset(vt_register *r, vt_err *err)
{
    char dir[4200], path[4200], lockp[4200];
    uint8_t zero[VT_REGISTER_LEN] = { 0 };
    vt_status rc = mock_paths(dir, path, lockp, sizeof(dir), r->o.state_dir, err);

    return rc == VT_OK ? vt_file_write(path, zero, sizeof(zero), 0600, err) : rc;
}

const vt__register_ops vt__register_mock = {
    .describe = "mock software register (state directory)",
    .md = VT_MD_SHA384,
    .reset = mock_reset,
    .extend = mock_extend,
};
