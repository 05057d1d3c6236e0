/* libFuzzer: the gateway's one URL splitter (vt_gw_url_split, src/gateway/config.c), behind the
 * upstream and every workflow deployment.  Input: byte 0 picks the schemes accepted (http, https
 * or both); the rest is the URL.  What splits has a host without '/', '@' or space, a port from 1
 * to 65535 (the scheme's default when the URL names none), a scheme the mask allows and a base
 * that is "" or starts with '/' and does not end with one, and written out again it splits to
 * the same parts; what does not split is refused with a reason and the output zeroed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int port_given(const char *url)
{
    const char *auth = strstr(url, "://") + 3, *end = strchr(auth, '/');
    const char *close = auth[0] == '[' ? strchr(auth, ']') : NULL;
    const char *colon = strchr(close != NULL ? close : auth, ':');

    return colon != NULL && (end == NULL || colon < end);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned masks[] = { VT_GW_URL_HTTP, VT_GW_URL_HTTPS, VT_GW_URL_HTTP | VT_GW_URL_HTTPS };
    static vt_gw_url u, again, zero;
    static char text[VT_GW_URL_MAX + 300];
    unsigned schemes;
    vt_err e = { 0 };
    char *s;

    if (size < 1)
        return 0;
    schemes = masks[data[0] % 3];
    s = malloc(size);
    if (s == NULL)
        return 0;
    memcpy(s, data + 1, size - 1);
    s[size - 1] = '\0';
    memset(&u, 0x5a, sizeof(u));
    if (vt_gw_url_split(&u, s, schemes, "x", &e) != VT_OK) {
        if (e.msg[0] == '\0' || memcmp(&u, &zero, sizeof(u)) != 0)
            __builtin_trap();
        free(s);
        return 0;
    }
    if (u.host[0] == '\0' || strpbrk(u.host, "/@ ?#") != NULL || u.port == 0 ||
        (u.https ? (schemes & VT_GW_URL_HTTPS) == 0 : (schemes & VT_GW_URL_HTTP) == 0))
        __builtin_trap();
    if (!port_given(s) && u.port != (u.https ? 443 : 80))
        __builtin_trap();
    if (u.base[0] != '\0' && (u.base[0] != '/' || u.base[strlen(u.base) - 1] == '/'))
        __builtin_trap();
    snprintf(text, sizeof(text), strchr(u.host, ':') != NULL ? "%s://[%s]:%u%s" : "%s://%s:%u%s",
             u.https ? "https" : "http", u.host, (unsigned)u.port, u.base);
    if (strlen(text) - (u.https ? 8 : 7) <= VT_GW_URL_MAX &&
        (vt_gw_url_split(&again, text, schemes, "x", NULL) != VT_OK || memcmp(&again, &u, sizeof(u)) != 0))
        __builtin_trap();
    free(s);
    return 0;
}
