/* Status names and the caller-owned error object (HS-5). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "veritee/base.h"

vt_status vt_err_set_at(vt_err *err, vt_status code, const char *file, int line, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL)
        return code;
    err->code = code;
    err->file = file;
    err->line = line;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return code;
}

void vt_err_clear(vt_err *err)
{
    if (err == NULL)
        return;
    err->code = VT_OK;
    err->msg[0] = '\0';
    err->file = NULL;
    err->line = 0;
}

const char *vt_status_str(vt_status code)
{
    switch (code) {
    case VT_OK: return "ok";
    case VT_E_INTERNAL: return "internal";
    case VT_E_NOMEM: return "nomem";
    case VT_E_ARG: return "arg";
    case VT_E_FORMAT: return "format";
    case VT_E_LIMIT: return "limit";
    case VT_E_UNSUPPORTED: return "unsupported";
    case VT_E_CRYPTO: return "crypto";
    case VT_E_POLICY: return "policy";
    case VT_E_IO: return "io";
    case VT_E_NOTFOUND: return "notfound";
    }
    return "unknown";
}
