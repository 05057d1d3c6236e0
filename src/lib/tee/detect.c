/* Device nodes that reveal a TEE, for platforms whose plugin has no detect
 * of its own yet: `veritee hardware` reports them so a user sees what the
 * machine offers even before veritee can collect from it. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "tee/collect.h"

static const struct {
    vt_tee_kind kind;
    const char *nodes[3];
} known[] = {
    { VT_TEE_SEVSNP, { "/dev/sev-guest", NULL, NULL } },
    { VT_TEE_NITRO, { "/dev/nsm", NULL, NULL } },
    { VT_TEE_TPM, { "/dev/tpmrm0", "/dev/tpm0", NULL } },
    { VT_TEE_NVGPU, { "/dev/nvidiactl", "/dev/nvidia0", NULL } },
};

bool vt__hw_detect_nodes(vt_hw_entry *hw, vt_tee_kind kind, const char *sysroot)
{
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        size_t off = 0;
        if (known[i].kind != kind)
            continue;
        hw->kind = kind;
        hw->present = false;
        hw->evidence[0] = '\0';
        for (int j = 0; j < 3 && known[i].nodes[j] != NULL; j++) {
            char path[4096];
            struct stat st;
            bool there;
            int n;

            snprintf(path, sizeof(path), "%s%s", sysroot, known[i].nodes[j]);
            there = stat(path, &st) == 0;
            hw->present = hw->present || there;
            n = snprintf(hw->evidence + off, sizeof(hw->evidence) - off, "%s%s %s", off ? "; " : "",
                         known[i].nodes[j], there ? "present" : "absent");
            if (n > 0 && (size_t)n < sizeof(hw->evidence) - off)
                off += (size_t)n;
        }
        if (hw->present && off < sizeof(hw->evidence))
            snprintf(hw->evidence + off, sizeof(hw->evidence) - off, " (collection not supported yet)");
        return true;
    }
    return false;
}
