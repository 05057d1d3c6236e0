/* Deployment types and workflow routing (deployment.h, docs/workflows.md). */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client.h"
#include "gateway/config.h"
#include "gateway/deployment.h"

#define CHECK_MAX_BYTES ((size_t)8 << 20)

static const char *const dtype_names[] = { "full", "model", "app", "bridge" };

bool vt_gw_dtype_parse(vt_gw_dtype *out, const char *s)
{
    for (size_t i = 0; s != NULL && i < sizeof(dtype_names) / sizeof(dtype_names[0]); i++) {
        if (strcmp(s, dtype_names[i]) == 0) {
            *out = (vt_gw_dtype)i;
            return true;
        }
    }
    return false;
}

const char *vt_gw_dtype_name(vt_gw_dtype t)
{
    return (unsigned)t < sizeof(dtype_names) / sizeof(dtype_names[0]) ? dtype_names[t] : "?";
}

/* ---- configuration ---- */

/* The graph: the workflow itself, or `veritee workflow compile` output (its tools name the nodes). */
static vt_status graph_nodes(vt_workflow *w, json_t *graph, vt_err *err)
{
    json_t *tools = json_object_get(graph, "tools"), *t;
    char *text = NULL;
    size_t i;
    vt_status rc;

    if (!json_is_object(graph))
        return vt_err_set(err, VT_E_ARG, "gateway config: workflow.graph must be a workflow object");
    if (tools == NULL) {
        text = json_dumps(graph, JSON_COMPACT);
        if (text == NULL)
            return vt_err_set(err, VT_E_NOMEM, "gateway config: out of memory");
        rc = vt_workflow_parse(w, text, strlen(text), err);
        free(text);
        return rc;
    }
    memset(w, 0, sizeof(*w));
    if (!json_is_array(tools) || json_array_size(tools) > VT_WORKFLOW_MAX_NODES ||
        !json_is_string(json_object_get(graph, "workflow")) ||
        strlen(json_string_value(json_object_get(graph, "workflow"))) >= sizeof(w->name))
        return vt_err_set(err, VT_E_ARG, "gateway config: workflow.graph is not `veritee workflow compile` output");
    snprintf(w->name, sizeof(w->name), "%s", json_string_value(json_object_get(graph, "workflow")));
    json_array_foreach(tools, i, t) {
        json_t *dep = json_object_get(t, "deployment");
        const char *id = json_string_value(json_object_get(dep, "node"));
        const char *env = json_string_value(json_object_get(dep, "environment"));
        const char *type = json_string_value(json_object_get(dep, "type"));
        vt_workflow_node *n = &w->nodes[w->node_count];
        if (id == NULL || env == NULL || type == NULL || strlen(id) >= sizeof(n->id) ||
            strlen(env) >= sizeof(n->environment) || !vt_env_id_valid(env) || !vt_deployment_type_valid(type))
            return vt_err_set(err, VT_E_ARG, "gateway config: workflow.graph tools[%zu].deployment must name a node, "
                              "its environment and its type", i);
        snprintf(n->id, sizeof(n->id), "%s", id);
        snprintf(n->environment, sizeof(n->environment), "%s", env);
        snprintf(n->type, sizeof(n->type), "%s", type);
        w->node_count++;
    }
    return VT_OK;
}

static const vt_workflow_node *find_node(const vt_workflow *w, const char *id)
{
    for (size_t i = 0; i < w->node_count; i++)
        if (strcmp(w->nodes[i].id, id) == 0)
            return &w->nodes[i];
    return NULL;
}

/*
 * One entry of workflow.deployments (x, borrowed): "URL", or {"url": "URL", "allow_plain": true}.
 * *url: the URL, borrowed from x.  Plain http:// to another machine than this one (vt_url_loopback,
 * as `veritee chat` decides it) carries the prompts across that network in the clear: refused
 * unless the entry says "allow_plain": true, which the measured config then shows.
 */
