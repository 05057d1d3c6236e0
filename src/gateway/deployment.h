/*
 * What a gateway serves by its deployment type, and the workflow it routes
 * (docs/workflows.md, "What each deployment type serves").
 *
 * gateway.json's "deployment_type" (full, model, app, bridge; default full) and
 * "workflow" ({"graph", "deployments", "allow_simulated"}; a deployment is
 * "URL" or {"url", "allow_plain"}, plain http:// to another host refused
 * without allow_plain) are part of the measured config, so the passport's appraisal covers them; the type must be
 * the deployment_type of every passport the gateway installs (at boot and at
 * each renewal).  vt_gw_deploy_route decides each
 * request (no I/O); vt_gw_deploy_check checks a downstream deployment as
 * `veritee chat` does (veritee/rp.h), under the verifier's pinned key set when
 * the gateway has one, and caches the result until its passport expires.
 */
#ifndef VT_GW_DEPLOYMENT_H
#define VT_GW_DEPLOYMENT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <jansson.h>

#include "gateway/downstream_tls.h"
#include "veritee/veritee.h"

typedef enum vt_gw_dtype { VT_GW_FULL = 0, VT_GW_MODEL, VT_GW_APP, VT_GW_BRIDGE } vt_gw_dtype;

/* Where the proxy sends a request: a downstream deployment's gateway. */
typedef struct vt_gw_target {
    struct sockaddr_storage addr;
    socklen_t addrlen;
    char host_header[300];
    char base[256];  /* path prefix without a trailing '/' */
    /* https:// (downstream_tls.h): connections complete only with the server key the
     * deployment's check pinned */
    bool tls;
    char sni[256];               /* the host name to send; "" for an address */
    vt_gw_tls_client *tls_client; /* borrowed from the deploy */
    vt_gw_tls_pin *pin;          /* the node's */
} vt_gw_target;

typedef struct vt_gw_node {
    char id[VT_WORKFLOW_NAME_MAX];
    char environment[VT_ENV_ID_MAX];
    char type[VT_DEPLOYMENT_TYPE_MAX];
    char url[256];   /* the downstream gateway, http(s)://host[:port][/base] */
    vt_gw_target tgt;
    vt_gw_tls_pin pin; /* with https: the attested key its TLS server must present */
    /* the cached check, guarded by the deploy's mutex */
    vt_time valid_until;   /* 0 = not checked (or failed) */
    char passport_id[48];
} vt_gw_node;

typedef struct vt_gw_deploy {
    vt_gw_dtype type;
    bool has_workflow;
    char workflow[VT_WORKFLOW_NAME_MAX];
    bool allow_simulated;  /* downstream evidence may be simulated (tests, demos) */
    vt_gw_node *nodes;     /* owned; the routable nodes (those with a deployment URL) */
    char *verifier;        /* owned: the gateway's configured verifier (set by cmd_gateway.c) */
    char *state_dir;       /* owned: its state directory (the simulation root) */
    const vt_jwks *pin;    /* the verifier's pinned key set ("verifier_jwks"), NULL = none: borrowed from
                              the trust state (set by cmd_gateway.c), which outlives the gateway that
                              checks deployments */
    const char *pin_issuer; /* the issuer the pin names ("" when none); borrowed likewise */
    size_t node_count;
    vt_gw_tls_client *tls; /* owned: when a deployment URL is https:// */
    vt_env_revs *revs;     /* owned (with a workflow): the highest revision of each environment its
                              checks took; a lower one is a replayed environment, refused */
    pthread_mutex_t mu;
} vt_gw_deploy;

/* "full" -> VT_GW_FULL ...; false for anything else. */
bool vt_gw_dtype_parse(vt_gw_dtype *out, const char *s);
const char *vt_gw_dtype_name(vt_gw_dtype t);

/* gateway.json's "workflow" value (borrowed): checks it and returns *out (owned reference). */
VT_NODISCARD vt_status vt_gw_workflow_config(json_t **out, json_t *v, vt_err *err);
/* Builds the runtime from the type and the "workflow" value (NULL = none): a model deployment
 * routes no workflow, an app deployment needs one; deployment URLs are resolved here.
 * Free with vt_gw_deploy_free. */
VT_NODISCARD vt_status vt_gw_deploy_new(vt_gw_deploy **out, const char *type, json_t *workflow, vt_err *err);
void vt_gw_deploy_free(vt_gw_deploy *d);

/* The gateway's passport (token, borrowed) states the configured deployment type (checked on
 * every passport the verifier returns, before it is installed: upkeep.c). */
VT_NODISCARD vt_status vt_gw_deploy_check_passport(const char *type, const char *passport, vt_err *err);

typedef enum vt_gw_serve {
    VT_GW_SERVE_UPSTREAM, /* the configured upstream (the deployment's own model server) */
    VT_GW_SERVE_NODE,     /* a downstream deployment of the workflow: *node */
    VT_GW_SERVE_MODELS,   /* answer GET /v1/models locally: vt_gw_deploy_models_json */
    VT_GW_SERVE_REFUSE,   /* *status, code, msg */
} vt_gw_serve;

/* The decision for one request (path without query; body the request body, borrowed).  No I/O. */
vt_gw_serve vt_gw_deploy_route(const vt_gw_deploy *d, const char *path, const uint8_t *body, size_t len,
                               size_t *node, int *status, char code[64], char msg[256]);
/* {"object":"list","data":[one model per routable node]}; free(). */
char *vt_gw_deploy_models_json(const vt_gw_deploy *d);

/* How the gateway checks a downstream deployment. */
typedef struct vt_gw_check_opts {
    const char *verifier;   /* borrowed: the gateway's configured verifier URL */
    const char *state_dir;  /* borrowed: the simulation root, with allow_simulated */
    long timeout_ms;
    const vt_jwks *pin;     /* borrowed: the verifier's pinned key set, NULL = fetch it from the verifier */
    const char *pin_issuer; /* borrowed: with pin, the issuer it names ("" or NULL: none) */
} vt_gw_check_opts;

/* The key set of the verifier at URL verifier (GET <verifier>/.well-known/jwks.json; *out: free
 * with vt_jwks_free) and the issuer it names (issuer; "" when it names none; vt_jwks_parse_issuer): what
 * the gateway checks passports against, a downstream deployment's and its own.  timeout_ms: the
 * whole request.  VT_E_IO when the verifier cannot be reached or fails, VT_E_POLICY for 403/404. */
VT_NODISCARD vt_status vt_gw_verifier_keys(vt_jwks **out, char *issuer, size_t issuer_len, const char *verifier,
                                           long timeout_ms, vt_err *err);

/* Checks node (cached until its passport expires) as `veritee chat` does: its passport under the
 * pinned key set (o->pin: nothing fetched) when the gateway has one, else under the set fetched
 * from the verifier (vt_gw_verifier_keys), and the log's digests against the environment the
 * verifier signed, verified under that same set and of a revision no lower than d->revs holds for it
 * (vt__client_env); on success fills *entry_out with the
 * receipt's "deployments" entry {node, environment, deployment_type, passport, gateway} as
 * compact JSON (free()).  VT_E_POLICY/VT_E_IO with a message naming the node otherwise. */
VT_NODISCARD vt_status vt_gw_deploy_check(vt_gw_deploy *d, size_t node, const vt_gw_check_opts *o, char **entry_out,
                                          vt_err *err);

#endif
