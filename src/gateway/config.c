/* gateway.json: strict parsing, defaults, flag overrides (see config.h). */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/config.h"
#include "gateway/deployment.h"
#include "veritee/crypto.h"

#define KIB ((size_t)1024)
#define MIB (KIB * 1024)
#define SIZE_CAP (1024 * MIB) /* no single limit beyond 1 GiB */
#define MS_CAP 86400000u      /* one day */

void vt_gw_config_defaults(vt_gw_config *c)
{
    memset(c, 0, sizeof(*c));
    c->listen_host = strdup("127.0.0.1");
    c->listen_port = 8080;
    c->limits.max_request_bytes = 8 * MIB;
    c->limits.max_response_bytes = 16 * MIB;
    c->limits.max_event_bytes = 1 * MIB;
    c->limits.max_header_bytes = 64 * KIB;
    c->limits.stream_buffer_bytes = 256 * KIB;
    c->limits.upstream_connect_timeout_ms = 5000;
    c->limits.upstream_idle_timeout_ms = 300000; /* long prompts can take minutes before the first token */
    c->limits.client_header_timeout_ms = 30000;
    c->limits.client_body_timeout_ms = 60000;
    c->limits.max_connections = 4096;
    c->limits.upstream_keepalive = 256;
    c->limits.max_client_connections = 8192;
    c->limits.max_connections_per_client = 1024;
    c->limits.attestation_per_sec = 20;
    c->model_check_ms = 1000;
}

void vt_gw_config_free(vt_gw_config *c)
{
    if (c == NULL)
        return;
    free(c->listen_host);
    free(c->listen_plain_host);
    free(c->upstream_url);
    free(c->upstream_host);
    free(c->upstream_base);
    free(c->verifier_url);
    free(c->environment);
    free(c->verifier_jwks);
    for (size_t i = 0; i < c->model_count; i++)
        free(c->models[i]);
    free(c->models);
    json_decref(c->auditors);
    json_decref(c->encrypted_models);
    free(c->state_dir);
    free(c->deployment_type);
    json_decref(c->workflow);
    vt_gw_deploy_free(c->deploy);
    memset(c, 0, sizeof(*c));
}

static vt_status set_str(char **dst, const char *s, size_t len, vt_err *err)
{
    char *p = strndup(s, len);

    if (p == NULL)
        return vt_err_set(err, VT_E_NOMEM, "gateway config: out of memory");
    free(*dst);
    *dst = p;
    return VT_OK;
}

static vt_status parse_port(uint16_t *out, const char *s, size_t len, const char *what, bool zero_ok, vt_err *err)
{
    unsigned long v = 0;

    if (len == 0 || len > 5)
        return vt_err_set(err, VT_E_ARG, "gateway config: %s port is not a number from 1 to 65535", what);
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return vt_err_set(err, VT_E_ARG, "gateway config: %s port is not a number from 1 to 65535", what);
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    if ((v == 0 && !zero_ok) || v > 65535)
        return vt_err_set(err, VT_E_ARG, "gateway config: %s port is not a number from 1 to 65535", what);
    *out = (uint16_t)v;
    return VT_OK;
}

/* Splits "host:port" / "[v6]:port" into host (may be empty) and port text. */
static vt_status split_hostport(const char *s, size_t len, const char **host, size_t *hlen, const char **port,
                                size_t *plen, const char *what, vt_err *err)
{
    const char *colon;

    if (len > 0 && s[0] == '[') {
        const char *close = memchr(s, ']', len);
        if (close == NULL)
            return vt_err_set(err, VT_E_ARG, "gateway config: %s has '[' without ']'", what);
        *host = s + 1;
        *hlen = (size_t)(close - s - 1);
        colon = close + 1 < s + len && close[1] == ':' ? close + 1 : NULL;
        if (colon == NULL && close + 1 != s + len)
            return vt_err_set(err, VT_E_ARG, "gateway config: %s has junk after ']'", what);
    } else {
        colon = memchr(s, ':', len);
        if (colon != NULL && memchr(colon + 1, ':', len - (size_t)(colon + 1 - s)) != NULL)
            return vt_err_set(err, VT_E_ARG, "gateway config: %s: write IPv6 addresses as [addr]:port", what);
        *host = s;
        *hlen = colon != NULL ? (size_t)(colon - s) : len;
    }
    *port = colon != NULL ? colon + 1 : NULL;
    *plen = colon != NULL ? len - (size_t)(colon + 1 - s) : 0;
    for (size_t i = 0; i < *hlen; i++) {
        unsigned char ch = (unsigned char)(*host)[i];
        if (ch <= ' ' || ch >= 0x7f || ch == '/' || ch == '@' || ch == '?' || ch == '#')
            return vt_err_set(err, VT_E_ARG, "gateway config: %s host has a character that is not allowed", what);
    }
    return VT_OK;
}