static vt_status deployment_url(const char **url, json_t *x, const char *node, vt_err *err)
{
    json_t *plain = json_object_get(x, "allow_plain"), *v;
    char what[80];
    const char *key;
    vt_gw_url u;
    vt_status rc;

    *url = json_is_object(x) ? json_string_value(json_object_get(x, "url")) : json_string_value(x);
    json_object_foreach(x, key, v) {
        if (strcmp(key, "url") != 0 && strcmp(key, "allow_plain") != 0)
            return vt_err_set(err, VT_E_ARG, "gateway config: unknown key workflow.deployments.%s.%.48s", node, key);
    }
    if (plain != NULL && !json_is_boolean(plain))
        return vt_err_set(err, VT_E_ARG, "gateway config: workflow.deployments.%s.allow_plain must be true or false",
                          node);
    snprintf(what, sizeof(what), "workflow.deployments.%s", node);
    if (*url == NULL || strlen(*url) >= sizeof(((vt_gw_node *)0)->url))
        return vt_err_set(err, VT_E_ARG, "gateway config: %s must be an https:// or http:// URL of at most 255 bytes "
                          "(or {\"url\", \"allow_plain\"})", what);
    rc = vt_gw_url_split(&u, *url, VT_GW_URL_HTTP | VT_GW_URL_HTTPS, what, err);
    if (rc == VT_OK && !u.https && !json_is_true(plain) && !vt_url_loopback(*url))
        rc = vt_err_set(err, VT_E_ARG, "gateway config: %s is plain http:// to another machine: prompts would cross "
                        "the network unencrypted. Use https:// (attested TLS), or {\"url\": ..., "
                        "\"allow_plain\": true}", what);
    return rc;
}

/* Parses the workflow value into w (heap: a vt_workflow is large) and checks the deployments. */
static vt_status workflow_parse(vt_workflow *w, json_t *v, vt_err *err)
{
    json_t *deps, *x;
    const char *key, *url;
    vt_status rc;

    if (!json_is_object(v))
        return vt_err_set(err, VT_E_ARG, "gateway config: workflow must be an object {graph, deployments}");
    json_object_foreach(v, key, x) {
        if (strcmp(key, "graph") != 0 && strcmp(key, "deployments") != 0 && strcmp(key, "allow_simulated") != 0)
            return vt_err_set(err, VT_E_ARG, "gateway config: unknown key workflow.%.64s", key);
    }
    x = json_object_get(v, "allow_simulated");
    if (x != NULL && !json_is_boolean(x))
        return vt_err_set(err, VT_E_ARG, "gateway config: workflow.allow_simulated must be true or false");
    rc = graph_nodes(w, json_object_get(v, "graph"), err);
    if (rc != VT_OK)
        return rc == VT_E_POLICY || rc == VT_E_FORMAT || rc == VT_E_LIMIT
                   ? vt_err_set(err, VT_E_ARG, "gateway config: workflow.graph: %s", err != NULL ? err->msg : "")
                   : rc;
    deps = json_object_get(v, "deployments");
    if (!json_is_object(deps) || json_object_size(deps) == 0)
        return vt_err_set(err, VT_E_ARG, "gateway config: workflow.deployments must map node ids to gateway URLs");
    json_object_foreach(deps, key, x) {
        const vt_workflow_node *n = find_node(w, key);
        if (n == NULL)
            return vt_err_set(err, VT_E_ARG, "gateway config: workflow.deployments.%.48s is not a node of the workflow",
                              key);
        if (strcmp(n->type, "app") == 0)
            return vt_err_set(err, VT_E_ARG, "gateway config: workflow.deployments.%s is an app deployment: it serves "
                              "no model API to route to", key);
        rc = deployment_url(&url, x, key, err);
        if (rc != VT_OK)
            return rc;
    }
    return VT_OK;
}

