/* Process settings for programs that hold private keys (called from main(), never implicitly). */
#include <errno.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "veritee/base.h"

vt_status vt_proc_protect_secrets(vt_err *err)
{
    struct rlimit rl = { 0, 0 };

    if (setrlimit(RLIMIT_CORE, &rl) != 0)
        return vt_err_set(err, VT_E_IO, "proc: cannot set RLIMIT_CORE to 0: %s", strerror(errno));
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
        return vt_err_set(err, VT_E_IO, "proc: cannot clear the dumpable flag: %s", strerror(errno));
    return VT_OK;
}
