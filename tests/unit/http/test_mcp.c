/* The MCP protocol core without sockets: the JSON-RPC envelope, revision
 * negotiation, tools/list and tools/call, auth-gated tools, notifications. */
#include "vt_test.h"

#include <string.h>

#include "http/mcp.h"

static vt_status t_echo(json_t **result, const json_t *args, void *tool_ctx, void *req_ctx, vt_err *err)
{
    (void)tool_ctx;
    if (json_object_get(args, "fail") != NULL)
        return vt_err_set(err, VT_E_POLICY, "echo: asked to fail");
    *result = json_pack("{s:O, s:s}", "args", args, "req", (const char *)req_ctx);
    return VT_OK;
}

static const vt_mcp_tool tools[] = {
    { "echo", "Echoes its arguments.", "{\"type\":\"object\"}", false, t_echo },
    { "secret", "Needs the token.", "{\"type\":\"object\",\"properties\":{}}", true, t_echo },
};
static const vt_mcp_server srv = { "test-server", "9.9", NULL, tools, 2, NULL };

/* Sends msg; returns the parsed answer (NULL for none) and sets *status. */
static json_t *call(int *status, const char *msg, bool authorized)
{
    char *out = NULL;
    json_t *j = NULL;

    assert_int_equal(vt_mcp_handle(status, &out, &srv, (const uint8_t *)msg, strlen(msg), authorized, "ctx"), VT_OK);
    if (out != NULL) {
        j = json_loads(out, 0, NULL);
        assert_non_null(j);
        assert_string_equal(json_string_value(json_object_get(j, "jsonrpc")), "2.0");
    }
    free(out);
    return j;
}

static int error_code(const json_t *j)
{
    return (int)json_integer_value(json_object_get(json_object_get(j, "error"), "code"));
}

static void test_mcp__bad_envelopes(void **state)
{
    static const struct { const char *msg; int status, code; } cases[] = {
        { "", 400, -32700 },
        { "{\"jsonrpc\":\"2.0\",\"id\":1,", 400, -32700 },
        { "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]", 400, -32600 },
        { "{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"ping\"}", 400, -32600 },
        { "{\"id\":1,\"method\":\"ping\"}", 400, -32600 },
        { "{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"ping\"}", 400, -32600 },
        { "{\"jsonrpc\":\"2.0\",\"id\":[1],\"method\":\"ping\"}", 400, -32600 },
        { "{\"jsonrpc\":\"2.0\",\"id\":1,\"id\":2,\"method\":\"ping\"}", 400, -32700 },
        { "{\"jsonrpc\":\"2.0\",\"id\":1}", 400, -32600 },
        { "\"just a string\"", 400, -32600 },
        { "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":[]}", 200, -32602 },
        { "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"prompts/list\"}", 200, -32601 },
        { "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{}}", 200, -32602 },
        { "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"nope\"}}", 200, -32602 },
        { "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":3}}", 200,
          -32602 },
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int st = 0;
        json_t *j = call(&st, cases[i].msg, false);
        assert_non_null(j);
        assert_int_equal(st, cases[i].status);
        assert_int_equal(error_code(j), cases[i].code);
        json_decref(j);
    }
}

static void test_mcp__too_large(void **state)
{
    size_t n = VT_MCP_MAX_BODY + 1;
    char *big = malloc(n), *out = NULL;
    int st = 0;

    (void)state;
    assert_non_null(big);
    memset(big, ' ', n);
    assert_int_equal(vt_mcp_handle(&st, &out, &srv, (const uint8_t *)big, n, false, NULL), VT_OK);
    assert_int_equal(st, 413);
    free(out);
    free(big);
}

static void test_mcp__initialize_negotiates(void **state)
{
    int st = 0;
    json_t *j;

    (void)state;
    j = call(&st, "{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-03-26\"}}", false);
    assert_int_equal(st, 200);
    assert_string_equal(json_string_value(json_object_get(j, "id")), "x");
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "result"), "protocolVersion")), "2025-03-26");
    assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(j, "result"), "serverInfo"), "name")),
                        "test-server");
    json_decref(j);
    j = call(&st, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2099-01-01\"}}", false);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "result"), "protocolVersion")), vt_mcp_versions[0]);
    json_decref(j);
}

/* MCP-Protocol-Version: absent (2025-03-26 assumed) or a revision spoken goes on; anything else
 * is a JSON-RPC error without an id naming the revisions, and the value is not echoed. */