vt_status vt_gw_workflow_config(json_t **out, json_t *v, vt_err *err)
{
    vt_workflow *w = malloc(sizeof(*w));
    vt_status rc;

    *out = NULL;
    if (w == NULL)
        return vt_err_set(err, VT_E_NOMEM, "gateway config: out of memory");
    rc = workflow_parse(w, v, err);
    free(w);
    if (rc == VT_OK)
        *out = json_incref(v);
    return rc;
}

static vt_status resolve(vt_gw_node *n, vt_gw_tls_client *tls, vt_err *err)
{
    vt_gw_url u;
    struct addrinfo hints, *ai = NULL;
    struct in6_addr a6;
    struct in_addr a4;
    char port[8], what[80];
    vt_status rc;
    int e;

    snprintf(what, sizeof(what), "workflow.deployments.%s", n->id);
    rc = vt_gw_url_split(&u, n->url, VT_GW_URL_HTTP | VT_GW_URL_HTTPS, what, err);
    if (rc == VT_OK && u.https) {
        n->tgt.tls = true;
        n->tgt.tls_client = tls;
        n->tgt.pin = &n->pin;
        /* SNI carries a name, never an address (RFC 6066 section 3). */
        if (inet_pton(AF_INET, u.host, &a4) != 1 && inet_pton(AF_INET6, u.host, &a6) != 1)
            snprintf(n->tgt.sni, sizeof(n->tgt.sni), "%s", u.host);
    }
    if (rc == VT_OK) {
        memset(&hints, 0, sizeof(hints));
        hints.ai_socktype = SOCK_STREAM;
        snprintf(port, sizeof(port), "%u", (unsigned)u.port);
        e = getaddrinfo(u.host, port, &hints, &ai);
        if (e != 0 || ai == NULL || ai->ai_addrlen > sizeof(n->tgt.addr))
            rc = vt_err_set(err, VT_E_ARG, "gateway: cannot resolve the host of deployment %s (%s): %s", n->id, n->url,
                            gai_strerror(e));
    }
    if (rc == VT_OK) {
        memcpy(&n->tgt.addr, ai->ai_addr, ai->ai_addrlen);
        n->tgt.addrlen = ai->ai_addrlen;
        if (strchr(u.host, ':') != NULL)
            snprintf(n->tgt.host_header, sizeof(n->tgt.host_header), "[%s]:%u", u.host, (unsigned)u.port);
        else
            snprintf(n->tgt.host_header, sizeof(n->tgt.host_header), "%s:%u", u.host, (unsigned)u.port);
        memcpy(n->tgt.base, u.base, strnlen(u.base, sizeof(n->tgt.base) - 1)); /* n->url is shorter */
    }
    if (ai != NULL)
        freeaddrinfo(ai);
    return rc;
}

