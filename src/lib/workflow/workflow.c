/* Workflow graphs: strict parsing, the graph rules, and compilation to an
 * orchestrator prompt plus MCP tools (docs/workflows.md). */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "veritee/workflow.h"

#define ENTRY VT_WORKFLOW_MAX_NODES /* edge endpoint index of the orchestrator */

static bool name_ok(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n < VT_WORKFLOW_NAME_MAX && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

/* A required (or optional) text member: 1..512 bytes, no control characters. */
static vt_status text_member(char *out, const json_t *o, const char *key, bool required, const char *where,
                             vt_err *err)
{
    const json_t *v = json_object_get(o, key);
    const char *s;

    out[0] = '\0';
    if (v == NULL && !required)
        return VT_OK;
    s = json_string_value(v);
    if (s == NULL || json_string_length(v) == 0 || json_string_length(v) >= VT_WORKFLOW_TEXT_MAX ||
        strlen(s) != json_string_length(v))
        return vt_err_set(err, VT_E_FORMAT, "workflow: %s.%s must be a string of 1..%d bytes", where, key,
                          VT_WORKFLOW_TEXT_MAX - 1);
    for (const char *p = s; *p != '\0'; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return vt_err_set(err, VT_E_FORMAT, "workflow: %s.%s contains a control character", where, key);
    memcpy(out, s, json_string_length(v) + 1);
    return VT_OK;
}

static vt_status only_keys(const json_t *o, const char *const *keys, const char *where, vt_err *err)
{
    const char *k;
    json_t *v;

    json_object_foreach((json_t *)o, k, v)
    {
        bool known = false;
        for (size_t i = 0; keys[i] != NULL && !known; i++)
            known = strcmp(k, keys[i]) == 0;
        if (!known)
            return vt_err_set(err, VT_E_FORMAT, "workflow: %s: unknown key \"%.48s\"", where, k);
    }
    return VT_OK;
}

static size_t node_index(const vt_workflow *w, const char *id)
{
    if (strcmp(id, VT_WORKFLOW_ENTRY) == 0)
        return ENTRY;
    for (size_t i = 0; i < w->node_count; i++)
        if (strcmp(w->nodes[i].id, id) == 0)
            return i;
    return SIZE_MAX;
}

static vt_status parse_node(vt_workflow *w, const json_t *o, size_t i, vt_err *err)
{
    static const char *const keys[] = { "id", "environment", "type", "description", NULL };
    vt_workflow_node *n = &w->nodes[i];
    const char *id = json_string_value(json_object_get(o, "id"));
    const char *env = json_string_value(json_object_get(o, "environment"));
    const char *type = json_string_value(json_object_get(o, "type"));
    char where[32];

    snprintf(where, sizeof(where), "nodes[%zu]", i);
    if (!json_is_object(o))
        return vt_err_set(err, VT_E_FORMAT, "workflow: %s must be an object", where);
    if (only_keys(o, keys, where, err) != VT_OK)
        return VT_E_FORMAT;
    if (id == NULL || !name_ok(id) || strcmp(id, VT_WORKFLOW_ENTRY) == 0)
        return vt_err_set(err, VT_E_FORMAT, "workflow: %s.id must be 1..48 of [a-z0-9_-] (not \"%s\")", where,
                          VT_WORKFLOW_ENTRY);
    if (node_index(w, id) != SIZE_MAX)
        return vt_err_set(err, VT_E_FORMAT, "workflow: node \"%s\" is defined twice", id);
    if (env == NULL || !vt_env_id_valid(env))
        return vt_err_set(err, VT_E_FORMAT, "workflow: node %s: environment must be an environment id", id);
    if (type == NULL || !vt_deployment_type_valid(type))
        return vt_err_set(err, VT_E_FORMAT, "workflow: node %s: type must be full, model, app or bridge", id);
    snprintf(n->id, sizeof(n->id), "%s", id);
    snprintf(n->environment, sizeof(n->environment), "%s", env);
    snprintf(n->type, sizeof(n->type), "%s", type);
    return text_member(n->description, o, "description", true, n->id, err);
}

static vt_status parse_edge(vt_workflow *w, const json_t *o, size_t i, vt_err *err)
{
    static const char *const keys[] = { "from", "to", "intent", NULL };
    vt_workflow_edge *e = &w->edges[i];
    const char *from = json_string_value(json_object_get(o, "from"));
    const char *to = json_string_value(json_object_get(o, "to"));
    char where[32];

    snprintf(where, sizeof(where), "edges[%zu]", i);
    if (!json_is_object(o))
        return vt_err_set(err, VT_E_FORMAT, "workflow: %s must be an object", where);
    if (only_keys(o, keys, where, err) != VT_OK)
        return VT_E_FORMAT;
    if (from == NULL || to == NULL)
        return vt_err_set(err, VT_E_FORMAT, "workflow: %s needs from and to (node ids)", where);
    e->from = node_index(w, from);
    e->to = node_index(w, to);
    if (e->from == SIZE_MAX || e->to == SIZE_MAX)
        return vt_err_set(err, VT_E_POLICY, "workflow: %s: no node \"%.48s\"", where, e->from == SIZE_MAX ? from : to);
    if (e->to == ENTRY)
        return vt_err_set(err, VT_E_POLICY, "workflow: %s: nothing routes back to the orchestrator", where);
    if (e->from == e->to)
        return vt_err_set(err, VT_E_POLICY, "workflow: %s: %s routes to itself", where, from);
    if (strcmp(w->nodes[e->to].type, "app") == 0)
        return vt_err_set(err, VT_E_POLICY, "workflow: %s: %s is an app deployment (front end only): nothing can "
                          "route to it", where, to);
    for (size_t k = 0; k < i; k++)
        if (w->edges[k].from == e->from && w->edges[k].to == e->to)
            return vt_err_set(err, VT_E_POLICY, "workflow: %s: %s -> %s is given twice", where, from, to);
    return text_member(e->intent, o, "intent", true, where, err);
}

/* Depth-first from the orchestrator: marks what is reachable, finds a cycle (one node on it). */
static size_t visit(const vt_workflow *w, size_t n, unsigned char *state)
{
    state[n] = 1; /* on the path */
    for (size_t i = 0; i < w->edge_count; i++) {
        size_t to = w->edges[i].to, c;
        if (w->edges[i].from != n)
            continue;
        if (state[to] == 1)
            return to;
        if (state[to] == 0 && (c = visit(w, to, state)) != SIZE_MAX)
            return c;
    }
    state[n] = 2; /* done */
    return SIZE_MAX;
}

static vt_status check_graph(const vt_workflow *w, vt_err *err)
{
    unsigned char state[VT_WORKFLOW_MAX_NODES + 1] = { 0 };
    size_t cycle = visit(w, ENTRY, state);

    if (cycle != SIZE_MAX && !w->allow_cycles)
        return vt_err_set(err, VT_E_POLICY, "workflow: a cycle runs through node %s (set allow_cycles if meant)",
                          w->nodes[cycle].id);
    if (cycle != SIZE_MAX) { /* finish the reachability walk the cycle cut short */
        for (size_t k = 0; k <= VT_WORKFLOW_MAX_NODES; k++)
            if (state[k] == 1)
                state[k] = 2;
        for (size_t pass = 0; pass < w->node_count; pass++)
            for (size_t i = 0; i < w->edge_count; i++)
                if (state[w->edges[i].from] == 2)
                    state[w->edges[i].to] = 2;
    }
    for (size_t i = 0; i < w->node_count; i++)
        if (state[i] == 0 && strcmp(w->nodes[i].type, "app") != 0)
            return vt_err_set(err, VT_E_POLICY, "workflow: node %s is not reachable from the orchestrator",
                              w->nodes[i].id);
    return VT_OK;
}

vt_status vt_workflow_parse(vt_workflow *out, const char *json, size_t len, vt_err *err)
{
    static const char *const keys[] = { "name", "description", "allow_cycles", "nodes", "edges", NULL };
    json_t *doc = NULL;
    const json_t *nodes, *edges, *ac;
    const char *name;
    vt_status rc = VT_E_FORMAT;

    memset(out, 0, sizeof(*out));
    if (len > VT_WORKFLOW_MAX_BYTES)
        return vt_err_set(err, VT_E_LIMIT, "workflow: larger than %zu bytes", VT_WORKFLOW_MAX_BYTES);
    doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(doc)) {
        vt_err_set(err, VT_E_FORMAT, "workflow: not a JSON object (or duplicate keys)");
        goto out;
    }
    if (only_keys(doc, keys, "top level", err) != VT_OK)
        goto out;
    name = json_string_value(json_object_get(doc, "name"));
    if (name == NULL || !name_ok(name)) {
        vt_err_set(err, VT_E_FORMAT, "workflow: name must be 1..48 of [a-z0-9_-]");
        goto out;
    }
    snprintf(out->name, sizeof(out->name), "%s", name);
    if (text_member(out->description, doc, "description", false, "workflow", err) != VT_OK)
        goto out;
    ac = json_object_get(doc, "allow_cycles");
    if (ac != NULL && !json_is_boolean(ac)) {
        vt_err_set(err, VT_E_FORMAT, "workflow: allow_cycles must be a boolean");
        goto out;
    }
    out->allow_cycles = json_is_true(ac);
    nodes = json_object_get(doc, "nodes");
    edges = json_object_get(doc, "edges");
    if (!json_is_array(nodes) || json_array_size(nodes) == 0 || !json_is_array(edges) || json_array_size(edges) == 0) {
        vt_err_set(err, VT_E_FORMAT, "workflow: nodes and edges must be non-empty arrays");
        goto out;
    }
    if (json_array_size(nodes) > VT_WORKFLOW_MAX_NODES || json_array_size(edges) > VT_WORKFLOW_MAX_EDGES) {
        rc = vt_err_set(err, VT_E_LIMIT, "workflow: at most %d nodes and %d edges", VT_WORKFLOW_MAX_NODES,
                        VT_WORKFLOW_MAX_EDGES);
        goto out;
    }
    for (size_t i = 0; i < json_array_size(nodes); i++) {
        if ((rc = parse_node(out, json_array_get(nodes, i), i, err)) != VT_OK)
            goto out;
        out->node_count++;
    }
    for (size_t i = 0; i < json_array_size(edges); i++) {
        if ((rc = parse_edge(out, json_array_get(edges, i), i, err)) != VT_OK)
            goto out;
        out->edge_count++;
    }
    rc = check_graph(out, err);
out:
    json_decref(doc);
    return rc;
}

/* ---- compilation ---- */

static const char *node_name(const vt_workflow *w, size_t i)
{
    return i == ENTRY ? VT_WORKFLOW_ENTRY : w->nodes[i].id;
}

static json_t *tool_for(const vt_workflow *w, size_t n)
{
    char name[VT_WORKFLOW_NAME_MAX + 16], desc[2048];
    size_t used;

    snprintf(name, sizeof(name), "route_to_%s", w->nodes[n].id);
    used = (size_t)snprintf(desc, sizeof(desc), "%s Use for:", w->nodes[n].description);
    for (size_t i = 0; i < w->edge_count && used < sizeof(desc); i++)
        if (w->edges[i].to == n)
            used += (size_t)snprintf(desc + used, sizeof(desc) - used, " %s;", w->edges[i].intent);
    if (used < sizeof(desc) && desc[used - 1] == ';')
        desc[used - 1] = '.';
    return json_pack("{s:s, s:s, s:{s:s, s:{s:{s:s, s:s}}, s:[s], s:b}, s:{s:s, s:s, s:s}}", "name", name,
                     "description", desc, "inputSchema", "type", "object", "properties", "prompt", "type", "string",
                     "description", "what to ask this deployment, self-contained", "required", "prompt",
                     "additionalProperties", 0, "deployment", "node", w->nodes[n].id, "environment",
                     w->nodes[n].environment, "type", w->nodes[n].type);
}

vt_status vt_workflow_compile(char **json_out, const vt_workflow *w, vt_err *err)
{
    json_t *tools = json_array(), *doc = NULL;
    char *prompt = NULL;
    size_t cap = 4096 + w->node_count * 700 + w->edge_count * 700, used;

    *json_out = NULL;
    prompt = malloc(cap);
    if (tools == NULL || prompt == NULL)
        goto oom;
    used = (size_t)snprintf(prompt, cap,
                            "You are the orchestrator of the workflow \"%s\"%s%s. You do not answer requests "
                            "yourself: you route each one to the deployment that serves it by calling its tool, "
                            "and pass its answer back unchanged. Each deployment runs in an attested TEE behind a "
                            "veritee gateway; its passport is checked before anything is sent to it.\n\n"
                            "Deployments:\n",
                            w->name, w->description[0] ? ": " : "", w->description);
    for (size_t i = 0; i < w->node_count; i++)
        used += (size_t)snprintf(prompt + used, cap - used, "- %s (%s deployment, environment %s): %s\n",
                                 w->nodes[i].id, w->nodes[i].type, w->nodes[i].environment, w->nodes[i].description);
    used += (size_t)snprintf(prompt + used, cap - used, "\nRoutes:\n");
    for (size_t i = 0; i < w->edge_count; i++)
        used += (size_t)snprintf(prompt + used, cap - used, "- %s%s%s: call route_to_%s for: %s\n",
                                 w->edges[i].from == ENTRY ? "from the start" : "after ",
                                 w->edges[i].from == ENTRY ? "" : node_name(w, w->edges[i].from),
                                 w->edges[i].from == ENTRY ? "" : " has answered", w->nodes[w->edges[i].to].id,
                                 w->edges[i].intent);
    snprintf(prompt + used, cap - used,
             "\nIf no route fits, say so; never invent an answer. Never send a deployment more than the request "
             "needs.\n");
    for (size_t n = 0; n < w->node_count; n++) {
        bool target = false;
        for (size_t i = 0; i < w->edge_count && !target; i++)
            target = w->edges[i].to == n;
        if (target && json_array_append_new(tools, tool_for(w, n)) != 0)
            goto oom;
    }
    doc = json_pack("{s:s, s:s, s:o}", "workflow", w->name, "system_prompt", prompt, "tools", tools);
    tools = NULL;
    if (doc == NULL)
        goto oom;
    *json_out = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(doc);
    free(prompt);
    return *json_out != NULL ? VT_OK : vt_err_set(err, VT_E_NOMEM, "workflow: out of memory");
oom:
    json_decref(tools);
    json_decref(doc);
    free(prompt);
    return vt_err_set(err, VT_E_NOMEM, "workflow: out of memory");
}
