/* For tests that play the Linux sev-guest driver (/dev/sev-guest): they link
 * with -Wl,--wrap=ioctl, so the library's ioctl lands in their __wrap_ioctl.
 * The argument is the driver's struct snp_guest_request_ioctl
 * (linux/sev-guest.h), declared here once, independently of the library's own
 * copy in src/lib/attest/sevsnp_collect.c, so that a layout mistake there
 * shows up as a failing test. */
#ifndef VT_TEST_SNP_GUEST_IO_H
#define VT_TEST_SNP_GUEST_IO_H

#include <stdarg.h>
#include <stdint.h>

#define VT_TEST_SNP_GET_REPORT 0xC0205300ul      /* _IOWR('S', 0x0, struct snp_guest_request_ioctl) */
#define VT_TEST_SNP_GET_DERIVED_KEY 0xC0205301ul /* _IOWR('S', 0x1, ...) */
#define VT_TEST_SNP_GET_EXT_REPORT 0xC0205302ul  /* _IOWR('S', 0x2, ...) */

struct vt_test_snp_io {
    uint8_t msg_version; /* the driver wants 1 */
    uint64_t req_data, resp_data;
    uint64_t exitinfo2; /* firmware status (low 32 bits), VMM error (high 32 bits) */
};

/* The third argument of a wrapped ioctl(fd, request, ...). */
static inline struct vt_test_snp_io *vt_test_snp_io_arg(va_list ap)
{
    return va_arg(ap, struct vt_test_snp_io *);
}

#endif