vt_status vt_gw_deploy_new(vt_gw_deploy **out, const char *type, json_t *workflow, vt_err *err)
{
    vt_gw_deploy *d = calloc(1, sizeof(*d));
    vt_workflow *w = NULL;
    vt_status rc = VT_E_INTERNAL;

    *out = NULL;
    if (d == NULL)
        return vt_err_set(err, VT_E_NOMEM, "gateway: out of memory");
    pthread_mutex_init(&d->mu, NULL);
    if (!vt_gw_dtype_parse(&d->type, type != NULL ? type : "full")) {
        rc = vt_err_set(err, VT_E_ARG, "gateway config: deployment_type must be full, model, app or bridge");
        goto out;
    }
    if (d->type == VT_GW_MODEL && workflow != NULL) {
        rc = vt_err_set(err, VT_E_ARG, "gateway config: a model deployment serves its own model and routes no "
                        "workflow (remove \"workflow\", or make it full, app or bridge)");
        goto out;
    }
    if (d->type == VT_GW_APP && workflow == NULL) {
        rc = vt_err_set(err, VT_E_ARG, "gateway config: an app deployment gets its model through a workflow: set "
                        "\"workflow\"");
        goto out;
    }
    rc = VT_OK;
    if (workflow == NULL)
        goto out;
    w = malloc(sizeof(*w));
    if (w == NULL) {
        rc = vt_err_set(err, VT_E_NOMEM, "gateway: out of memory");
        goto out;
    }
    rc = workflow_parse(w, workflow, err);
    if (rc != VT_OK)
        goto out;
    rc = vt_env_revs_new(&d->revs, err);
    if (rc != VT_OK)
        goto out;
    d->has_workflow = true;
    d->allow_simulated = json_is_true(json_object_get(workflow, "allow_simulated"));
    snprintf(d->workflow, sizeof(d->workflow), "%s", w->name);
    d->nodes = calloc(w->node_count, sizeof(*d->nodes));
    if (d->nodes == NULL) {
        rc = vt_err_set(err, VT_E_NOMEM, "gateway: out of memory");
        goto out;
    }
    for (size_t i = 0; i < w->node_count && rc == VT_OK; i++) {
        json_t *x = json_object_get(json_object_get(workflow, "deployments"), w->nodes[i].id);
        vt_gw_node *n = &d->nodes[d->node_count];
        const char *url;
        if (x == NULL)
            continue; /* a node this gateway does not route to (another deployment calls it) */
        rc = deployment_url(&url, x, w->nodes[i].id, err); /* checked by workflow_parse: cannot fail here */
        if (rc != VT_OK)
            break;
        snprintf(n->id, sizeof(n->id), "%s", w->nodes[i].id);
        snprintf(n->environment, sizeof(n->environment), "%s", w->nodes[i].environment);
        snprintf(n->type, sizeof(n->type), "%s", w->nodes[i].type);
        snprintf(n->url, sizeof(n->url), "%s", url);
        while (strlen(n->url) > 7 && n->url[strlen(n->url) - 1] == '/')
            n->url[strlen(n->url) - 1] = '\0';
        vt_gw_tls_pin_init(&n->pin);
        d->node_count++;
        if (strncmp(n->url, "https://", 8) == 0 && d->tls == NULL)
            rc = vt_gw_tls_client_new(&d->tls, err);
        if (rc == VT_OK)
            rc = resolve(n, d->tls, err);
    }
out:
    free(w);
    if (rc != VT_OK) {
        vt_gw_deploy_free(d);
        return rc;
    }
    *out = d;
    return VT_OK;
}

void vt_gw_deploy_free(vt_gw_deploy *d)
{
    if (d == NULL)
        return;
    pthread_mutex_destroy(&d->mu);
    for (size_t i = 0; i < d->node_count; i++)
        vt_gw_tls_pin_destroy(&d->nodes[i].pin);
    vt_gw_tls_client_free(d->tls);
    vt_env_revs_free(d->revs);
    free(d->nodes);
    free(d->verifier);
    free(d->state_dir);
    free(d);
}

vt_status vt_gw_deploy_check_passport(const char *type, const char *passport, vt_err *err)
{
    vt_passport_claims pc;
    const char *want = type != NULL ? type : "full";
    vt_status rc;

    memset(&pc, 0, sizeof(pc));
    rc = vt_passport_decode(&pc, passport, strlen(passport), err);
    if (rc == VT_OK && strcmp(pc.deployment_type[0] ? pc.deployment_type : "full", want) != 0)
        rc = vt_err_set(err, VT_E_POLICY, "configured as a %s deployment, but passport %s says environment %s "
                        "is a %s deployment: refusing to serve (set \"deployment_type\": \"%s\", or change the "
                        "environment)", want, pc.id, pc.environment, pc.deployment_type[0] ? pc.deployment_type : "full",
                        pc.deployment_type[0] ? pc.deployment_type : "full");
    vt_passport_claims_clear(&pc);
    return rc;
}

/* ---- routing ---- */

static vt_gw_serve refuse(int *status, char code[64], char msg[256], int st, const char *c, const char *m)
{
    *status = st;
    snprintf(code, 64, "%s", c);
    snprintf(msg, 256, "%.255s", m);
    return VT_GW_SERVE_REFUSE;
}