static void test_mcp__protocol_version_header(void **state)
{
    static const char *const refused[] = { "1999-01-01", "2025-06-19", "2025-06-18 ", "2025-06-1", "", "latest",
                                           "2025-06-18,2025-03-26", "<script>" };
    char *out = NULL;

    (void)state;
    assert_int_equal(vt_mcp_check_version(&out, NULL), VT_OK);
    assert_null(out);
    for (size_t i = 0; vt_mcp_versions[i] != NULL; i++) {
        assert_int_equal(vt_mcp_check_version(&out, vt_mcp_versions[i]), VT_OK);
        assert_null(out);
    }
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        json_t *j;
        const char *msg;
        assert_int_equal(vt_mcp_check_version(&out, refused[i]), VT_OK);
        assert_non_null(out);
        j = json_loads(out, 0, NULL);
        assert_non_null(j);
        assert_int_equal(error_code(j), -32600);
        assert_true(json_is_null(json_object_get(j, "id")));
        msg = json_string_value(json_object_get(json_object_get(j, "error"), "message"));
        assert_non_null(strstr(msg, "2025-06-18"));
        assert_non_null(strstr(msg, "2025-03-26"));
        assert_null(strstr(msg, "<script>"));
        json_decref(j);
        free(out);
        out = NULL;
    }
}

static void test_mcp__notifications_get_no_answer(void **state)
{
    int st = 0;
    (void)state;
    assert_null(call(&st, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}", false));
    assert_int_equal(st, 202);
    assert_null(call(&st, "{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{}}", false));
    assert_int_equal(st, 202);
}

static void test_mcp__tools(void **state)
{
    int st = 0;
    json_t *j, *r;

    (void)state;
    j = call(&st, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}", false);
    r = json_object_get(json_object_get(j, "result"), "tools");
    assert_int_equal(json_array_size(r), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(r, 0), "name")), "echo");
    assert_true(json_is_object(json_object_get(json_array_get(r, 0), "inputSchema")));
    json_decref(j);
    /* a call: structuredContent and the same JSON as text */
    j = call(&st, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{\"a\":1}}}", false);
    r = json_object_get(j, "result");
    assert_false(json_is_true(json_object_get(r, "isError")));
    assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(r, "structuredContent"), "args"), "a")), 1);
    assert_string_equal(json_string_value(json_object_get(json_object_get(r, "structuredContent"), "req")), "ctx");
    assert_non_null(strstr(json_string_value(json_object_get(json_array_get(json_object_get(r, "content"), 0), "text")), "\"a\":1"));
    json_decref(j);
    /* no arguments: the tool gets an empty object */
    j = call(&st, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\"}}", false);
    assert_false(json_is_true(json_object_get(json_object_get(j, "result"), "isError")));
    json_decref(j);
    /* a tool's failure is a result with isError and the message */
    j = call(&st, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{\"fail\":1}}}", false);
    r = json_object_get(j, "result");
    assert_true(json_is_true(json_object_get(r, "isError")));
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(r, "content"), 0), "text")),
                        "echo: asked to fail");
    json_decref(j);
}

static void test_mcp__auth_gated_tool(void **state)
{
    const char *msg = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"secret\"}}";
    int st = 0;
    json_t *j;

    (void)state;
    j = call(&st, msg, false);
    assert_true(json_is_true(json_object_get(json_object_get(j, "result"), "isError")));
    json_decref(j);
    j = call(&st, msg, true);
    assert_false(json_is_true(json_object_get(json_object_get(j, "result"), "isError")));
    json_decref(j);
}

static void test_mcp__discovery(void **state)
{
    char *out = NULL;
    json_t *j;

    (void)state;
    assert_int_equal(vt_mcp_discovery(&out, &srv, "/mcp"), VT_OK);
    j = json_loads(out, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(j, "endpoint")), "/mcp");
    assert_int_equal(json_array_size(json_object_get(j, "tools")), 2);
    json_decref(j);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mcp__bad_envelopes),
        cmocka_unit_test(test_mcp__too_large),
        cmocka_unit_test(test_mcp__initialize_negotiates),
        cmocka_unit_test(test_mcp__protocol_version_header),
        cmocka_unit_test(test_mcp__notifications_get_no_answer),
        cmocka_unit_test(test_mcp__tools),
        cmocka_unit_test(test_mcp__auth_gated_tool),
        cmocka_unit_test(test_mcp__discovery),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
