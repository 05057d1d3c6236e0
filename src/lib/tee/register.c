/* Extending the runtime measurement register of a platform.  The kernel keeps
 * no log of userspace extends: the caller appends the event to its own
 * measurement log first, then extends. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "veritee/mlog.h"

#define TDX_RTMR3_SYSFS "/sys/class/misc/tdx_guest/measurements/rtmr3:sha384"

/* mock: <state_dir>/mock/mr, 48 bytes, extended under an exclusive lock. */
static vt_status mock_extend(const char *state_dir, const uint8_t data48[48], uint8_t out[48], vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    char dir[4096], path[4200], lockp[4200];
    uint8_t reg[VT_REGISTER_LEN] = { 0 };
    vt_buf cur;
    int lk;

    if (state_dir == NULL || *state_dir == '\0')
        return vt_err_set(err, VT_E_ARG, "register: mock needs a state directory");
    snprintf(dir, sizeof(dir), "%s/mock", state_dir);
    rc = vt_mkdir_p(dir, 0700, err);
    if (rc != VT_OK)
        return rc;
    snprintf(path, sizeof(path), "%s/mr", dir);
    snprintf(lockp, sizeof(lockp), "%s/mr.lock", dir);
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

/* tdx: a single 48-byte write to the RTMR3 sysfs file is the extend (Linux 6.16+). */
static vt_status tdx_extend(const char *sysroot, const uint8_t data48[48], uint8_t out[48], vt_err *err)
{
    char path[4096];
    ssize_t n;
    int fd;

    snprintf(path, sizeof(path), "%s%s", sysroot == NULL ? "" : sysroot, TDX_RTMR3_SYSFS);
    fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return vt_err_set(err, errno == ENOENT ? VT_E_UNSUPPORTED : VT_E_IO,
                          "register: cannot open %s: %s (needs Linux 6.16+ in a TD)", path, strerror(errno));
    n = pwrite(fd, data48, 48, 0);
    close(fd);
    if (n != 48)
        return vt_err_set(err, VT_E_IO, "register: extend through %s failed: %s", path,
                          n < 0 ? strerror(errno) : "short write");
    if (out != NULL) {
        vt_buf b;
        vt_buf_init(&b);
        if (vt_file_read(&b, path, 64, NULL) == VT_OK && b.len == VT_REGISTER_LEN)
            memcpy(out, b.data, VT_REGISTER_LEN);
        else
            memset(out, 0, VT_REGISTER_LEN);
        vt_buf_free(&b);
    }
    return VT_OK;
}

vt_status vt_register_extend(vt_tee_kind kind, const char *state_dir, const char *sysroot, const uint8_t data48[48],
                             uint8_t new_value[VT_REGISTER_LEN], vt_err *err)
{
    switch (kind) {
    case VT_TEE_MOCK: return mock_extend(state_dir, data48, new_value, err);
    case VT_TEE_TDX: return tdx_extend(sysroot, data48, new_value, err);
    default:
        return vt_err_set(err, VT_E_UNSUPPORTED, "register: extending %s registers is not supported",
                          vt_tee_name(kind));
    }
}