/* The node a model name selects: the node id, or its tool name route_to_<id>. */
static bool node_of(const vt_gw_deploy *d, const char *model, size_t *node)
{
    if (strncmp(model, "route_to_", 9) == 0)
        model += 9;
    for (size_t i = 0; i < d->node_count; i++) {
        if (strcmp(d->nodes[i].id, model) == 0) {
            *node = i;
            return true;
        }
    }
    return false;
}

vt_gw_serve vt_gw_deploy_route(const vt_gw_deploy *d, const char *path, const uint8_t *body, size_t len,
                               size_t *node, int *status, char code[64], char msg[256])
{
    bool chat = strcmp(path, "/v1/chat/completions") == 0;
    bool models = strcmp(path, "/v1/models") == 0 || strncmp(path, "/v1/models/", 11) == 0;
    char m[512];

    *node = SIZE_MAX;
    if (d == NULL || (!d->has_workflow && d->type != VT_GW_APP))
        return VT_GW_SERVE_UPSTREAM;
    if (d->type == VT_GW_APP && models)
        return strcmp(path, "/v1/models") == 0 ? VT_GW_SERVE_MODELS
               : node_of(d, path + 11, node) ? VT_GW_SERVE_MODELS
                                             : refuse(status, code, msg, 404, "model_not_found",
                                                      "gateway: no deployment of this app's workflow has this name");
    if (!chat) {
        if (d->type == VT_GW_APP) {
            snprintf(m, sizeof(m), "gateway: an app deployment serves no model API of its own; %s is not routed "
                     "through its workflow (only /v1/chat/completions is)", path);
            return refuse(status, code, msg, 403, "deployment_type_forbids", m);
        }
        return VT_GW_SERVE_UPSTREAM;
    }
    {
        json_t *doc = json_loadb((const char *)body, len, 0, NULL);
        const char *model = json_string_value(json_object_get(doc, "model"));
        bool found = model != NULL && node_of(d, model, node);
        if (!found && d->type == VT_GW_APP)
            snprintf(m, sizeof(m), "gateway: this app deployment routes \"model\" to a deployment of workflow %s; "
                     "%.64s%s%s is none of them (GET /v1/models lists them)", d->workflow, model != NULL ? "\"" : "",
                     model != NULL ? model : "no model", model != NULL ? "\"" : "");
        json_decref(doc);
        if (found)
            return VT_GW_SERVE_NODE;
        if (d->type == VT_GW_APP)
            return refuse(status, code, msg, 404, "model_not_found", m);
    }
    return VT_GW_SERVE_UPSTREAM;
}

char *vt_gw_deploy_models_json(const vt_gw_deploy *d)
{
    json_t *data = json_array(), *doc;
    char *s;

    for (size_t i = 0; d != NULL && i < d->node_count; i++)
        json_array_append_new(data, json_pack("{s:s, s:s, s:i, s:s, s:{s:s, s:s, s:s}}", "id", d->nodes[i].id,
                                              "object", "model", "created", 0, "owned_by", "veritee-workflow",
                                              "deployment", "environment", d->nodes[i].environment, "type",
                                              d->nodes[i].type, "workflow", d->workflow));
    doc = json_pack("{s:s, s:o}", "object", "list", "data", data);
    s = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    return s;
}

/* ---- checking a downstream deployment (as `veritee chat` does) ---- */

/* tls_key: NULL for the usual CA check of an https URL; else the server key's SPKI digest is
 * written there and the caller authenticates it (vt_http_client_opts.tls_key_out). */
