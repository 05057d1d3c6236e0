/* Internal: what the JOSE code needs of the base64 codec beyond veritee/base.h (enc.c). */
#ifndef VT_BASE_ENC_H
#define VT_BASE_ENC_H

#include <stddef.h>

/* How many of s[0..len)'s first bytes are base64url characters (RFC 4648 section 5, no '='). */
size_t vt__b64url_prefix(const char *s, size_t len);

#endif
