/*
 * Which browser pages may call a service (veritee/http.h, "Origin").
 *
 * The threat is a visitor's browser, not the client programs: a page of
 * another site can make the browser POST to the gateway or the verifier
 * without any CORS preflight (a "simple request": text/plain, a form), and a
 * DNS-rebinding page can do anything the service's own pages could, because
 * after rebinding its name to the service's address the browser treats the
 * service as same-origin.  Neither can choose the Origin header: the browser
 * sets it to the page's scheme, host and port.  So the rule is:
 *
 *   - no Origin: allowed.  Browsers send Origin on every cross-origin request
 *     and every POST; what sends none (curl, the SDKs, the CLI, a relay) is not
 *     a page of another site.  Same-origin GETs of the Observer send none too.
 *   - Origin "null" (a sandboxed frame, a file:// page, a cross-site
 *     redirect): refused, since any site can produce it.
 *   - a loopback origin (localhost, 127.0.0.0/8, [::1], http or https, any
 *     port): allowed.  A page has such an origin only when the browser loaded
 *     it from this machine's own loopback, i.e. from a local process, which
 *     can reach the service directly anyway.  A DNS-rebinding page keeps the
 *     attacker's name as its origin ("http://rebind.evil.example:8080") even
 *     while that name resolves to 127.0.0.1, so it is not a loopback origin.
 *     Only these exact names: "localhost.evil.example" and
 *     "127.0.0.1.evil.example" are names like any other.
 *   - an origin in the operator's allow-list (scheme, host and port equal
 *     after normalising case and default ports): allowed.
 *   - anything else, and anything that does not parse: refused.
 *
 * Deliberately not "Origin equals Host" (the same-origin test some servers
 * use): under DNS rebinding the browser sends Host with the attacker's name
 * too (it is the name in the URL it fetches), so Host and Origin agree and
 * the check would let exactly that attack through.  Host says nothing the
 * attacker does not choose.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "veritee/http.h"

#define ALPHA "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define DIGITS "0123456789"

/* The next byte without taking it; -1 at the end. */
static int peek(const vt_rd *r)
{
    return !r->failed && r->left > 0 ? r->p[0] : -1;
}

/* A host of a name ending in a number is an IPv4 address to a browser (WHATWG URL "ends in a
 * number"): it must then be the dotted-quad form the browser would have sent. */
static bool last_label_numeric(const char *host)
{
    const char *dot = strrchr(host, '.');
    const char *last = dot != NULL ? dot + 1 : host;

    return *last != '\0' && strspn(last, DIGITS) == strlen(last);
}

vt_status vt_origin_parse(vt_origin *out, const char *s, size_t len, vt_err *err)
{
    vt_origin o;
    vt_rd r;
    const uint8_t *scheme, *sep, *host;
    size_t sl, hl, pl;
    unsigned long port = 0;

    memset(out, 0, sizeof(*out));
    memset(&o, 0, sizeof(o));
    if (len > VT_ORIGIN_LEN_MAX)
        return vt_err_set(err, VT_E_LIMIT, "origin: longer than %d bytes", VT_ORIGIN_LEN_MAX);
    vt_rd_init(&r, (const uint8_t *)s, len);
    sl = vt_rd_span(&r, ALPHA);
    scheme = vt_rd_take(&r, sl);
    sep = vt_rd_take(&r, 3);
    if (scheme == NULL || sep == NULL || memcmp(sep, "://", 3) != 0 ||
        !((sl == 4 && strncasecmp((const char *)scheme, "http", 4) == 0) ||
          (sl == 5 && strncasecmp((const char *)scheme, "https", 5) == 0)))
        return vt_err_set(err, VT_E_FORMAT, "origin: must start with http:// or https://");
    o.https = sl == 5;
    if (peek(&r) == '[') {
        char text[INET6_ADDRSTRLEN];
        struct in6_addr a6;
        vt_rd_skip(&r, 1);
        hl = vt_rd_span(&r, DIGITS "abcdefABCDEF:.");
        host = vt_rd_take(&r, hl);
        if (host == NULL || hl == 0 || hl >= sizeof(text) || vt_rd_u8(&r) != ']' || !vt_rd_ok(&r))
            return vt_err_set(err, VT_E_FORMAT, "origin: an IPv6 host is written [address]");
        memcpy(text, host, hl);
        text[hl] = '\0';
        if (inet_pton(AF_INET6, text, &a6) != 1 || inet_ntop(AF_INET6, &a6, o.host, sizeof(o.host)) == NULL)
            return vt_err_set(err, VT_E_FORMAT, "origin: [%s] is not an IPv6 address", text);
        o.ipv6 = true;
    } else {
        struct in_addr a4;
        hl = vt_rd_span(&r, ALPHA DIGITS "-._");
        host = vt_rd_take(&r, hl);
        if (host == NULL || hl == 0)
            return vt_err_set(err, VT_E_FORMAT, "origin: no host, or a host with a character other than "
                              "[A-Za-z0-9._-]");
        for (size_t i = 0; i < hl; i++) /* hl <= len <= VT_ORIGIN_LEN_MAX */
            o.host[i] = (char)((host[i] >= 'A' && host[i] <= 'Z') ? host[i] + ('a' - 'A') : host[i]);
        if (last_label_numeric(o.host) && inet_pton(AF_INET, o.host, &a4) != 1)
            return vt_err_set(err, VT_E_FORMAT, "origin: host %s is not a dotted IPv4 address", o.host);
    }
    o.port = o.https ? 443 : 80;
    if (peek(&r) == ':') {
        const uint8_t *digits;
        vt_rd_skip(&r, 1);
        pl = vt_rd_span(&r, DIGITS);
        digits = vt_rd_take(&r, pl);
        for (size_t i = 0; digits != NULL && i < pl && i < 5; i++)
            port = port * 10 + (unsigned long)(digits[i] - '0');
        if (digits == NULL || pl == 0 || pl > 5 || port == 0 || port > 65535)
            return vt_err_set(err, VT_E_FORMAT, "origin: the port must be a number from 1 to 65535");
        o.port = (uint16_t)port;
    }
    if (!vt_rd_ok_and_empty(&r))
        return vt_err_set(err, VT_E_FORMAT, "origin: only scheme://host[:port] (no path, not even '/', no "
                          "userinfo, query or space)");
    *out = o;
    return VT_OK;
}