vt_status vt_gw_config_set_listen(vt_gw_config *c, const char *s, vt_err *err)
{
    const char *host, *port;
    size_t hlen, plen;
    uint16_t p;
    vt_status rc = split_hostport(s, strlen(s), &host, &hlen, &port, &plen, "listen", err);

    if (rc != VT_OK)
        return rc;
    if (port == NULL)
        return vt_err_set(err, VT_E_ARG, "gateway config: listen needs a port (host:port or :port)");
    rc = parse_port(&p, port, plen, "listen", true, err);
    if (rc == VT_OK && hlen > 0)
        rc = set_str(&c->listen_host, host, hlen, err);
    if (rc == VT_OK)
        c->listen_port = p;
    return rc;
}

static vt_status url_split(vt_gw_url *out, const char *url, unsigned schemes, const char *what, vt_err *err)
{
    bool https = strncmp(url, "https://", 8) == 0;
    const char *rest, *slash, *host, *port;
    size_t len, alen, hlen, plen, blen;
    struct in6_addr a6;
    vt_status rc;

    if (!https && strncmp(url, "http://", 7) != 0)
        return vt_err_set(err, VT_E_ARG, "gateway config: %s must be an %s URL", what,
                          schemes == VT_GW_URL_HTTP ? "http://" : schemes == VT_GW_URL_HTTPS ? "https://"
                                                                                             : "https:// or http://");
    if (https && (schemes & VT_GW_URL_HTTPS) == 0)
        return vt_err_set(err, VT_E_UNSUPPORTED, "gateway config: %s: https is not supported here", what);
    if (!https && (schemes & VT_GW_URL_HTTP) == 0)
        return vt_err_set(err, VT_E_ARG, "gateway config: %s must be an https:// URL", what);
    rest = url + (https ? 8 : 7);
    len = strnlen(rest, VT_GW_URL_MAX + 1);
    if (len > VT_GW_URL_MAX)
        return vt_err_set(err, VT_E_LIMIT, "gateway config: %s URL is too long", what);
    slash = memchr(rest, '/', len);
    alen = slash != NULL ? (size_t)(slash - rest) : len;
    if (memchr(rest, '@', alen) != NULL)
        return vt_err_set(err, VT_E_ARG, "gateway config: %s may not hold userinfo (user@)", what);
    rc = split_hostport(rest, alen, &host, &hlen, &port, &plen, what, err);
    if (rc != VT_OK)
        return rc;
    if (hlen == 0)
        return vt_err_set(err, VT_E_ARG, "gateway config: %s has no host", what);
    if (hlen >= sizeof(out->host))
        return vt_err_set(err, VT_E_LIMIT, "gateway config: %s host is longer than %zu bytes", what,
                          sizeof(out->host) - 1);
    memcpy(out->host, host, hlen);
    if (rest[0] == '[' && inet_pton(AF_INET6, out->host, &a6) != 1)
        return vt_err_set(err, VT_E_ARG, "gateway config: %s host [...] is not an IPv6 address", what);
    out->https = https;
    out->port = https ? 443 : 80;
    if (port != NULL && (rc = parse_port(&out->port, port, plen, what, false, err)) != VT_OK)
        return rc;
    blen = slash != NULL ? len - alen : 0;
    while (blen > 0 && slash[blen - 1] == '/')
        blen--;
    for (size_t i = 0; i < blen; i++) {
        unsigned char ch = (unsigned char)slash[i];
        if (ch <= ' ' || ch >= 0x7f || ch == '?' || ch == '#')
            return vt_err_set(err, VT_E_ARG, "gateway config: %s path may not hold a query, fragment or space", what);
    }
    if (blen > 0)
        memcpy(out->base, slash, blen);
    return VT_OK;
}

