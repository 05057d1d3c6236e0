/* Internal: the security headers (sechdr.c) as raw header lines, for a reply the connection
 * guard writes straight to a socket. */
#ifndef VT_HTTP_SECHDR_H
#define VT_HTTP_SECHDR_H

#include <stddef.h>

/* Writes "Name: value\r\n" for each header of vt_http_sechdr_add into out (NUL-terminated) and
 * returns the bytes written, without the NUL; 0 and "" when out_len is too small. */
size_t vt__http_sechdr_raw(char *out, size_t out_len);

#endif
