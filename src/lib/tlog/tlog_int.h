/* Internals of the tlog module shared between its files (HS-1); never exported. */
#ifndef VT_TLOG_INT_H
#define VT_TLOG_INT_H

#include "veritee/tlog.h"

/* Strict standard base64 (RFC 4648 §4): only the standard alphabet, padded to a
 * multiple of 4, canonical trailing bits.  Appends to out. */
vt_status vt__b64std_decode(vt_buf *out, const char *in, size_t len, vt_err *err);
/* True when p[0..len) is UTF-8 (shortest form, no surrogates) without control
 * characters other than newline. */
bool vt__note_text_ok(const uint8_t *p, size_t len);

#endif
