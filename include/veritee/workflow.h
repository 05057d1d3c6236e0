/* Workflows (docs/workflows.md): a JSON graph of deployments an orchestrator
 * model routes between.  There is no runtime engine: a workflow compiles to
 * the orchestrator's system prompt plus one MCP tool per route, and the
 * orchestrator routes by calling those tools. */
#ifndef VERITEE_WORKFLOW_H
#define VERITEE_WORKFLOW_H

#include "veritee/base.h"
#include "veritee/passport.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VT_WORKFLOW_MAX_BYTES ((size_t)256 << 10)
#define VT_WORKFLOW_MAX_NODES 64
#define VT_WORKFLOW_MAX_EDGES 256
#define VT_WORKFLOW_NAME_MAX 49       /* node ids and the workflow name: 1..48 of [a-z0-9_-] */
#define VT_WORKFLOW_TEXT_MAX 513      /* descriptions and intents: 1..512 bytes, no control characters */
#define VT_WORKFLOW_ENTRY "orchestrator" /* the implicit entry node: the model that routes */

typedef struct vt_workflow_node {
    char id[VT_WORKFLOW_NAME_MAX];
    char environment[VT_ENV_ID_MAX];
    char type[VT_DEPLOYMENT_TYPE_MAX]; /* full, model, app, bridge */
    char description[VT_WORKFLOW_TEXT_MAX];
} vt_workflow_node;

typedef struct vt_workflow_edge {
    size_t from;                       /* node index; VT_WORKFLOW_MAX_NODES = the orchestrator */
    size_t to;                         /* node index */
    char intent[VT_WORKFLOW_TEXT_MAX]; /* when to take this route, for the orchestrator */
} vt_workflow_edge;

typedef struct vt_workflow {
    char name[VT_WORKFLOW_NAME_MAX];
    char description[VT_WORKFLOW_TEXT_MAX];
    bool allow_cycles;
    vt_workflow_node nodes[VT_WORKFLOW_MAX_NODES];
    size_t node_count;
    vt_workflow_edge edges[VT_WORKFLOW_MAX_EDGES];
    size_t edge_count;
} vt_workflow;

/*
 * Parses and validates untrusted JSON (<= VT_WORKFLOW_MAX_BYTES) into out:
 * unknown keys refused, ids unique and well-formed, every edge between
 * existing nodes (from may be "orchestrator"), no self-loops or duplicate
 * edges, no edge into an "app" deployment (it serves no model API), every node
 * reachable from the orchestrator, and no cycle unless allow_cycles.  Errors
 * name the node or edge: VT_E_FORMAT, VT_E_LIMIT, VT_E_POLICY (graph rules).
 */
VT_NODISCARD VT_API vt_status vt_workflow_parse(vt_workflow *out, const char *json, size_t len, vt_err *err);

/*
 * The orchestrator's system prompt and the MCP tool registrations (the
 * tools/list form, each with a "deployment" member naming its environment and
 * type) as one JSON object {"workflow", "system_prompt", "tools"}.  Deterministic:
 * the same workflow always compiles to the same bytes.  free() the string.
 */
VT_NODISCARD VT_API vt_status vt_workflow_compile(char **json_out, const vt_workflow *w, vt_err *err);

#ifdef __cplusplus
}
#endif
#endif /* VERITEE_WORKFLOW_H */
