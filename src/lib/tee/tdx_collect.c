/* Intel TDX on a Linux guest: detection and quote collection.  The quote
 * comes only through configfs-tsm (provider tdx_guest); /dev/tdx_guest gives
 * just the local TDREPORT, which nobody remote can verify. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "tee/collect.h"
#include "tee/tsm.h"

void vt__tdx_detect(vt_hw_entry *hw, const char *sysroot)
{
    char path[4096], prov[64];
    struct stat st;
    bool dev, tsm;

    snprintf(path, sizeof(path), "%s/dev/tdx_guest", sysroot);
    dev = stat(path, &st) == 0;
    tsm = vt__tsm_present(sysroot, prov, sizeof(prov));
    hw->kind = VT_TEE_TDX;
    hw->present = dev;
    snprintf(hw->evidence, sizeof(hw->evidence), "/dev/tdx_guest %s; configfs-tsm %s", dev ? "present" : "absent",
             tsm ? "mounted" : "absent");
}

vt_status vt__tdx_collect(const vt__collect_req *req, vt_buf *out, vt_err *err)
{
    const vt_collect_opts *o = req->opts;

    return vt__tsm_report(out, NULL, o->sysroot, o->tsm_instance, o->report_data, "tdx_guest", err);
}