static vt_status get(vt_http_response *r, const char *url, long timeout_ms, uint8_t *tls_key, vt_err *err)
{
    vt_http_client_opts ho;
    char emsg[300];
    vt_status rc;

    memset(&ho, 0, sizeof(ho));
    ho.timeout_ms = timeout_ms;
    ho.max_response = CHECK_MAX_BYTES;
    ho.tls_key_out = tls_key;
    rc = vt_http_request(r, "GET", url, NULL, &ho, err);
    if (rc == VT_OK && r->status != 200) {
        vt_http_response_error(emsg, sizeof(emsg), r);
        rc = vt_err_set(err, r->status == 404 || r->status == 403 ? VT_E_POLICY : VT_E_IO, "GET %s: %s", url, emsg);
        vt_http_response_clear(r);
    }
    return rc;
}

vt_status vt_gw_verifier_keys(vt_jwks **out, char *issuer, size_t issuer_len, const char *verifier, long timeout_ms,
                              vt_err *err)
{
    vt_http_response r;
    char url[1200];
    vt_status rc;

    *out = NULL;
    issuer[0] = '\0';
    if (snprintf(url, sizeof(url), "%s/.well-known/jwks.json", verifier) >= (int)sizeof(url))
        return vt_err_set(err, VT_E_ARG, "gateway: the verifier's URL is too long");
    rc = get(&r, url, timeout_ms, NULL, err);
    if (rc != VT_OK)
        return rc;
    rc = vt_jwks_parse_issuer(out, issuer, issuer_len, (const char *)r.body.data, r.body.len, err);
    vt_http_response_clear(&r);
    return rc;
}

/* The TLS server the attestation came over presented the attested enclave key (as `veritee chat`
 * checks it): a TLS terminator in front of the deployment holds another key. */
static vt_status tls_key_check(const uint8_t tls_key[32], const vt_rp_gateway *g, vt_err *err)
{
    uint8_t mine[32];
    vt_status rc = vt_pkey_spki_sha256(mine, g->enclave, err);

    if (rc == VT_OK && !vt_ct_equal(mine, tls_key, sizeof(mine)))
        rc = vt_err_set(err, VT_E_POLICY, "its TLS server key is not its attested enclave key (a proxy or another "
                        "server terminates TLS)");
    return rc;
}

