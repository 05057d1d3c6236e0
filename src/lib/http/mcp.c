/* MCP over JSON-RPC 2.0: initialize, ping, tools/list, tools/call, and the
 * notifications a client sends.  Strict on the envelope (jsonrpc "2.0", id a
 * string or integer, params an object), so a malformed message gets the
 * JSON-RPC error code that names its mistake. */
#include <stdio.h>
#include <string.h>

#include "http/mcp.h"

const char *const vt_mcp_versions[] = { "2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05", NULL };

enum {
    RPC_PARSE_ERROR = -32700,
    RPC_INVALID_REQUEST = -32600,
    RPC_METHOD_NOT_FOUND = -32601,
    RPC_INVALID_PARAMS = -32602,
};

static json_t *rpc_error(const json_t *id, int code, const char *msg)
{
    return json_pack("{s:s, s:O, s:{s:i, s:s}}", "jsonrpc", "2.0", "id", id != NULL ? id : json_null(), "error",
                     "code", code, "message", msg);
}

static json_t *rpc_result(const json_t *id, json_t *result)
{
    return result != NULL ? json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0", "id", id, "result", result) : NULL;
}

static json_t *tool_json(const vt_mcp_tool *t)
{
    json_t *schema = json_loads(t->input_schema, 0, NULL);
    if (schema == NULL)
        return NULL;
    return json_pack("{s:s, s:s, s:o}", "name", t->name, "description", t->description, "inputSchema", schema);
}

