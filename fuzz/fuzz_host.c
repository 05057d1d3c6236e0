/* libFuzzer: the Host rule (http/host.c) on any header value: the parser behind
 * vt_host_list_add and vt_host_check, and the decision.  Input: byte 0 picks
 * the allow-list (empty, or three fixed entries); the rest is the Host value. */
#include <stdlib.h>
#include <string.h>

#include "veritee/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vt_host_list empty, list, own, again;
    vt_err e = { 0 };
    char *s, text[VT_ORIGIN_LEN_MAX + 16];

    if (size < 1)
        return 0;
    vt_host_list_init(&empty);
    vt_host_list_init(&list);
    vt_host_list_init(&own);
    vt_host_list_init(&again);
    if ((data[0] & 1) != 0 && (vt_host_list_add(&list, "Gateway.Internal", NULL) != VT_OK ||
                               vt_host_list_add(&list, "10.0.0.5:8080", NULL) != VT_OK ||
                               vt_host_list_add(&list, "[2001:db8::1]:443", NULL) != VT_OK))
        __builtin_trap();
    s = malloc(size); /* the header value as a C string, as evhttp hands it over */
    if (s == NULL)
        return 0;
    memcpy(s, data + 1, size - 1);
    s[size - 1] = '\0';

    if (vt_host_check(&empty, s, NULL) != VT_OK || vt_host_check(NULL, s, NULL) != VT_OK)
        __builtin_trap(); /* no list: nothing is checked */
    if (vt_host_check(&list, s, &e) != VT_OK && (e.code != VT_E_POLICY || e.msg[0] == '\0'))
        __builtin_trap(); /* refused with a reason */
    if (vt_host_list_add(&own, s, &e) == VT_OK) {
        /* an entry allows its own text, and its printed form is the same entry */
        if (own.count != 1 || vt_host_check(&own, s, NULL) != VT_OK)
            __builtin_trap();
        vt_host_format(text, sizeof(text), &own.entries[0]);
        if (vt_host_list_add(&again, text, NULL) != VT_OK ||
            again.entries[0].ipv6 != own.entries[0].ipv6 || again.entries[0].port != own.entries[0].port ||
            strcmp(again.entries[0].host, own.entries[0].host) != 0)
            __builtin_trap();
    } else if (own.count != 0) {
        __builtin_trap(); /* unchanged on failure */
    }
    free(s);
    return 0;
}