static vt_status check_node(vt_gw_node *n, bool allow_sim, vt_env_revs *revs, const vt_gw_check_opts *o,
                            vt_rp_gateway *g, vt_err *err)
{
    vt_http_response r;
    vt_jwks *jwks = NULL;
    vt_env *env = NULL;
    vt_env_token_opts eo;
    uint8_t tls_key[32];
    char url[1400], issuer[128] = "";
    vt_status rc;

    memset(&eo, 0, sizeof(eo));
    if (o->verifier == NULL)
        return vt_err_set(err, VT_E_POLICY, "no verifier is configured to check downstream deployments");
    rc = vt_rp_gateway_init(g, err);
    if (rc != VT_OK)
        return rc;
    snprintf(url, sizeof(url), "%s/v1/attestation?nonce=%s", n->url, g->nonce_hex);
    rc = get(&r, url, o->timeout_ms, n->tgt.tls ? tls_key : NULL, err);
    if (rc == VT_OK) {
        rc = vt_rp_attestation_parse(g, (const char *)r.body.data, r.body.len, err);
        vt_http_response_clear(&r);
    }
    if (rc == VT_OK)
        rc = vt_rp_evidence_verify(g, allow_sim, o->state_dir, vt_time_now(), err);
    /* The pinned key set when the operator configured one (nothing fetched: whoever answers as the
     * verifier's URL cannot name its own key then), else the one the verifier serves. */
    if (rc == VT_OK && o->pin == NULL)
        rc = vt_gw_verifier_keys(&jwks, issuer, sizeof(issuer), o->verifier, o->timeout_ms, err);
    eo.jwks = o->pin != NULL ? o->pin : jwks;
    eo.jwks_issuer = o->pin != NULL ? (o->pin_issuer != NULL ? o->pin_issuer : "") : issuer;
    eo.verifier = o->verifier;
    eo.id = n->environment;
    eo.revs = revs; /* an older revision than one a check took already: replayed, refused */
    if (rc == VT_OK)
        rc = vt_rp_passport_verify(g, eo.jwks, eo.jwks_issuer, o->verifier, vt_time_now(), err);
    if (rc == VT_OK)
        rc = vt_rp_key_match(g, err);
    if (rc == VT_OK && n->tgt.tls)
        rc = tls_key_check(tls_key, g, err);
    if (rc == VT_OK)
        rc = vt_rp_measurements(g, err);
    if (rc == VT_OK && strcmp(g->pc.environment, n->environment) != 0)
        rc = vt_err_set(err, VT_E_POLICY, "its passport %s is for environment %s, the workflow names %s", g->pc.id,
                        g->pc.environment, n->environment);
    if (rc == VT_OK && strcmp(g->pc.deployment_type[0] ? g->pc.deployment_type : "full", n->type) != 0)
        rc = vt_err_set(err, VT_E_POLICY, "its passport %s is for a %s deployment, the workflow names %s", g->pc.id,
                        g->pc.deployment_type[0] ? g->pc.deployment_type : "full", n->type);
    if (rc == VT_OK && (env = malloc(sizeof(*env))) == NULL)
        rc = vt_err_set(err, VT_E_NOMEM, "out of memory");
    /* The reference values under the same keys as the passport: signed by the verifier, for this
     * environment, fresh (whoever answers as the verifier's URL cannot choose them). */
    eo.now = vt_time_now();
    if (rc == VT_OK)
        rc = vt__client_env(env, NULL, o->verifier, &eo, o->timeout_ms, err);
    if (rc == VT_OK)
        rc = vt_rp_environment(g, env, NULL, 0, err);
    /* Every connection to it from now on must meet the key the check just authenticated. */
    if (rc == VT_OK && n->tgt.tls)
        vt_gw_tls_pin_set(&n->pin, tls_key);
    free(env);
    vt_jwks_free(jwks);
    return rc;
}

vt_status vt_gw_deploy_check(vt_gw_deploy *d, size_t node, const vt_gw_check_opts *o, char **entry_out, vt_err *err)
{
    vt_gw_node *n;
    vt_rp_gateway g;
    vt_time now = vt_time_now();
    char pid[48];
    json_t *e;
    vt_status rc = VT_OK;
    vt_err e2 = { 0 };

    *entry_out = NULL;
    if (node >= d->node_count)
        return vt_err_set(err, VT_E_ARG, "gateway: no such deployment");
    n = &d->nodes[node];
    memset(&g, 0, sizeof(g));
    /* One check at a time: the first request after the cached check expires waits for it. */
    pthread_mutex_lock(&d->mu);
    if (n->valid_until <= now || (n->tgt.tls && vt_gw_tls_pin_refused(&n->pin))) {
        n->valid_until = 0;
        rc = check_node(n, d->allow_simulated, d->revs, o, &g, &e2);
        if (rc == VT_OK) {
            n->valid_until = g.pc.exp;
            snprintf(n->passport_id, sizeof(n->passport_id), "%s", g.pc.id);
        }
    }
    snprintf(pid, sizeof(pid), "%s", n->passport_id);
    pthread_mutex_unlock(&d->mu);
    vt_rp_gateway_clear(&g);
    if (rc != VT_OK)
        return vt_err_set(err, rc == VT_E_IO ? VT_E_IO : VT_E_POLICY,
                          "gateway: downstream deployment %s (%s, environment %s) failed its check: %s", n->id, n->url,
                          n->environment, e2.msg);
    e = json_pack("{s:s, s:s, s:s, s:s, s:s}", "node", n->id, "environment", n->environment, "deployment_type",
                  n->type, "passport", pid, "gateway", n->url);
    *entry_out = e != NULL ? json_dumps(e, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(e);
    return *entry_out != NULL ? VT_OK : vt_err_set(err, VT_E_NOMEM, "gateway: out of memory");
}
