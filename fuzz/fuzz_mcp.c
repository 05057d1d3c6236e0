/* libFuzzer: MCP messages (POST /mcp bodies) through the JSON-RPC core with a
 * tool that echoes its arguments: every body gets a status and, unless it is a
 * notification, a JSON answer. */
#include <jansson.h>
#include <stdlib.h>

#include "http/mcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static vt_status echo(json_t **result, const json_t *args, void *tool_ctx, void *req_ctx, vt_err *err)
{
    (void)tool_ctx;
    (void)req_ctx;
    if (json_object_size(args) > 3)
        return vt_err_set(err, VT_E_ARG, "too many arguments");
    *result = json_pack("{s:O}", "args", args);
    return *result != NULL ? VT_OK : VT_E_NOMEM;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const vt_mcp_tool tools[] = { { "echo", "echo", "{\"type\":\"object\"}", false, echo },
                                         { "gated", "gated", "{\"type\":\"object\"}", true, echo } };
    static const vt_mcp_server srv = { "fuzz", "0", NULL, tools, 2, NULL };
    char *out = NULL;
    int status = 0;

    if (vt_mcp_handle(&status, &out, &srv, data, size, (size & 1) != 0, NULL) == VT_OK) {
        if (status == 202 ? out != NULL : out == NULL)
            __builtin_trap(); /* an answer exactly when one is due */
    }
    free(out);
    return 0;
}
