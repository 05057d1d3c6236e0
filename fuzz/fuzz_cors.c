/* libFuzzer: the CORS preflight decision (http/cors.c) on any Access-Control-Request-Method
 * and Access-Control-Request-Headers values.  Input: the method, a newline, the header list
 * (each up to its first NUL, as evhttp hands a header value over); without a newline, the
 * whole input is the list and the method is POST. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "veritee/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const vt_cors policy = { "GET, POST, PUT", "authorization, content-type, mcp-protocol-version", NULL };

/* The oracle, written another way: every comma-separated element, spaces and tabs trimmed, is
 * empty or one of the policy's names (without case); the list holds nothing else. */
static bool list_ok(const char *s)
{
    static const char *const names[] = { "authorization", "content-type", "mcp-protocol-version" };
    const char *p = s;

    for (;;) {
        const char *end = strchr(p, ',');
        const char *a = p, *b = end != NULL ? end : p + strlen(p);
        bool known = false;
        while (a < b && (*a == ' ' || *a == '\t'))
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
            b--;
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && !known; i++)
            known = (size_t)(b - a) == strlen(names[i]) && strncasecmp(a, names[i], (size_t)(b - a)) == 0;
        if (a != b && !known)
            return false;
        if (end == NULL)
            return true;
        p = end + 1;
    }
}

static bool method_ok(const char *m)
{
    return strcmp(m, "GET") == 0 || strcmp(m, "POST") == 0 || strcmp(m, "PUT") == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf, *nl, *method = "POST", *list;
    vt_err e = { 0 };
    vt_status rc;

    buf = malloc(size + 1);
    if (buf == NULL)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    nl = memchr(buf, '\n', size);
    list = buf;
    if (nl != NULL) {
        *nl = '\0';
        method = buf;
        list = nl + 1;
    }
    rc = vt_cors_preflight_check(&policy, method, list, &e);
    if (rc == VT_OK) {
        /* granted: the method is one of the policy's, the list is within the bound and holds
         * only the policy's names */
        if (!method_ok(method) || strlen(list) > VT_CORS_REQUEST_HEADERS_LEN_MAX || !list_ok(list))
            __builtin_trap();
    } else {
        if (rc != VT_E_POLICY && rc != VT_E_FORMAT && rc != VT_E_LIMIT)
            __builtin_trap();
        if (strncmp(e.msg, "cors: ", 6) != 0)
            __builtin_trap();
        for (const char *p = e.msg; *p != '\0'; p++) /* what it echoes is printable */
            if (*p < ' ' || *p >= 0x7f)
                __builtin_trap();
        /* refused only for a reason: a method of the policy, a list within the bound that the
         * oracle accepts, and names only of tchar, are granted */
        if (method_ok(method) && strlen(list) <= VT_CORS_REQUEST_HEADERS_LEN_MAX && list_ok(list) &&
            strspn(list, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-, \t") == strlen(list))
            __builtin_trap();
    }
    /* no list at all: the method alone decides */
    if ((vt_cors_preflight_check(&policy, method, NULL, NULL) == VT_OK) != method_ok(method))
        __builtin_trap();
    free(buf);
    return 0;
}
