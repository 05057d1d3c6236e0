/* libFuzzer: the Origin rule (http/origin.c) on any header value: the parser,
 * the allow-list and the decision.  Input: byte 0 picks the allow-list (none,
 * or two fixed entries); the rest is the Origin header's value. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "veritee/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What the decision allows with an empty list: a loopback host, and only that. */
static bool loopback_text(const vt_origin *o)
{
    if (o->ipv6)
        return strcmp(o->host, "::1") == 0;
    if (strcmp(o->host, "localhost") == 0)
        return true;
    /* digits and dots from "127.", not ending in a dot: the parser took it as a dotted quad */
    return strncmp(o->host, "127.", 4) == 0 && strspn(o->host, "0123456789.") == strlen(o->host) &&
           o->host[strlen(o->host) - 1] != '.';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vt_origin_list empty, list;
    vt_origin o, again;
    vt_err e = { 0 };
    char *s, text[VT_ORIGIN_LEN_MAX + 16];
    bool parsed;

    if (size < 1)
        return 0;
    vt_origin_list_init(&empty);
    vt_origin_list_init(&list);
    if ((data[0] & 1) != 0 && (vt_origin_list_add(&list, "https://app.example.com", NULL) != VT_OK ||
                               vt_origin_list_add(&list, "http://[2001:db8::1]:8080", NULL) != VT_OK))
        __builtin_trap();
    s = malloc(size); /* the header value as a C string: up to the first NUL, as evhttp hands it over */
    if (s == NULL)
        return 0;
    memcpy(s, data + 1, size - 1);
    s[size - 1] = '\0';

    parsed = vt_origin_parse(&o, s, strlen(s), &e) == VT_OK;
    if (!parsed) {
        static const vt_origin zero;
        if (memcmp(&o, &zero, sizeof(o)) != 0 || e.msg[0] == '\0')
            __builtin_trap(); /* zeroed, with a reason */
        if (vt_origin_check(&list, s, NULL) == VT_OK || vt_origin_check(&empty, s, NULL) == VT_OK)
            __builtin_trap(); /* what does not parse is refused */
    } else {
        /* The normalised form is printable, parses back to the same origin, and is what the list keeps. */
        vt_origin_format(text, sizeof(text), &o);
        for (const char *p = text; *p != '\0'; p++)
            if (*p <= ' ' || *p >= 0x7f)
                __builtin_trap();
        if (vt_origin_parse(&again, text, strlen(text), NULL) != VT_OK || again.https != o.https ||
            again.port != o.port || again.ipv6 != o.ipv6 || strcmp(again.host, o.host) != 0)
            __builtin_trap();
        if ((vt_origin_check(&empty, s, NULL) == VT_OK) != loopback_text(&o))
            __builtin_trap(); /* an empty list allows loopback origins only */
        if (vt_origin_list_add(&list, s, NULL) == VT_OK && vt_origin_check(&list, text, NULL) != VT_OK)
            __builtin_trap(); /* what was added is allowed */
    }
    if (strcasecmp(s, "null") == 0 && vt_origin_check(&list, s, NULL) == VT_OK)
        __builtin_trap();
    free(s);
    return 0;
}