vt_status vt_gw_url_split(vt_gw_url *out, const char *url, unsigned schemes, const char *what, vt_err *err)
{
    vt_status rc;

    memset(out, 0, sizeof(*out));
    rc = url_split(out, url, schemes, what, err);
    if (rc != VT_OK)
        memset(out, 0, sizeof(*out));
    return rc;
}

vt_status vt_gw_config_set_upstream(vt_gw_config *c, const char *url, vt_err *err)
{
    vt_gw_url u;
    vt_status rc = vt_gw_url_split(&u, url, VT_GW_URL_HTTP, "upstream", err);

    if (rc == VT_E_UNSUPPORTED)
        return vt_err_set(err, VT_E_UNSUPPORTED,
                          "gateway config: upstream https is not supported (the model server runs beside the gateway)");
    if (rc == VT_OK)
        rc = set_str(&c->upstream_host, u.host, strlen(u.host), err);
    if (rc == VT_OK)
        rc = set_str(&c->upstream_base, u.base, strlen(u.base), err);
    if (rc == VT_OK)
        rc = set_str(&c->upstream_url, url, strlen(url), err);
    if (rc == VT_OK)
        c->upstream_port = u.port;
    return rc;
}

static vt_status get_uint(uint64_t *out, json_t *v, const char *key, uint64_t min, uint64_t max, vt_err *err)
{
    json_int_t i;

    if (!json_is_integer(v))
        return vt_err_set(err, VT_E_ARG, "gateway config: %s must be an integer", key);
    i = json_integer_value(v);
    if (i < 0 || (uint64_t)i < min || (uint64_t)i > max)
        return vt_err_set(err, VT_E_ARG, "gateway config: %s must be from %llu to %llu", key,
                          (unsigned long long)min, (unsigned long long)max);
    *out = (uint64_t)i;
    return VT_OK;
}

static vt_status get_string(char **dst, json_t *v, const char *key, vt_err *err)
{
    if (!json_is_string(v))
        return vt_err_set(err, VT_E_ARG, "gateway config: %s must be a string", key);
    if (json_string_length(v) == 0 || json_string_length(v) > 4096 ||
        strlen(json_string_value(v)) != json_string_length(v))
        return vt_err_set(err, VT_E_ARG, "gateway config: %s must be a non-empty string without NUL (<= 4096 bytes)",
                          key);
    return set_str(dst, json_string_value(v), json_string_length(v), err);
}

struct limit_key {
    const char *name;
    int is_uint; /* unsigned field (else size_t) */
    size_t off;
    uint64_t min, max;
};

#define LSZ(f, mn) { #f, 0, offsetof(vt_gw_limits, f), mn, SIZE_CAP }
#define LMS(f, mn) { #f, 1, offsetof(vt_gw_limits, f), mn, MS_CAP }
static const struct limit_key limit_keys[] = {
    LSZ(max_request_bytes, 1),
    LSZ(max_response_bytes, 1),
    LSZ(max_event_bytes, 64),
    LSZ(max_header_bytes, 1024),
    LSZ(stream_buffer_bytes, 1024),
    LMS(upstream_connect_timeout_ms, 1),
    LMS(upstream_idle_timeout_ms, 1),
    LMS(client_header_timeout_ms, 1),
    LMS(client_body_timeout_ms, 1),
    { "max_connections", 1, offsetof(vt_gw_limits, max_connections), 1, 1000000 },
    { "upstream_keepalive", 1, offsetof(vt_gw_limits, upstream_keepalive), 0, 100000 },
    { "max_client_connections", 1, offsetof(vt_gw_limits, max_client_connections), 1, 1000000 },
    { "max_connections_per_client", 1, offsetof(vt_gw_limits, max_connections_per_client), 1, 1000000 },
    { "attestation_per_sec", 1, offsetof(vt_gw_limits, attestation_per_sec), 1, 100000 },
};

