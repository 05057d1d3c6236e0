/* Intel TDX: RTMR3, the runtime register the guest may extend.  A single
 * 48-byte write to the sysfs file is the extend (Linux 6.16+); the kernel
 * keeps no log of userspace extends, so the caller's log is the only one.
 * Under the TDX simulator there is nothing to extend: the simulated quote's
 * RTMR3 is the log's replay (attester.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tee/register_impl.h"

#define TDX_RTMR3_SYSFS "/sys/class/misc/tdx_guest/measurements/rtmr3:sha384"

static vt_status tdx_extend(vt_register *r, const uint8_t *data48, uint8_t *out, vt_err *err)
{
    const char *sysroot = r->o.sysroot;
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

const vt__register_ops vt__register_tdx = {
    .describe = "tdx RTMR3",
    .md = VT_MD_SHA384,
    .extend = tdx_extend,
};

const vt__register_ops vt__register_tdx_sim = {
    .describe = "tdx RTMR3 (simulated quote: the log's replay)",
    .md = VT_MD_SHA384,
};
