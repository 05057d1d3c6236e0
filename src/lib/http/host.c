/*
 * Which Host names a service answers (veritee/http.h, "Host"), opt-in.
 *
 * The Origin rule (origin.c) stops what a page of another site can make a
 * browser send, but a same-origin GET carries no Origin: after DNS rebinding
 * (the attacker's name re-pointed at the service's address once its page has
 * loaded) the page reads the service's public GET routes as its own.  That
 * matters where the service is reachable only on a private network and its
 * answers are not meant to leave it.  What the page cannot change is the Host
 * header: the browser sends the name of the URL it fetches, the attacker's
 * ("rebind.evil.example:8600").  So an operator who knows the names clients
 * use lists them (--allow-host), and a request naming any other is refused
 * 421 Misdirected Request before routing: the service is not the authority
 * for that name (RFC 9110 15.5.20), which is exactly what happened.
 *
 *   - no list (the default): nothing is checked (origin.c says why Host is not
 *     checked by default: without the operator's names there is nothing to
 *     compare it with).
 *   - a list: the Host header must name one of its entries, compared without
 *     case; an entry without a port allows its name on any port (a rebinding
 *     page cannot choose the port either: the browser connects to the
 *     service's own), an entry with one that port, where a Host without a
 *     port equals :80 and :443.  IP literals compare as given (an IPv6 one in
 *     its RFC 5952 form), nothing is resolved.
 *   - loopback names (localhost, 127.0.0.0/8, [::1]) are always allowed: a
 *     rebinding page sends the attacker's name, never these, and a client that
 *     names the loopback is on this machine (the gateway's own inner requests
 *     too).
 *   - no Host, two Host headers, or one that does not parse (a path, userinfo,
 *     a space, an overlong value): refused.  Browsers send exactly one.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "veritee/http.h"

/* name[:port] into o (vt_origin_parse's host and port rules, as an http origin); *port_given
 * says whether the text had a port. */
static vt_status host_parse(vt_origin *o, bool *port_given, const char *s, size_t len, vt_err *err)
{
    char text[VT_ORIGIN_LEN_MAX + 1];
    const char *rb, *colon;

    memset(o, 0, sizeof(*o));
    *port_given = false;
    if (len > VT_ORIGIN_LEN_MAX - 7)
        return vt_err_set(err, VT_E_LIMIT, "host: longer than %d bytes", VT_ORIGIN_LEN_MAX - 7);
    if (len == 0 || memchr(s, '\0', len) != NULL)
        return vt_err_set(err, VT_E_FORMAT, "host: empty, or with a NUL");
    memcpy(text, "http://", 7);
    memcpy(text + 7, s, len);
    text[7 + len] = '\0';
    if (vt_origin_parse(o, text, 7 + len, NULL) != VT_OK)
        return vt_err_set(err, VT_E_FORMAT, "host: not NAME[:PORT] (a name of [A-Za-z0-9._-], a dotted IPv4 "
                          "address or [IPv6], a port from 1 to 65535)");
    rb = strrchr(text, ']');
    colon = strrchr(text + 7, ':');
    *port_given = colon != NULL && (rb == NULL || colon > rb);
    return VT_OK;
}

void vt_host_list_init(vt_host_list *l)
{
    memset(l, 0, sizeof(*l));
}

static bool same_host(const vt_origin *entry, const vt_origin *h, bool port_given)
{
    if (entry->ipv6 != h->ipv6 || strcmp(entry->host, h->host) != 0)
        return false;
    if (entry->port == 0)
        return true;
    if (port_given)
        return entry->port == h->port;
    return entry->port == 80 || entry->port == 443;
}

vt_status vt_host_list_add(vt_host_list *l, const char *host, vt_err *err)
{
    vt_origin o;
    bool port_given;
    vt_status rc = host_parse(&o, &port_given, host, strlen(host), err);

    if (rc != VT_OK)
        return rc;
    o.https = false;
    if (!port_given)
        o.port = 0; /* any port */
    for (size_t i = 0; i < l->count; i++)
        if (l->entries[i].ipv6 == o.ipv6 && l->entries[i].port == o.port && strcmp(l->entries[i].host, o.host) == 0)
            return VT_OK;
    if (l->count >= VT_HOST_MAX)
        return vt_err_set(err, VT_E_LIMIT, "host: more than %d allowed hosts", VT_HOST_MAX);
    l->entries[l->count++] = o;
    return VT_OK;
}

void vt_host_format(char *out, size_t out_len, const vt_origin *entry)
{
    char port[8] = "";

    if (out_len == 0)
        return;
    if (entry->port != 0)
        snprintf(port, sizeof(port), ":%u", (unsigned)entry->port);
    snprintf(out, out_len, "%s%s%s%s", entry->ipv6 ? "[" : "", entry->host, entry->ipv6 ? "]" : "", port);
}

vt_status vt_host_check(const vt_host_list *l, const char *value, vt_err *err)
{
    vt_origin h;
    bool port_given;

    if (l == NULL || l->count == 0)
        return VT_OK;
    if (value == NULL)
        return vt_err_set(err, VT_E_POLICY, "http: a request without Host is not allowed");
    if (host_parse(&h, &port_given, value, strlen(value), NULL) != VT_OK)
        return vt_err_set(err, VT_E_POLICY, "http: a malformed or overlong Host header is not allowed");
    if (vt_origin_loopback(&h))
        return VT_OK;
    for (size_t i = 0; i < l->count; i++)
        if (same_host(&l->entries[i], &h, port_given))
            return VT_OK;
    return vt_err_set(err, VT_E_POLICY, "http: Host %s%s%s is not a name of this service", h.ipv6 ? "[" : "", h.host,
                      h.ipv6 ? "]" : "");
}

vt_status vt_host_check_request(const vt_host_list *l, struct evhttp_request *req, vt_err *err)
{
    const struct evkeyval *kv;
    const char *value = NULL;

    if (l == NULL || l->count == 0)
        return VT_OK;
    TAILQ_FOREACH(kv, evhttp_request_get_input_headers(req), next) {
        if (strcasecmp(kv->key, "Host") != 0)
            continue;
        if (value != NULL)
            return vt_err_set(err, VT_E_POLICY, "http: more than one Host header is not allowed");
        value = kv->value;
    }
    return vt_host_check(l, value, err);
}