static vt_status parse_limits(vt_gw_limits *l, json_t *obj, vt_err *err)
{
    const char *key;
    json_t *v;

    if (!json_is_object(obj))
        return vt_err_set(err, VT_E_ARG, "gateway config: limits must be an object");
    json_object_foreach(obj, key, v) {
        const struct limit_key *k = NULL;
        char full[96];
        uint64_t x;
        vt_status rc;

        for (size_t i = 0; i < sizeof(limit_keys) / sizeof(limit_keys[0]); i++)
            if (strcmp(key, limit_keys[i].name) == 0)
                k = &limit_keys[i];
        if (k == NULL)
            return vt_err_set(err, VT_E_ARG, "gateway config: unknown key limits.%.64s", key);
        snprintf(full, sizeof(full), "limits.%s", k->name);
        rc = get_uint(&x, v, full, k->min, k->max, err);
        if (rc != VT_OK)
            return rc;
        if (k->is_uint)
            *(unsigned *)(void *)((char *)l + k->off) = (unsigned)x;
        else
            *(size_t *)(void *)((char *)l + k->off) = (size_t)x;
    }
    return VT_OK;
}

static vt_status parse_models(vt_gw_config *c, json_t *arr, vt_err *err)
{
    size_t n;
    char **m;

    if (!json_is_array(arr))
        return vt_err_set(err, VT_E_ARG, "gateway config: models must be an array of paths");
    n = json_array_size(arr);
    if (n > VT_APPRAISAL_MAX_DIGESTS) /* each is an event of the log, and a passport names every one */
        return vt_err_set(err, VT_E_LIMIT, "gateway config: models lists more than %d paths (a passport names at most "
                          "%d models; list their directory instead)", VT_APPRAISAL_MAX_DIGESTS, VT_APPRAISAL_MAX_DIGESTS);
    m = calloc(n > 0 ? n : 1, sizeof(*m));
    if (m == NULL)
        return vt_err_set(err, VT_E_NOMEM, "gateway config: out of memory");
    for (size_t i = 0; i < n; i++) {
        char key[32];
        vt_status rc;
        snprintf(key, sizeof(key), "models[%zu]", i);
        rc = get_string(&m[i], json_array_get(arr, i), key, err);
        if (rc != VT_OK) {
            for (size_t j = 0; j < i; j++)
                free(m[j]);
            free(m);
            return rc;
        }
    }
    for (size_t i = 0; i < c->model_count; i++)
        free(c->models[i]);
    free(c->models);
    c->models = m;
    c->model_count = n;
    return VT_OK;
}

static vt_status parse_auditors(vt_gw_config *c, json_t *arr, vt_err *err)
{
    size_t i;
    json_t *a;

    if (!json_is_array(arr))
        return vt_err_set(err, VT_E_ARG, "gateway config: auditors must be an array of objects");
    json_array_foreach(arr, i, a) {
        if (!json_is_object(a) || !json_is_string(json_object_get(a, "name")))
            return vt_err_set(err, VT_E_ARG, "gateway config: auditors[%zu] must be an object with a \"name\"", i);
    }
    json_decref(c->auditors);
    c->auditors = json_incref(arr);
    return VT_OK;
}

/* "allowed_origins": ["https://app.example.com", ...]; replaces what c has, or leaves it as it was. */
static vt_status parse_origins(vt_gw_config *c, json_t *arr, vt_err *err)
{
    vt_origin_list l;
    size_t i;
    json_t *v;

    if (!json_is_array(arr))
        return vt_err_set(err, VT_E_ARG, "gateway config: allowed_origins must be an array of origins "
                          "(\"https://app.example.com\")");
    if (json_array_size(arr) > VT_ORIGIN_MAX)
        return vt_err_set(err, VT_E_LIMIT, "gateway config: allowed_origins lists more than %d origins", VT_ORIGIN_MAX);
    vt_origin_list_init(&l);
    json_array_foreach(arr, i, v) {
        vt_err e = { 0 };
        if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
            return vt_err_set(err, VT_E_ARG, "gateway config: allowed_origins[%zu] must be a string", i);
        if (vt_origin_list_add(&l, json_string_value(v), &e) != VT_OK)
            return vt_err_set(err, VT_E_ARG, "gateway config: allowed_origins[%zu]: %s", i, e.msg);
    }
    c->origins = l;
    return VT_OK;
}

