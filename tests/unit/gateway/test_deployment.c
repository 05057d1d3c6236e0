/* What each deployment type serves, the workflow config, and the passport's type (no sockets). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vt_test.h"

#include "gateway/config.h"
#include "gateway/deployment.h"

#define GRAPH                                                                                                          \
    "{\"name\":\"desk\",\"nodes\":["                                                                                  \
    "{\"id\":\"general\",\"environment\":\"env-a\",\"type\":\"model\",\"description\":\"general\"},"                  \
    "{\"id\":\"billing\",\"environment\":\"env-b\",\"type\":\"model\",\"description\":\"billing\"}],"                 \
    "\"edges\":[{\"from\":\"orchestrator\",\"to\":\"general\",\"intent\":\"anything\"},"                             \
    "{\"from\":\"orchestrator\",\"to\":\"billing\",\"intent\":\"invoices\"}]}"
#define WORKFLOW                                                                                                       \
    "{\"graph\":" GRAPH ",\"deployments\":{\"general\":\"http://127.0.0.1:9001\",\"billing\":\"http://127.0.0.1:9002/b/\"}}"

static vt_status config(vt_gw_config *c, const char *json, vt_err *err)
{
    vt_status rc;

    vt_gw_config_defaults(c);
    rc = vt_gw_config_parse(c, json, strlen(json), err);
    if (rc == VT_OK)
        rc = vt_gw_deploy_new(&c->deploy, c->deployment_type, c->workflow, err);
    return rc;
}

static vt_gw_serve route(const vt_gw_config *c, const char *path, const char *body, size_t *node, int *st, char *code)
{
    char msg[256];
    return vt_gw_deploy_route(c->deploy, path, (const uint8_t *)body, strlen(body), node, st, code, msg);
}

static void test_deployment__types_refused(void **state)
{
    vt_gw_config c;
    vt_err err;
    (void)state;
    /* An unknown type, a model deployment with a workflow, an app without one. */
    assert_int_equal(config(&c, "{\"deployment_type\":\"server\"}", &err), VT_E_ARG);
    assert_non_null(strstr(err.msg, "deployment_type"));
    vt_gw_config_free(&c);
    assert_int_equal(config(&c, "{\"deployment_type\":\"model\",\"workflow\":" WORKFLOW "}", &err), VT_E_ARG);
    assert_non_null(strstr(err.msg, "model deployment"));
    vt_gw_config_free(&c);
    assert_int_equal(config(&c, "{\"deployment_type\":\"app\"}", &err), VT_E_ARG);
    assert_non_null(strstr(err.msg, "workflow"));
    vt_gw_config_free(&c);
    /* Workflow values: unknown key, a deployment that is not a node, a non-http URL, a bad graph. */
    assert_int_equal(config(&c, "{\"workflow\":{\"graph\":" GRAPH ",\"deployments\":{\"general\":\"http://h\"},\"x\":1}}",
                            &err), VT_E_ARG);
    assert_non_null(strstr(err.msg, "workflow.x"));
    vt_gw_config_free(&c);
    assert_int_equal(config(&c, "{\"workflow\":{\"graph\":" GRAPH ",\"deployments\":{\"nobody\":\"http://h\"}}}", &err),
                     VT_E_ARG);
    assert_non_null(strstr(err.msg, "nobody"));
    vt_gw_config_free(&c);
    assert_int_equal(config(&c, "{\"workflow\":{\"graph\":" GRAPH ",\"deployments\":{\"general\":\"ftp://h\"}}}", &err),
                     VT_E_ARG);
    assert_non_null(strstr(err.msg, "https:// or http://"));
    vt_gw_config_free(&c);
    assert_int_equal(config(&c, "{\"workflow\":{\"graph\":{\"name\":\"x\"},\"deployments\":{\"a\":\"http://h\"}}}", &err),
                     VT_E_ARG);
    assert_non_null(strstr(err.msg, "workflow.graph"));
    vt_gw_config_free(&c);
}

