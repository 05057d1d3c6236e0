/*
 * The gateway's configuration: gateway.json (docs/gateway.md), overridden by
 * command-line flags.  Parsing is strict: unknown keys, wrong types and
 * out-of-range values are refused with a message naming the key.
 */
#ifndef VT_GW_CONFIG_H
#define VT_GW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "veritee/base.h"
#include "veritee/http.h"
#include "veritee/jws.h"

struct vt_gw_deploy;

#define VT_GW_MODEL_CHECK_MS_MAX 3600000u /* an hour */
#define VT_GW_VERIFIER_JWKS_MAX ((size_t)64 << 10) /* the pinned key set file, as vt_jwks_parse takes */

typedef struct vt_gw_limits {
    size_t max_request_bytes;   /* client request body; larger -> 413 */
    size_t max_response_bytes;  /* upstream body of a non-streamed reply; larger -> 502 */
    size_t max_event_bytes;     /* one server-sent event of a streamed reply */
    size_t max_header_bytes;    /* request headers (client) and response headers (upstream) */
    size_t stream_buffer_bytes; /* client output above this pauses reading the upstream */
    unsigned upstream_connect_timeout_ms;
    unsigned upstream_idle_timeout_ms; /* no byte from the upstream for this long -> 504 */
    unsigned client_header_timeout_ms;
    unsigned client_body_timeout_ms;
    unsigned max_connections;   /* client requests in flight at once; more -> 503 */
    unsigned upstream_keepalive; /* idle upstream connections kept per event loop */
    unsigned max_client_connections;     /* open client connections, counted from accept (docs/operations.md) */
    unsigned max_connections_per_client; /* open client connections from one address */
    unsigned attestation_per_sec; /* fresh quotes for GET /v1/attestation, gateway-wide; more -> 429 */
} vt_gw_limits;

typedef struct vt_gw_config {
    char *listen_host;   /* owned */
    uint16_t listen_port;
    char *upstream_url;  /* owned, as given */
    char *upstream_host; /* owned */
    uint16_t upstream_port;
    char *upstream_base; /* owned: path prefix without a trailing '/', "" for none */
    unsigned threads;    /* event loops; 0 in the file = one per core (resolved by load) */
    vt_gw_limits limits;
    /* Kept for trusted boot, auditors and receipts (parsed and validated here). */
    char *verifier_url;  /* owned, NULL when absent */
    char *environment;   /* owned, NULL when absent */
    char *verifier_jwks; /* owned path of the verifier's pinned JWK Set, NULL = fetched each round
                            (vt_gw_config_load_jwks; docs/gateway.md); the path is in the config, the
                            file's bytes are a config event of their own (measure.c) */
    bool serve_on_warning; /* serve under a "warning" passport too (default: "affirming" only) */
    unsigned model_check_ms; /* the model watch: stat the model files at most this often (0 = on every
                                request, at most VT_GW_MODEL_CHECK_MS_MAX; default 1000); measured with
                                the config, since it bounds how long changed weights serve unnoticed */
    char **models;       /* owned array of owned paths */
    size_t model_count;
    json_t *auditors;    /* owned reference: array of objects, NULL when absent */
    char *state_dir;     /* owned, NULL when absent */
    /* Transport (docs/transport.md; set by the command line, not the file): with tls (borrowed,
     * outlives the gateway) `listen` serves HTTPS, else plain HTTP; listen_plain_host (owned,
     * NULL = none) adds a plain listener beside the HTTPS one. */
    const struct vt_tls_server *tls;
    char *listen_plain_host;
    uint16_t listen_plain_port;
    json_t *encrypted_models; /* owned reference: array, NULL when absent (checked by model_keys.c) */
    /* What the deployment serves and the workflow it routes (deployment.h, docs/workflows.md). */
    char *deployment_type;       /* owned, NULL = "full" */
    json_t *workflow;            /* owned reference, NULL when absent */
    struct vt_gw_deploy *deploy; /* owned: built from the two above by vt_gw_deploy_new (cmd_gateway.c) */
    /* Browser pages allowed to call the gateway besides loopback ones ("allowed_origins", then
     * --allow-origin; vt_origin_check before any route, docs/gateway.md "Browsers"). */
    vt_origin_list origins;
    /* Host names answered besides loopback ones ("allowed_hosts", then --allow-host; empty = any
     * Host; vt_host_check before any route, docs/gateway.md "Browsers"). */
    vt_host_list hosts;
} vt_gw_config;

