/* Strict reading of line-per-record state files (lines.h). */
#include <string.h>

#include "base/lines.h"

bool vt__line_fields(const uint8_t *p, size_t len, size_t *at, char *buf, size_t cap, char **fields, size_t n)
{
    const uint8_t *nl = *at < len ? memchr(p + *at, '\n', len - *at) : NULL;
    size_t k = 0, ln = nl != NULL ? (size_t)(nl - (p + *at)) : 0;

    if (nl == NULL || n == 0 || ln == 0 || ln >= cap)
        return false;
    memcpy(buf, p + *at, ln);
    buf[ln] = '\0';
    fields[k++] = buf;
    for (size_t i = 0; i < ln; i++) {
        if (buf[i] != ' ') {
            if ((unsigned char)buf[i] <= ' ' || buf[i] == 0x7f)
                return false;
            continue;
        }
        if (i == 0 || buf[i - 1] == '\0' || i + 1 == ln || k == n)
            return false; /* an empty field, or one too many */
        buf[i] = '\0';
        fields[k++] = buf + i + 1;
    }
    if (k != n)
        return false;
    *at += ln + 1;
    return true;
}

bool vt__line_count(const char *s, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;

    if (s[0] < '1' || s[0] > '9')
        return false;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9' || v > (max - (uint64_t)(*s - '0')) / 10)
            return false;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    return true;
}