static void test_deployment__routes(void **state)
{
    vt_gw_config c;
    vt_err err;
    size_t node;
    int st = 0;
    char code[64];
    char *s;
    (void)state;

    /* model (and full without a workflow): everything goes to the upstream. */
    assert_int_equal(config(&c, "{\"deployment_type\":\"model\"}", &err), VT_OK);
    assert_int_equal(route(&c, "/v1/chat/completions", "{\"model\":\"general\"}", &node, &st, code), VT_GW_SERVE_UPSTREAM);
    assert_int_equal(route(&c, "/v1/embeddings", "{}", &node, &st, code), VT_GW_SERVE_UPSTREAM);
    vt_gw_config_free(&c);

    /* app: only the workflow's deployments, by model name (or tool name); nothing of its own. */
    assert_int_equal(config(&c, "{\"deployment_type\":\"app\",\"workflow\":" WORKFLOW "}", &err), VT_OK);
    assert_int_equal(vt_gw_config_check(&c, &err), VT_OK); /* no upstream needed */
    assert_int_equal(route(&c, "/v1/chat/completions", "{\"model\":\"billing\"}", &node, &st, code), VT_GW_SERVE_NODE);
    assert_string_equal(c.deploy->nodes[node].id, "billing");
    assert_string_equal(c.deploy->nodes[node].tgt.base, "/b");
    assert_string_equal(c.deploy->nodes[node].tgt.host_header, "127.0.0.1:9002");
    assert_int_equal(route(&c, "/v1/chat/completions", "{\"model\":\"route_to_general\"}", &node, &st, code),
                     VT_GW_SERVE_NODE);
    assert_string_equal(c.deploy->nodes[node].id, "general");
    assert_int_equal(route(&c, "/v1/chat/completions", "{\"model\":\"gpt-4\"}", &node, &st, code), VT_GW_SERVE_REFUSE);
    assert_int_equal(st, 404);
    assert_string_equal(code, "model_not_found");
    assert_int_equal(route(&c, "/v1/chat/completions", "not json", &node, &st, code), VT_GW_SERVE_REFUSE);
    assert_int_equal(route(&c, "/v1/embeddings", "{\"model\":\"general\"}", &node, &st, code), VT_GW_SERVE_REFUSE);
    assert_int_equal(st, 403);
    assert_string_equal(code, "deployment_type_forbids");
    assert_int_equal(route(&c, "/v1/completions", "{}", &node, &st, code), VT_GW_SERVE_REFUSE);
    assert_int_equal(route(&c, "/v1/models", "", &node, &st, code), VT_GW_SERVE_MODELS);
    assert_int_equal(route(&c, "/v1/models/general", "", &node, &st, code), VT_GW_SERVE_MODELS);
    assert_int_equal(route(&c, "/v1/models/other", "", &node, &st, code), VT_GW_SERVE_REFUSE);
    s = vt_gw_deploy_models_json(c.deploy);
    assert_non_null(strstr(s, "\"id\":\"general\""));
    assert_non_null(strstr(s, "\"environment\":\"env-b\""));
    free(s);
    /* The effective config (measured when there is no file) carries the type and the workflow. */
    assert_int_equal(vt_gw_config_to_json(&s, &c, &err), VT_OK);
    assert_non_null(strstr(s, "\"deployment_type\": \"app\""));
    assert_non_null(strstr(s, "\"deployments\""));
    free(s);
    vt_gw_config_free(&c);

    /* bridge / full with a workflow: node names go downstream, everything else upstream. */
    assert_int_equal(config(&c, "{\"deployment_type\":\"bridge\",\"upstream\":\"http://127.0.0.1:1\",\"workflow\":" WORKFLOW "}",
                            &err), VT_OK);
    assert_int_equal(route(&c, "/v1/chat/completions", "{\"model\":\"general\"}", &node, &st, code), VT_GW_SERVE_NODE);
    assert_int_equal(route(&c, "/v1/chat/completions", "{\"model\":\"local\"}", &node, &st, code), VT_GW_SERVE_UPSTREAM);
    assert_int_equal(route(&c, "/v1/embeddings", "{\"model\":\"general\"}", &node, &st, code), VT_GW_SERVE_UPSTREAM);
    assert_int_equal(route(&c, "/v1/models", "", &node, &st, code), VT_GW_SERVE_UPSTREAM);
    vt_gw_config_free(&c);
}