/* "allowed_hosts": ["gateway.internal", "10.0.0.5:8080", ...]; replaces what c has, or leaves it as it was. */
static vt_status parse_hosts(vt_gw_config *c, json_t *arr, vt_err *err)
{
    vt_host_list l;
    size_t i;
    json_t *v;

    if (!json_is_array(arr))
        return vt_err_set(err, VT_E_ARG, "gateway config: allowed_hosts must be an array of NAME[:PORT] "
                          "(\"gateway.internal\")");
    if (json_array_size(arr) > VT_HOST_MAX)
        return vt_err_set(err, VT_E_LIMIT, "gateway config: allowed_hosts lists more than %d names", VT_HOST_MAX);
    vt_host_list_init(&l);
    json_array_foreach(arr, i, v) {
        vt_err e = { 0 };
        if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
            return vt_err_set(err, VT_E_ARG, "gateway config: allowed_hosts[%zu] must be a string", i);
        if (vt_host_list_add(&l, json_string_value(v), &e) != VT_OK)
            return vt_err_set(err, VT_E_ARG, "gateway config: allowed_hosts[%zu]: %s", i, e.msg);
    }
    c->hosts = l;
    return VT_OK;
}

vt_status vt_gw_config_parse(vt_gw_config *c, const char *json, size_t len, vt_err *err)
{
    json_error_t jerr;
    json_t *doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    const char *key;
    json_t *v;
    vt_status rc = VT_OK;

    if (doc == NULL)
        return vt_err_set(err, VT_E_FORMAT, "gateway config: line %d: %s", jerr.line, jerr.text);
    if (!json_is_object(doc)) {
        json_decref(doc);
        return vt_err_set(err, VT_E_FORMAT, "gateway config: the document must be a JSON object");
    }
    json_object_foreach(doc, key, v) {
        if (strcmp(key, "listen") == 0) {
            if (!json_is_string(v))
                rc = vt_err_set(err, VT_E_ARG, "gateway config: listen must be a string \"host:port\"");
            else
                rc = vt_gw_config_set_listen(c, json_string_value(v), err);
        } else if (strcmp(key, "upstream") == 0) {
            if (!json_is_string(v))
                rc = vt_err_set(err, VT_E_ARG, "gateway config: upstream must be a string URL");
            else
                rc = vt_gw_config_set_upstream(c, json_string_value(v), err);
        } else if (strcmp(key, "threads") == 0) {
            uint64_t t;
            rc = get_uint(&t, v, "threads", 0, 256, err);
            if (rc == VT_OK)
                c->threads = (unsigned)t;
        } else if (strcmp(key, "limits") == 0) {
            rc = parse_limits(&c->limits, v, err);
        } else if (strcmp(key, "verifier") == 0) {
            rc = get_string(&c->verifier_url, v, "verifier", err);
            if (rc == VT_OK && strncmp(c->verifier_url, "http://", 7) != 0 &&
                strncmp(c->verifier_url, "https://", 8) != 0)
                rc = vt_err_set(err, VT_E_ARG, "gateway config: verifier must be an http:// or https:// URL");
        } else if (strcmp(key, "verifier_jwks") == 0) {
            /* A file the operator saved: the pin is never fetched (that is what it is for). */
            rc = get_string(&c->verifier_jwks, v, "verifier_jwks", err);
            if (rc == VT_OK && strstr(c->verifier_jwks, "://") != NULL)
                rc = vt_err_set(err, VT_E_ARG, "gateway config: verifier_jwks must be a file path (the verifier's "
                                "/.well-known/jwks.json saved), not a URL");
        } else if (strcmp(key, "environment") == 0) {
            rc = get_string(&c->environment, v, "environment", err);
        } else if (strcmp(key, "serve_on_warning") == 0) {
            if (!json_is_boolean(v))
                rc = vt_err_set(err, VT_E_ARG, "gateway config: serve_on_warning must be true or false");
            else
                c->serve_on_warning = json_is_true(v);
        } else if (strcmp(key, "model_check_ms") == 0) {
            uint64_t ms;
            rc = get_uint(&ms, v, "model_check_ms", 0, VT_GW_MODEL_CHECK_MS_MAX, err);
            if (rc == VT_OK)
                c->model_check_ms = (unsigned)ms;
        } else if (strcmp(key, "models") == 0) {
            rc = parse_models(c, v, err);
        } else if (strcmp(key, "auditors") == 0) {
            rc = parse_auditors(c, v, err);
        } else if (strcmp(key, "state_dir") == 0) {
            rc = get_string(&c->state_dir, v, "state_dir", err);
        } else if (strcmp(key, "encrypted_models") == 0) { /* docs/keys.md; entries checked at boot */
            if (!json_is_array(v) || json_array_size(v) > 64)
                rc = vt_err_set(err, VT_E_ARG, "gateway config: encrypted_models must be an array (at most 64)");
            json_decref(c->encrypted_models);
            c->encrypted_models = rc == VT_OK ? json_incref(v) : NULL;
        } else if (strcmp(key, "deployment_type") == 0) {
            vt_gw_dtype t;
            rc = vt_gw_dtype_parse(&t, json_string_value(v)) ? get_string(&c->deployment_type, v, key, err)
                 : vt_err_set(err, VT_E_ARG, "gateway config: deployment_type must be full, model, app or bridge");
        } else if (strcmp(key, "allowed_origins") == 0) {
            rc = parse_origins(c, v, err);
        } else if (strcmp(key, "allowed_hosts") == 0) {
            rc = parse_hosts(c, v, err);
        } else if (strcmp(key, "workflow") == 0) {
            json_t *w = NULL;
            rc = vt_gw_workflow_config(&w, v, err);
            if (rc == VT_OK) {
                json_decref(c->workflow);
                c->workflow = w;
            }
        } else {
            rc = vt_err_set(err, VT_E_ARG, "gateway config: unknown key %.64s", key);
        }
        if (rc != VT_OK)
            break;
    }
    json_decref(doc);
    return rc;
}

