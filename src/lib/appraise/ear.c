/* EAR vocabulary (draft-ietf-rats-ear, ar4si): trust tiers, trustworthiness
 * vector keys, and the passport's submodule names. */
#include <string.h>

#include "appraise_int.h"

const char *vt_ear_status_name(vt_ear_status s)
{
    switch (s) {
    case VT_EAR_NONE: return "none";
    case VT_EAR_AFFIRMING: return "affirming";
    case VT_EAR_WARNING: return "warning";
    case VT_EAR_CONTRAINDICATED: return "contraindicated";
    }
    return "unknown";
}

vt_status vt_ear_status_parse(vt_ear_status *out, const char *name, vt_err *err)
{
    static const vt_ear_status all[] = { VT_EAR_NONE, VT_EAR_AFFIRMING, VT_EAR_WARNING, VT_EAR_CONTRAINDICATED };

    for (size_t i = 0; name != NULL && i < sizeof(all) / sizeof(all[0]); i++) {
        if (strcmp(name, vt_ear_status_name(all[i])) == 0) {
            *out = all[i];
            return VT_OK;
        }
    }
    *out = VT_EAR_NONE;
    return vt_err_set(err, VT_E_FORMAT, "ear: \"%.32s\" is not a trust tier", name != NULL ? name : "");
}

static const char *const ar4si_names[VT_AR4SI_COUNT] = {
    "instance-identity", "configuration", "executables", "file-system",
    "hardware", "runtime-opaque", "storage-opaque", "sourced-data",
};

const char *vt_ar4si_name(vt_ar4si k)
{
    return (unsigned)k < VT_AR4SI_COUNT ? ar4si_names[k] : "unknown";
}

vt_ear_status vt_ar4si_tier(int8_t v)
{
    int a = v < 0 ? -(int)v : v;

    if (a <= 1)
        return VT_EAR_NONE;
    if (a <= 31)
        return VT_EAR_AFFIRMING;
    if (a <= 95)
        return VT_EAR_WARNING;
    return VT_EAR_CONTRAINDICATED;
}

static const char *const submod_names[VT_SUBMOD_COUNT] = { "tee", "model", "auditors", "runtime", "config" };

const char *vt_submod_name(vt_submod s)
{
    return (unsigned)s < VT_SUBMOD_COUNT ? submod_names[s] : "unknown";
}
