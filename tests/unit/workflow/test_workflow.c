/* Workflow graphs: every rule that makes a workflow invalid, then what a valid
 * one compiles to. */
#include "vt_test.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "veritee/workflow.h"

#define NODE(id, type) "{\"id\":\"" id "\",\"environment\":\"env-" id "\",\"type\":\"" type "\",\"description\":\"d\"}"
#define EDGE(f, t) "{\"from\":\"" f "\",\"to\":\"" t "\",\"intent\":\"i\"}"
#define WF(nodes, edges) "{\"name\":\"w\",\"nodes\":[" nodes "],\"edges\":[" edges "]}"

static vt_status parse(vt_workflow *w, const char *json, vt_err *err)
{
    return vt_workflow_parse(w, json, strlen(json), err);
}

static void test_workflow__invalid(void **state)
{
    static const struct { const char *json, *msg; vt_status rc; } cases[] = {
        { "", "not a JSON object", VT_E_FORMAT },
        { "[]", "not a JSON object", VT_E_FORMAT },
        { "{\"name\":\"w\",\"name\":\"x\"}", "duplicate", VT_E_FORMAT },
        { "{\"name\":\"W!\",\"nodes\":[" NODE("a", "model") "],\"edges\":[" EDGE("orchestrator", "a") "]}", "name",
          VT_E_FORMAT },
        { "{\"name\":\"w\",\"extra\":1,\"nodes\":[],\"edges\":[]}", "unknown key \"extra\"", VT_E_FORMAT },
        { WF("", EDGE("orchestrator", "a")), "non-empty", VT_E_FORMAT },
        { WF(NODE("a", "model") "," NODE("a", "model"), EDGE("orchestrator", "a")), "defined twice", VT_E_FORMAT },
        { WF(NODE("orchestrator", "model"), EDGE("orchestrator", "a")), "[a-z0-9_-]", VT_E_FORMAT },
        { WF(NODE("a", "server"), EDGE("orchestrator", "a")), "full, model, app or bridge", VT_E_FORMAT },
        { WF("{\"id\":\"a\",\"environment\":\"../x\",\"type\":\"model\",\"description\":\"d\"}", EDGE("orchestrator", "a")),
          "environment id", VT_E_FORMAT },
        { WF("{\"id\":\"a\",\"environment\":\"e\",\"type\":\"model\",\"description\":\"\"}", EDGE("orchestrator", "a")),
          "a.description", VT_E_FORMAT },
        { WF("{\"id\":\"a\",\"environment\":\"e\",\"type\":\"model\",\"description\":\"x\\u0001\"}", EDGE("orchestrator", "a")),
          "control character", VT_E_FORMAT },
        { WF(NODE("a", "model"), EDGE("orchestrator", "b")), "no node \"b\"", VT_E_POLICY },
        { WF(NODE("a", "model"), EDGE("a", "orchestrator")), "back to the orchestrator", VT_E_POLICY },
        { WF(NODE("a", "model"), EDGE("orchestrator", "a") "," EDGE("a", "a")), "routes to itself", VT_E_POLICY },
        { WF(NODE("a", "model"), EDGE("orchestrator", "a") "," EDGE("orchestrator", "a")), "given twice", VT_E_POLICY },
        { WF(NODE("a", "app"), EDGE("orchestrator", "a")), "app deployment", VT_E_POLICY },
        { WF(NODE("a", "model") "," NODE("b", "model"), EDGE("orchestrator", "a")), "b is not reachable", VT_E_POLICY },
        { WF(NODE("a", "model") "," NODE("b", "model"), EDGE("orchestrator", "a") "," EDGE("a", "b") "," EDGE("b", "a")),
          "cycle", VT_E_POLICY },
        { WF(NODE("a", "model"), "{\"from\":\"orchestrator\",\"to\":\"a\"}"), "intent", VT_E_FORMAT },
        { WF(NODE("a", "model"), "{\"from\":\"orchestrator\",\"to\":\"a\",\"intent\":\"i\",\"when\":1}"), "unknown key",
          VT_E_FORMAT },
    };
    vt_workflow *w = malloc(sizeof(*w));

    (void)state;
    assert_non_null(w);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        vt_err err = { 0 };
        vt_status rc = parse(w, cases[i].json, &err);
        if (rc != cases[i].rc || strstr(err.msg, cases[i].msg) == NULL)
            fail_msg("case %zu: rc %d, message \"%s\", wanted %d and \"%s\"", i, rc, err.msg, cases[i].rc, cases[i].msg);
    }
    free(w);
}