/* Compiled output (`veritee workflow compile`) is accepted as the graph too. */
static void test_deployment__compiled(void **state)
{
    vt_gw_config c;
    vt_workflow *w = malloc(sizeof(*w));
    vt_err err;
    char *compiled = NULL, *json;
    size_t n, node;
    int st;
    char code[64];
    (void)state;
    assert_int_equal(vt_workflow_parse(w, GRAPH, strlen(GRAPH), &err), VT_OK);
    assert_int_equal(vt_workflow_compile(&compiled, w, &err), VT_OK);
    n = strlen(compiled) + 200;
    json = malloc(n);
    snprintf(json, n, "{\"deployment_type\":\"app\",\"workflow\":{\"graph\":%s,\"deployments\":{\"general\":"
             "\"http://127.0.0.1:9001\"}}}", compiled);
    assert_int_equal(config(&c, json, &err), VT_OK);
    assert_int_equal(c.deploy->node_count, 1);
    assert_int_equal(route(&c, "/v1/chat/completions", "{\"model\":\"general\"}", &node, &st, code), VT_GW_SERVE_NODE);
    assert_string_equal(c.deploy->nodes[node].environment, "env-a");
    assert_int_equal(route(&c, "/v1/chat/completions", "{\"model\":\"billing\"}", &node, &st, code), VT_GW_SERVE_REFUSE);
    vt_gw_config_free(&c);
    free(json);
    free(compiled);
    free(w);
}

static void test_deployment__passport_type(void **state)
{
    vt_pkey *key = NULL;
    vt_passport_claims pc;
    char *tok = NULL;
    vt_err err;
    (void)state;
    assert_int_equal(vt_pkey_generate(&key, VT_KEY_EC_P256, &err), VT_OK);
    memset(&pc, 0, sizeof(pc));
    assert_int_equal(vt_passport_new_id(pc.id, &err), VT_OK);
    snprintf(pc.environment, sizeof(pc.environment), "env-a");
    snprintf(pc.deployment_type, sizeof(pc.deployment_type), "model");
    snprintf(pc.issuer, sizeof(pc.issuer), "test");
    pc.tee_type = VT_TEE_MOCK;
    pc.iat = vt_time_now();
    pc.exp = pc.iat + 3600;
    assert_int_equal(vt_passport_issue(&tok, &pc, key, "k1", &err), VT_OK);
    assert_int_equal(vt_gw_deploy_check_passport("model", tok, &err), VT_OK);
    assert_int_equal(vt_gw_deploy_check_passport("app", tok, &err), VT_E_POLICY);
    assert_non_null(strstr(err.msg, "refusing to serve"));
    assert_int_equal(vt_gw_deploy_check_passport(NULL, tok, &err), VT_E_POLICY); /* default full */
    free(tok);
    vt_pkey_free(key);
}

/* https:// deployments: the target speaks TLS (default port 443, SNI only for a name) under a pin
 * that starts empty, and a plain one does not. */
static void test_deployment__https_targets(void **state)
{
    vt_gw_config c;
    vt_err err;
    uint8_t k[32];
    (void)state;
    assert_int_equal(config(&c, "{\"workflow\":{\"graph\":" GRAPH ",\"deployments\":{\"general\":"
                                "\"https://127.0.0.1:9443/\",\"billing\":\"https://localhost/b\"}}}", &err), VT_OK);
    assert_int_equal(c.deploy->node_count, 2);
    assert_non_null(c.deploy->tls);
    for (size_t i = 0; i < 2; i++) {
        const vt_gw_node *n = &c.deploy->nodes[i];
        assert_true(n->tgt.tls);
        assert_ptr_equal(n->tgt.pin, &n->pin);
        assert_ptr_equal(n->tgt.tls_client, c.deploy->tls);
        assert_false(n->pin.set);
        if (strcmp(n->id, "general") == 0) {
            assert_string_equal(n->tgt.host_header, "127.0.0.1:9443");
            assert_string_equal(n->tgt.sni, ""); /* an address is never sent as SNI */
        } else {
            assert_string_equal(n->tgt.host_header, "localhost:443");
            assert_string_equal(n->tgt.sni, "localhost");
            assert_string_equal(n->tgt.base, "/b");
        }
    }
    /* A handshake that met another key asks for a new check; setting the pin again clears it. */
    memset(k, 7, sizeof(k));
    vt_gw_tls_pin_set(&c.deploy->nodes[0].pin, k);
    assert_false(vt_gw_tls_pin_refused(&c.deploy->nodes[0].pin));
    vt_gw_config_free(&c);
    assert_int_equal(config(&c, "{\"workflow\":" WORKFLOW "}", &err), VT_OK);
    assert_null(c.deploy->tls);
    assert_false(c.deploy->nodes[0].tgt.tls);
    assert_string_equal(c.deploy->nodes[0].tgt.host_header, "127.0.0.1:9001");
    vt_gw_config_free(&c);
}

