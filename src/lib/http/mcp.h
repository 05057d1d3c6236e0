/* Model Context Protocol server core (docs/mcp.md): JSON-RPC 2.0 messages of
 * the Streamable HTTP transport, answered as one application/json reply (no
 * server-initiated stream, no session).  Transport-neutral: the verifier and
 * the gateway each hand it a POST /mcp body and send back what it returns.
 * The services define the tools; this file knows only the protocol. */
#ifndef VT_HTTP_MCP_H
#define VT_HTTP_MCP_H

#include <jansson.h>
#include <stdbool.h>

#include "veritee/base.h"

#define VT_MCP_MAX_BODY (1024 * 1024) /* a request body beyond this is refused before parsing */

/*
 * One tool.  call fills *result with a JSON object (owned by the caller after
 * return; it becomes structuredContent and, dumped, the text content) and
 * returns VT_OK; or returns an error with err set, which the client sees as a
 * tool result with isError (a failed verification is a result, not a protocol
 * error).  args is the request's "arguments" object (borrowed, never NULL);
 * req_ctx is what the transport passed to vt_mcp_handle for this request.
 */
typedef vt_status (*vt_mcp_fn)(json_t **result, const json_t *args, void *tool_ctx, void *req_ctx, vt_err *err);

typedef struct vt_mcp_tool {
    const char *name;
    const char *description;
    const char *input_schema;    /* JSON Schema (an object schema), as text */
    bool needs_auth;             /* called only when the request carried the service's bearer token */
    vt_mcp_fn call;
} vt_mcp_tool;

typedef struct vt_mcp_server {
    const char *name;            /* serverInfo.name */
    const char *version;
    const char *instructions;    /* optional, for the client's model */
    const vt_mcp_tool *tools;
    size_t tool_count;
    void *tool_ctx;
} vt_mcp_server;

/* The protocol revisions this server speaks, newest first (NULL-terminated). */
extern const char *const vt_mcp_versions[];

/*
 * Handles one POST /mcp body.  Sets *status (200 with *json_out a JSON-RPC
 * response, 202 with *json_out NULL for a notification, 400 for a body that is
 * not JSON-RPC, 413 when too large) and *json_out (free()).  authorized says
 * whether the transport checked the bearer token.  VT_E_NOMEM only; every
 * client mistake is an answer.
 */
VT_NODISCARD vt_status vt_mcp_handle(int *status, char **json_out, const vt_mcp_server *srv, const uint8_t *body,
                                     size_t len, bool authorized, void *req_ctx);

/*
 * The MCP-Protocol-Version header of one POST /mcp (value NULL when absent),
 * checked before the body (Streamable HTTP transport, "Protocol Version Header").
 * Absent: the client predates the header and 2025-03-26 is assumed, which this
 * server speaks; one of vt_mcp_versions: spoken.  Both are VT_OK with *json_out
 * NULL: go on.  Any other value is VT_OK with *json_out (free()) a JSON-RPC error
 * without an id, naming the revisions spoken, to send with 400 Bad Request.
 * VT_E_NOMEM only.
 */
VT_NODISCARD vt_status vt_mcp_check_version(char **json_out, const char *value);

/* GET /.well-known/mcp: the server's name, endpoint, transport, revisions and tools (free()). */
VT_NODISCARD vt_status vt_mcp_discovery(char **json_out, const vt_mcp_server *srv, const char *endpoint);

#endif