/* Fills c with the defaults (listen 127.0.0.1:8080, no upstream). */
void vt_gw_config_defaults(vt_gw_config *c);
/* Frees everything c owns and leaves it zeroed.  NULL-safe. */
void vt_gw_config_free(vt_gw_config *c);
/* Parses JSON text (borrowed) over the values already in c. */
VT_NODISCARD vt_status vt_gw_config_parse(vt_gw_config *c, const char *json, size_t len, vt_err *err);
/* "host:port", "[v6]:port" or ":port" (host kept when absent). */
VT_NODISCARD vt_status vt_gw_config_set_listen(vt_gw_config *c, const char *s, vt_err *err);
/* "http://host[:port][/base]" (vt_gw_url_split); https is refused for now (the upstream is local
 * to the TEE). */
VT_NODISCARD vt_status vt_gw_config_set_upstream(vt_gw_config *c, const char *url, vt_err *err);

/* The schemes vt_gw_url_split accepts (a mask). */
#define VT_GW_URL_HTTP 1u
#define VT_GW_URL_HTTPS 2u
#define VT_GW_URL_MAX 2048 /* bytes after "scheme://" */

/* A URL the gateway connects to (the upstream, a workflow's deployment), split. */
typedef struct vt_gw_url {
    bool https;
    char host[256];               /* a name or an address; an IPv6 address without its brackets */
    uint16_t port;                /* as given (1..65535), else the scheme's default: 80 or 443 */
    char base[VT_GW_URL_MAX + 1]; /* the path prefix without a trailing '/', "" for none */
} vt_gw_url;

/*
 * Splits "scheme://host[:port][/base]" (url borrowed): a scheme of the mask schemes, a host (a name,
 * an IPv4 address or [IPv6], at most 255 bytes) and a port 1..65535, no userinfo ("user@"), and a
 * base without query, fragment, space or control character.  what names the URL in errors
 * ("upstream", "workflow.deployments.NODE").  VT_E_UNSUPPORTED for https when schemes leave it
 * out, VT_E_LIMIT beyond VT_GW_URL_MAX, VT_E_ARG for anything else; *out is zeroed on failure.
 */
VT_NODISCARD vt_status vt_gw_url_split(vt_gw_url *out, const char *url, unsigned schemes, const char *what,
                                       vt_err *err);
/* Checks the whole configuration is usable (an upstream is set, limits consistent). */
VT_NODISCARD vt_status vt_gw_config_check(const vt_gw_config *c, vt_err *err);
/* The pinned verifier key set: c->verifier_jwks read once (at most VT_GW_VERIFIER_JWKS_MAX bytes) and
 * parsed strictly into *out (vt_jwks_free) and the issuer it names (issuer, "" when none;
 * vt_jwks_parse_issuer); sha256 gets the SHA-256 of exactly the bytes read and parsed (what the
 * boot measures: the file is not read a second time).  *out NULL, sha256 zeroed and VT_OK when no
 * pin is configured; VT_E_ARG naming verifier_jwks and the file when it cannot be read, is not a
 * JWK Set or holds no usable key (then *out NULL, issuer "" and sha256 zeroed). */
VT_NODISCARD vt_status vt_gw_config_load_jwks(vt_jwks **out, char *issuer, size_t issuer_len, uint8_t sha256[32],
                                              const vt_gw_config *c, vt_err *err);
/* The effective configuration as JSON (caller frees with free()). */
VT_NODISCARD vt_status vt_gw_config_to_json(char **out, const vt_gw_config *c, vt_err *err);

#endif