void vt_origin_format(char *out, size_t out_len, const vt_origin *o)
{
    char port[8] = "";

    if (out_len == 0)
        return;
    if (o->port != (o->https ? 443 : 80))
        snprintf(port, sizeof(port), ":%u", (unsigned)o->port);
    snprintf(out, out_len, "%s://%s%s%s%s", o->https ? "https" : "http", o->ipv6 ? "[" : "", o->host,
             o->ipv6 ? "]" : "", port);
}

void vt_origin_list_init(vt_origin_list *l)
{
    memset(l, 0, sizeof(*l));
}

static bool same(const vt_origin *a, const vt_origin *b)
{
    return a->https == b->https && a->port == b->port && a->ipv6 == b->ipv6 && strcmp(a->host, b->host) == 0;
}

static bool listed(const vt_origin_list *l, const vt_origin *o)
{
    for (size_t i = 0; l != NULL && i < l->count; i++)
        if (same(&l->entries[i], o))
            return true;
    return false;
}

vt_status vt_origin_list_add(vt_origin_list *l, const char *origin, vt_err *err)
{
    vt_origin o;
    vt_status rc;

    if (strcasecmp(origin, "null") == 0)
        return vt_err_set(err, VT_E_ARG, "origin: null cannot be allowed (every sandboxed page and local file "
                          "sends it)");
    if (strcmp(origin, "*") == 0)
        return vt_err_set(err, VT_E_ARG, "origin: * cannot be allowed (it would allow every site): list each "
                          "origin");
    rc = vt_origin_parse(&o, origin, strlen(origin), err);
    if (rc != VT_OK)
        return rc;
    if (listed(l, &o))
        return VT_OK;
    if (l->count >= VT_ORIGIN_MAX)
        return vt_err_set(err, VT_E_LIMIT, "origin: more than %d allowed origins", VT_ORIGIN_MAX);
    l->entries[l->count++] = o;
    return VT_OK;
}

/* localhost, 127.0.0.0/8 or ::1 (see the top of this file for why these are safe as origins). */
bool vt_origin_loopback(const vt_origin *o)
{
    struct in_addr a4;

    if (o->ipv6)
        return strcmp(o->host, "::1") == 0; /* inet_ntop's canonical text of every spelling of ::1 */
    if (strcmp(o->host, "localhost") == 0)
        return true;
    return inet_pton(AF_INET, o->host, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127;
}

bool vt_url_loopback(const char *url)
{
    const char *sep = strstr(url, "://"), *end = sep != NULL ? strchr(sep + 3, '/') : NULL;
    vt_origin o;

    return sep != NULL &&
           vt_origin_parse(&o, url, end != NULL ? (size_t)(end - url) : strlen(url), NULL) == VT_OK &&
           vt_origin_loopback(&o);
}

vt_status vt_origin_check(const vt_origin_list *l, const char *value, vt_err *err)
{
    vt_origin o;
    char shown[VT_ORIGIN_LEN_MAX + 16];

    if (value == NULL)
        return VT_OK; /* not a browser */
    if (strcasecmp(value, "null") == 0)
        return vt_err_set(err, VT_E_POLICY, "http: Origin null (a sandboxed page, a local file or a cross-site "
                          "redirect) is not allowed");
    if (vt_origin_parse(&o, value, strlen(value), NULL) != VT_OK)
        return vt_err_set(err, VT_E_POLICY, "http: a malformed or overlong Origin header is not allowed");
    if (vt_origin_loopback(&o) || listed(l, &o))
        return VT_OK;
    vt_origin_format(shown, sizeof(shown), &o);
    return vt_err_set(err, VT_E_POLICY, "http: Origin %s is not allowed", shown);
}

vt_status vt_origin_check_request(const char **value_out, const vt_origin_list *l, struct evhttp_request *req,
                                  vt_err *err)
{
    const struct evkeyvalq *headers = evhttp_request_get_input_headers(req);
    const struct evkeyval *h;
    const char *value = NULL;
    vt_status rc;

    if (value_out != NULL)
        *value_out = NULL;
    TAILQ_FOREACH(h, headers, next) {
        if (strcasecmp(h->key, "Origin") != 0)
            continue;
        if (value != NULL) /* a browser sends one; two are a client's own ambiguity */
            return vt_err_set(err, VT_E_POLICY, "http: more than one Origin header is not allowed");
        value = h->value;
    }
    rc = vt_origin_check(l, value, err);
    if (rc == VT_OK && value_out != NULL)
        *value_out = value;
    return rc;
}