vt_status vt_gw_config_check(const vt_gw_config *c, vt_err *err)
{
    if (c->upstream_host == NULL && !(c->deployment_type != NULL && strcmp(c->deployment_type, "app") == 0))
        return vt_err_set(err, VT_E_ARG, "gateway config: no upstream (set \"upstream\" or --upstream)");
    if (c->listen_host == NULL)
        return vt_err_set(err, VT_E_NOMEM, "gateway config: out of memory");
    if (c->limits.max_event_bytes > c->limits.max_response_bytes)
        return vt_err_set(err, VT_E_ARG, "gateway config: limits.max_event_bytes exceeds limits.max_response_bytes");
    if (c->verifier_jwks != NULL && c->verifier_url == NULL)
        return vt_err_set(err, VT_E_ARG, "gateway config: verifier_jwks pins the keys of a verifier: set \"verifier\"");
    if (c->model_count + json_array_size(c->encrypted_models) > VT_APPRAISAL_MAX_DIGESTS) /* NULL: 0 */
        return vt_err_set(err, VT_E_LIMIT, "gateway config: models and encrypted_models list more than %d models "
                          "(a passport names at most %d)", VT_APPRAISAL_MAX_DIGESTS, VT_APPRAISAL_MAX_DIGESTS);
    return VT_OK;
}

vt_status vt_gw_config_load_jwks(vt_jwks **out, char *issuer, size_t issuer_len, uint8_t sha256[32],
                                 const vt_gw_config *c, vt_err *err)
{
    vt_buf text;
    vt_err e = { 0 };
    vt_status rc;

    *out = NULL;
    memset(sha256, 0, 32);
    if (issuer_len > 0)
        issuer[0] = '\0';
    if (c->verifier_jwks == NULL)
        return VT_OK;
    vt_buf_init(&text);
    rc = vt_file_read(&text, c->verifier_jwks, VT_GW_VERIFIER_JWKS_MAX, &e);
    /* The digest and the parse are of the same buffer: the keys trusted are the bytes measured. */
    if (rc == VT_OK)
        rc = vt_digest(VT_MD_SHA256, text.data, text.len, sha256, &e);
    if (rc == VT_OK)
        rc = vt_jwks_parse_issuer(out, issuer, issuer_len, (const char *)text.data, text.len, &e);
    if (rc == VT_OK && vt_jwks_count(*out) == 0)
        rc = vt_err_set(&e, VT_E_FORMAT, "jwks: no P-256 or P-384 key with a kid");
    vt_buf_free(&text);
    if (rc != VT_OK) {
        vt_jwks_free(*out);
        *out = NULL;
        memset(sha256, 0, 32);
        if (issuer_len > 0)
            issuer[0] = '\0';
        return vt_err_set(err, VT_E_ARG, "gateway config: verifier_jwks %.300s: %s", c->verifier_jwks, e.msg);
    }
    return VT_OK;
}