static json_t *tools_array(const vt_mcp_server *srv)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr != NULL && i < srv->tool_count; i++) {
        json_t *t = tool_json(&srv->tools[i]);
        if (t == NULL || json_array_append_new(arr, t) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

/* The client's revision when we speak it, else our newest (the client then decides). */
static const char *negotiate(const json_t *params)
{
    const char *want = json_string_value(json_object_get(params, "protocolVersion"));
    for (size_t i = 0; want != NULL && vt_mcp_versions[i] != NULL; i++)
        if (strcmp(want, vt_mcp_versions[i]) == 0)
            return vt_mcp_versions[i];
    return vt_mcp_versions[0];
}

static json_t *initialize(const vt_mcp_server *srv, const json_t *id, const json_t *params)
{
    json_t *r = json_pack("{s:s, s:{s:{s:b}}, s:{s:s, s:s}}", "protocolVersion", negotiate(params), "capabilities",
                          "tools", "listChanged", 0, "serverInfo", "name", srv->name, "version", srv->version);
    if (r != NULL && srv->instructions != NULL)
        json_object_set_new(r, "instructions", json_string(srv->instructions));
    return rpc_result(id, r);
}

static json_t *call_tool(const vt_mcp_server *srv, const json_t *id, const json_t *params, bool authorized,
                         void *req_ctx)
{
    const char *name = json_string_value(json_object_get(params, "name"));
    const json_t *args = json_object_get(params, "arguments");
    const vt_mcp_tool *t = NULL;
    json_t *empty = NULL, *result = NULL, *out;
    char *text;
    vt_err e = { 0 };
    vt_status rc;

    if (name == NULL)
        return rpc_error(id, RPC_INVALID_PARAMS, "params.name: a tool name (string) is required");
    for (size_t i = 0; i < srv->tool_count && t == NULL; i++)
        if (strcmp(srv->tools[i].name, name) == 0)
            t = &srv->tools[i];
    if (t == NULL)
        return rpc_error(id, RPC_INVALID_PARAMS, "params.name: no such tool");
    if (args != NULL && !json_is_object(args))
        return rpc_error(id, RPC_INVALID_PARAMS, "params.arguments: must be an object");
    if (args == NULL)
        args = empty = json_object();
    if (t->needs_auth && !authorized)
        rc = vt_err_set(&e, VT_E_POLICY, "%s: needs the service's bearer token (Authorization: Bearer …)", name);
    else
        rc = t->call(&result, args, srv->tool_ctx, req_ctx, &e);
    json_decref(empty);
    if (rc == VT_E_NOMEM)
        return NULL;
    if (rc != VT_OK) {
        json_decref(result);
        return rpc_result(id, json_pack("{s:[{s:s, s:s}], s:b}", "content", "type", "text", "text", e.msg, "isError", 1));
    }
    text = json_dumps(result, JSON_COMPACT);
    out = text == NULL ? NULL
                       : json_pack("{s:[{s:s, s:s}], s:o, s:b}", "content", "type", "text", "text", text,
                                   "structuredContent", result, "isError", 0);
    if (out == NULL)
        json_decref(result);
    free(text);
    return rpc_result(id, out);
}

/* One message: a response object, or NULL with *notification set when none is due. */
static json_t *one(const vt_mcp_server *srv, const json_t *msg, bool authorized, void *req_ctx, bool *notification)
{
    const json_t *id = json_object_get(msg, "id"), *params = json_object_get(msg, "params");
    const char *method = json_string_value(json_object_get(msg, "method"));
    const char *ver = json_string_value(json_object_get(msg, "jsonrpc"));

    *notification = false;
    if (!json_is_object(msg) || ver == NULL || strcmp(ver, "2.0") != 0)
        return rpc_error(NULL, RPC_INVALID_REQUEST, "not a JSON-RPC 2.0 message");
    if (method == NULL) {
        /* A client's response to a server request: this server sends none, so nothing to do. */
        *notification = json_object_get(msg, "result") != NULL || json_object_get(msg, "error") != NULL;
        return *notification ? NULL : rpc_error(id, RPC_INVALID_REQUEST, "method: required");
    }
    if (id == NULL) {
        *notification = true; /* notifications/initialized, notifications/cancelled, ...: nothing to answer */
        return NULL;
    }
    if (!json_is_string(id) && !json_is_integer(id))
        return rpc_error(NULL, RPC_INVALID_REQUEST, "id: a string or an integer");
    if (params != NULL && !json_is_object(params))
        return rpc_error(id, RPC_INVALID_PARAMS, "params: must be an object");
    if (strcmp(method, "initialize") == 0)
        return initialize(srv, id, params);
    if (strcmp(method, "ping") == 0)
        return rpc_result(id, json_object());
    if (strcmp(method, "tools/list") == 0) {
        json_t *arr = tools_array(srv);
        return rpc_result(id, arr != NULL ? json_pack("{s:o}", "tools", arr) : NULL);
    }
    if (strcmp(method, "tools/call") == 0)
        return call_tool(srv, id, params, authorized, req_ctx);
    return rpc_error(id, RPC_METHOD_NOT_FOUND, "method not found");
}

vt_status vt_mcp_handle(int *status, char **json_out, const vt_mcp_server *srv, const uint8_t *body, size_t len,
                        bool authorized, void *req_ctx)
{
    json_t *msg = NULL, *reply = NULL;
    json_error_t je;
    bool notification = false;

    *json_out = NULL;
    if (len > VT_MCP_MAX_BODY) {
        *status = 413;
        reply = rpc_error(NULL, RPC_INVALID_REQUEST, "message too large");
    } else if ((msg = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je)) == NULL) {
        *status = 400;
        reply = rpc_error(NULL, RPC_PARSE_ERROR, "parse error: not JSON");
    } else if (json_is_array(msg)) {
        /* Batches were removed from the protocol (2025-06-18); one message per POST. */
        *status = 400;
        reply = rpc_error(NULL, RPC_INVALID_REQUEST, "batches are not supported: one message per request");
    } else {
        reply = one(srv, msg, authorized, req_ctx, &notification);
        *status = notification ? 202 : 200;
        if (reply != NULL && json_object_get(reply, "error") != NULL &&
            json_integer_value(json_object_get(json_object_get(reply, "error"), "code")) == RPC_INVALID_REQUEST)
            *status = 400;
    }
    json_decref(msg);
    if (notification)
        return VT_OK;
    if (reply == NULL)
        return VT_E_NOMEM;
    *json_out = json_dumps(reply, JSON_COMPACT);
    json_decref(reply);
    return *json_out != NULL ? VT_OK : VT_E_NOMEM;
}

vt_status vt_mcp_check_version(char **json_out, const char *value)
{
    char msg[256];
    size_t n;
    json_t *reply;

    *json_out = NULL;
    if (value == NULL)
        return VT_OK; /* 2025-03-26, the revision before the header: spoken */
    for (size_t i = 0; vt_mcp_versions[i] != NULL; i++)
        if (strcmp(value, vt_mcp_versions[i]) == 0)
            return VT_OK;
    /* The value is not echoed: it is the client's, and need not be text. */
    n = (size_t)snprintf(msg, sizeof(msg), "unsupported MCP-Protocol-Version; this server speaks");
    for (size_t i = 0; vt_mcp_versions[i] != NULL && n < sizeof(msg); i++)
        n += (size_t)snprintf(msg + n, sizeof(msg) - n, "%s%s", i > 0 ? ", " : " ", vt_mcp_versions[i]);
    reply = rpc_error(NULL, RPC_INVALID_REQUEST, msg);
    *json_out = reply != NULL ? json_dumps(reply, JSON_COMPACT) : NULL;
    json_decref(reply);
    return *json_out != NULL ? VT_OK : VT_E_NOMEM;
}

vt_status vt_mcp_discovery(char **json_out, const vt_mcp_server *srv, const char *endpoint)
{
    json_t *vers = json_array(), *tools = tools_array(srv), *j;

    for (size_t i = 0; vers != NULL && vt_mcp_versions[i] != NULL; i++)
        json_array_append_new(vers, json_string(vt_mcp_versions[i]));
    j = vers != NULL && tools != NULL
            ? json_pack("{s:s, s:s, s:s, s:s, s:o, s:o}", "name", srv->name, "version", srv->version, "endpoint",
                        endpoint, "transport", "streamable-http", "protocolVersions", vers, "tools", tools)
            : NULL;
    if (j == NULL) {
        json_decref(vers);
        json_decref(tools);
        return VT_E_NOMEM;
    }
    *json_out = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return *json_out != NULL ? VT_OK : VT_E_NOMEM;
}
