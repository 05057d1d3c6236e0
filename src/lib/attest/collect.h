/* Internal: per-platform detection and collection on Linux guests, wired into
 * the platform plugins' ops tables. */
#ifndef VT_ATTEST_COLLECT_H
#define VT_ATTEST_COLLECT_H

#include "tee/plugin.h"

void vt__tdx_detect(vt_hw_entry *hw, const char *sysroot);
vt_status vt__tdx_collect(const vt__collect_req *req, vt_buf *out, vt_err *err);

/* Device-node detection for platforms without a plugin detect; false for an unknown kind. */
bool vt__hw_detect_nodes(vt_hw_entry *hw, vt_tee_kind kind, const char *sysroot);

#endif