vt_status vt_gw_config_to_json(char **out, const vt_gw_config *c, vt_err *err)
{
    json_t *doc = json_object(), *lim = json_object(), *models = json_array();
    char listen[300];

    *out = NULL;
    if (doc == NULL || lim == NULL || models == NULL) {
        json_decref(doc);
        json_decref(lim);
        json_decref(models);
        return vt_err_set(err, VT_E_NOMEM, "gateway config: out of memory");
    }
    if (strchr(c->listen_host, ':') != NULL)
        snprintf(listen, sizeof(listen), "[%s]:%u", c->listen_host, (unsigned)c->listen_port);
    else
        snprintf(listen, sizeof(listen), "%s:%u", c->listen_host, (unsigned)c->listen_port);
    json_object_set_new(doc, "listen", json_string(listen));
    if (c->upstream_url != NULL)
        json_object_set_new(doc, "upstream", json_string(c->upstream_url));
    json_object_set_new(doc, "threads", json_integer(c->threads));
    for (size_t i = 0; i < sizeof(limit_keys) / sizeof(limit_keys[0]); i++) {
        const struct limit_key *k = &limit_keys[i];
        const char *base = (const char *)&c->limits + k->off;
        json_int_t v = k->is_uint ? (json_int_t) * (const unsigned *)(const void *)base
                                : (json_int_t) * (const size_t *)(const void *)base;
        json_object_set_new(lim, k->name, json_integer(v));
    }
    json_object_set_new(doc, "limits", lim);
    if (c->verifier_url != NULL)
        json_object_set_new(doc, "verifier", json_string(c->verifier_url));
    if (c->verifier_jwks != NULL)
        json_object_set_new(doc, "verifier_jwks", json_string(c->verifier_jwks));
    if (c->environment != NULL)
        json_object_set_new(doc, "environment", json_string(c->environment));
    json_object_set_new(doc, "serve_on_warning", json_boolean(c->serve_on_warning));
    json_object_set_new(doc, "model_check_ms", json_integer(c->model_check_ms));
    for (size_t i = 0; i < c->model_count; i++)
        json_array_append_new(models, json_string(c->models[i]));
    json_object_set_new(doc, "models", models);
    if (c->auditors != NULL)
        json_object_set(doc, "auditors", c->auditors);
    if (c->encrypted_models != NULL)
        json_object_set(doc, "encrypted_models", c->encrypted_models);
    if (c->state_dir != NULL)
        json_object_set_new(doc, "state_dir", json_string(c->state_dir));
    json_object_set_new(doc, "deployment_type", json_string(c->deployment_type != NULL ? c->deployment_type : "full"));
    if (c->workflow != NULL)
        json_object_set(doc, "workflow", c->workflow);
    {
        json_t *origins = json_array();
        for (size_t i = 0; origins != NULL && i < c->origins.count; i++) {
            char o[VT_ORIGIN_LEN_MAX + 16];
            vt_origin_format(o, sizeof(o), &c->origins.entries[i]);
            json_array_append_new(origins, json_string(o));
        }
        json_object_set_new(doc, "allowed_origins", origins);
    }
    {
        json_t *hosts = json_array();
        for (size_t i = 0; hosts != NULL && i < c->hosts.count; i++) {
            char h[VT_ORIGIN_LEN_MAX + 16];
            vt_host_format(h, sizeof(h), &c->hosts.entries[i]);
            json_array_append_new(hosts, json_string(h));
        }
        json_object_set_new(doc, "allowed_hosts", hosts);
    }
    *out = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);
    json_decref(doc);
    return *out != NULL ? VT_OK : vt_err_set(err, VT_E_NOMEM, "gateway config: out of memory");
}
