/* libFuzzer: the CORS preflight decision (http/cors.c) on any Access-Control-Request-Method
 * and Access-Control-Request-Headers values.  Input: the method, a newline, the header list
 * (each up to its first NUL, as evhttp hands a header value over); without a newline, the
 * whole input is the list and the method is POST. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "veritee/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const vt_cors policy = { "GET, POST, PUT", "authorization, content-type, mcp-protocol-version", NULL, NULL };

static const vt_cors gw = { "GET, POST, PUT", "authorization, content-type, mcp-protocol-version", NULL,
                            "x-stainless-" };

/* Is a[0..n) "x-stainless-" (any case) and 1 or more letters, digits, '-', 64 bytes at most? */
static bool sdk_name(const char *a, size_t n)
{
    if (n <= 12 || n > VT_CORS_PREFIXED_NAME_MAX || strncasecmp(a, "x-stainless-", 12) != 0)
        return false;
    for (size_t i = 12; i < n; i++)
        if (!((a[i] >= 'a' && a[i] <= 'z') || (a[i] >= 'A' && a[i] <= 'Z') || (a[i] >= '0' && a[i] <= '9') ||
              a[i] == '-'))
            return false;
    return true;
}

/* The oracle, written another way: every comma-separated element, spaces and tabs trimmed, is
 * empty or one of the policy's names (without case), or with sdk an SDK name (at most
 * VT_CORS_PREFIXED_MAX of those); the list holds nothing else. */
static bool list_ok_as(const char *s, bool sdk)
{
    unsigned sdk_count = 0;

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
        if (a != b && !known && sdk && sdk_name(a, (size_t)(b - a))) {
            known = true;
            if (++sdk_count > VT_CORS_PREFIXED_MAX)
                return false;
        }
        if (a != b && !known)
            return false;
        if (end == NULL)
            return true;
        p = end + 1;
    }
}

static bool list_ok(const char *s)
{
    return list_ok_as(s, false);
}

/* A granted SDK list's Access-Control-Allow-Headers: the fixed names, then ", " and names that are
 * SDK names, lowercase, each once, each in the list (without case). */
static bool allow_ok(const char *allow, const char *list)
{
    size_t fixed = strlen(gw.headers);

    if (strncmp(allow, gw.headers, fixed) != 0)
        return false;
    for (const char *p = allow + fixed; *p != '\0';) {
        const char *end;
        size_t n;
        if (strncmp(p, ", ", 2) != 0)
            return false;
        p += 2;
        end = strchr(p, ',');
        n = end != NULL ? (size_t)(end - p) : strlen(p);
        if (!sdk_name(p, n) || strcspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") < n)
            return false;
        for (const char *q = p + n; *q != '\0'; q++) /* once */
            if (strncmp(q, p, n) == 0 && (q[n] == ',' || q[n] == '\0') && q[-1] == ' ')
                return false;
        for (const char *q = list;; q++) { /* asked for */
            if (*q == '\0')
                return false;
            if (strncasecmp(q, p, n) == 0)
                break;
        }
        p += n;
    }
    return true;
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
    /* the gateway's policy: the SDK's names too, and exactly those asked for in the grant */
    {
        char allow[VT_CORS_ALLOW_HEADERS_LEN_MAX];
        bool ok = method_ok(method) && strlen(list) <= VT_CORS_REQUEST_HEADERS_LEN_MAX && list_ok_as(list, true);
        rc = vt_cors_preflight_grant(allow, sizeof(allow), &gw, method, list, &e);
        if (rc == VT_OK && (!ok || !allow_ok(allow, list)))
            __builtin_trap();
        if (rc != VT_OK && (allow[0] != '\0' || (ok && strspn(list, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                                "0123456789-, \t") == strlen(list))))
            __builtin_trap();
    }
    /* no list at all: the method alone decides */
    if ((vt_cors_preflight_check(&policy, method, NULL, NULL) == VT_OK) != method_ok(method))
        __builtin_trap();
    free(buf);
    return 0;
}