/* The config with deployment "general" = dep is refused when it is read (VT_E_ARG, err filled). */
static void read_refused(const char *dep, vt_err *err)
{
    char json[1024];
    vt_gw_config c;

    snprintf(json, sizeof(json), "{\"workflow\":{\"graph\":" GRAPH ",\"deployments\":{\"general\":%s}}}", dep);
    vt_gw_config_defaults(&c);
    if (vt_gw_config_parse(&c, json, strlen(json), err) != VT_E_ARG)
        fail_msg("not refused: %s", dep);
    vt_gw_config_free(&c);
}

/* Plain http:// to another machine carries the prompts in the clear: refused when the config is
 * read, unless that deployment says "allow_plain": true (then the effective config shows it);
 * the loopback (as `veritee chat` decides it: localhost, 127/8, [::1]) and https:// need nothing. */
static void test_deployment__plain_http_refused(void **state)
{
    static const char *const refused[] = {
        "\"http://192.0.2.1:9001\"",
        "\"http://gw.example\"",
        "\"http://[::ffff:127.0.0.1]:9001\"", /* maps to the loopback, but is not it */
        "\"http://localhost.example:9001\"",
        "\"http://127.0.0.1.example\"",
        "{\"url\":\"http://192.0.2.1:9001\"}",
        "{\"url\":\"http://192.0.2.1:9001\",\"allow_plain\":false}",
    };
    static const char *const bad[] = {
        "{\"url\":\"http://192.0.2.1:9001\",\"allow_plain\":1}",
        "{\"url\":\"http://192.0.2.1:9001\",\"allow_plain\":true,\"x\":1}",
        "{\"allow_plain\":true}",
        "{\"url\":5}",
        "5",
        "\"http://user@127.0.0.1:9001\"", /* the splitter's refusals at load time too */
        "\"http://127.0.0.1:0\"",
        "\"https://127.0.0.1:65536\"",
    };
    static const char *const allowed[] = {
        "\"http://127.0.0.1:9001\"",
        "\"http://127.9.8.7:9001/b\"",
        "\"http://localhost\"",
        "\"http://LocalHost:9001\"",
        "\"http://[::1]:9001\"",
        "\"https://192.0.2.1:9443\"",
        "{\"url\":\"http://192.0.2.1:9001\",\"allow_plain\":true}",
        "{\"url\":\"http://127.0.0.1:9001\"}",
    };
    char json[1024];
    vt_gw_config c;
    vt_err err;
    char *s;
    (void)state;

    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        read_refused(refused[i], &err);
        if (strstr(err.msg, "workflow.deployments.general is plain http:// to another machine") == NULL ||
            strstr(err.msg, "\"allow_plain\": true") == NULL || strstr(err.msg, "https://") == NULL)
            fail_msg("%s: %s", refused[i], err.msg);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        read_refused(bad[i], &err);
        if (strstr(err.msg, "workflow.deployments.general") == NULL)
            fail_msg("%s: %s", bad[i], err.msg);
    }
    for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
        snprintf(json, sizeof(json), "{\"workflow\":{\"graph\":" GRAPH ",\"deployments\":{\"general\":%s}}}",
                 allowed[i]);
        if (config(&c, json, &err) != VT_OK)
            fail_msg("refused: %s: %s", allowed[i], err.msg);
        assert_int_equal(c.deploy->node_count, 1);
        vt_gw_config_free(&c);
    }
    /* Allowed: routed as any plain deployment, and the measured config says so. */
    assert_int_equal(config(&c, "{\"workflow\":{\"graph\":" GRAPH ",\"deployments\":{\"general\":{\"url\":"
                                "\"http://192.0.2.1:9001/b/\",\"allow_plain\":true}}}}", &err), VT_OK);
    assert_false(c.deploy->nodes[0].tgt.tls);
    assert_string_equal(c.deploy->nodes[0].url, "http://192.0.2.1:9001/b");
    assert_string_equal(c.deploy->nodes[0].tgt.host_header, "192.0.2.1:9001");
    assert_string_equal(c.deploy->nodes[0].tgt.base, "/b");
    assert_int_equal(vt_gw_config_to_json(&s, &c, &err), VT_OK);
    assert_non_null(strstr(s, "\"allow_plain\": true"));
    free(s);
    vt_gw_config_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deployment__types_refused),
        cmocka_unit_test(test_deployment__routes),
        cmocka_unit_test(test_deployment__compiled),
        cmocka_unit_test(test_deployment__passport_type),
        cmocka_unit_test(test_deployment__https_targets),
        cmocka_unit_test(test_deployment__plain_http_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