static void test_workflow__limits(void **state)
{
    vt_workflow *w = malloc(sizeof(*w));
    char *big = malloc(VT_WORKFLOW_MAX_BYTES + 2);
    char json[16384];
    size_t used;
    vt_err err = { 0 };

    (void)state;
    assert_non_null(w);
    assert_non_null(big);
    memset(big, ' ', VT_WORKFLOW_MAX_BYTES + 1);
    assert_int_equal(vt_workflow_parse(w, big, VT_WORKFLOW_MAX_BYTES + 1, &err), VT_E_LIMIT);
    used = (size_t)snprintf(json, sizeof(json), "{\"name\":\"w\",\"nodes\":[");
    for (int i = 0; i <= VT_WORKFLOW_MAX_NODES; i++)
        used += (size_t)snprintf(json + used, sizeof(json) - used, "%s{\"id\":\"n%d\",\"environment\":\"e\",\"type\":"
                                 "\"model\",\"description\":\"d\"}", i ? "," : "", i);
    snprintf(json + used, sizeof(json) - used, "],\"edges\":[" EDGE("orchestrator", "n0") "]}");
    assert_int_equal(parse(w, json, &err), VT_E_LIMIT);
    free(big);
    free(w);
}

static void test_workflow__valid_and_compiled(void **state)
{
    const char *json = WF(NODE("a", "model") "," NODE("b", "bridge") "," NODE("front", "app"),
                          EDGE("orchestrator", "a") "," EDGE("a", "b") "," EDGE("front", "a"));
    vt_workflow *w = malloc(sizeof(*w));
    char *c1 = NULL, *c2 = NULL;
    vt_err err = { 0 };
    json_t *j;

    (void)state;
    assert_non_null(w);
    assert_int_equal(parse(w, json, &err), VT_OK);
    assert_int_equal(w->node_count, 3);
    assert_int_equal(w->edge_count, 3);
    assert_int_equal(vt_workflow_compile(&c1, w, &err), VT_OK);
    assert_int_equal(vt_workflow_compile(&c2, w, &err), VT_OK);
    assert_string_equal(c1, c2); /* deterministic */
    j = json_loads(c1, 0, NULL);
    assert_non_null(j);
    /* one tool per deployment something routes to: a and b, not the app */
    assert_int_equal(json_array_size(json_object_get(j, "tools")), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(j, "tools"), 0), "name")),
                        "route_to_a");
    assert_string_equal(json_string_value(json_object_get(json_object_get(json_array_get(json_object_get(j, "tools"), 1),
                                                                         "deployment"), "environment")), "env-b");
    assert_non_null(strstr(json_string_value(json_object_get(j, "system_prompt")), "after a has answered"));
    json_decref(j);
    free(c1);
    free(c2);
    /* a cycle is fine when the workflow says so */
    json = "{\"name\":\"w\",\"allow_cycles\":true,\"nodes\":[" NODE("a", "model") "," NODE("b", "model")
           "],\"edges\":[" EDGE("orchestrator", "a") "," EDGE("a", "b") "," EDGE("b", "a") "]}";
    assert_int_equal(parse(w, json, &err), VT_OK);
    free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_workflow__invalid),
        cmocka_unit_test(test_workflow__limits),
        cmocka_unit_test(test_workflow__valid_and_compiled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
