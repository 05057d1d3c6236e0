/* veritee workflow validate|compile FILE (docs/workflows.md). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "client/client.h"
#include "env_revs.h"
#include "remote.h"
#include "trust.h"
#include "veritee/workflow.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: veritee workflow validate FILE [--verifier URL [--jwks FILE|URL]\n"
               "                        [--env-state FILE|none]] [--json]\n"
               "       veritee workflow compile FILE [--out FILE]\n\n"
               "A workflow is a JSON graph of deployments (docs/workflows.md): nodes name an environment\n"
               "and its deployment type, edges carry the intent that routes a request along them.\n\n"
               "validate: the graph rules (ids, every edge between existing nodes, no edge into an app\n"
               "          deployment, every node reachable, no cycle unless allow_cycles); with\n"
               "          --verifier also that each node's environment exists there with the node's type,\n"
               "          read from the environment the verifier signed (GET /v1/environments/ID/signed),\n"
               "          verified under its key set: --jwks (pinned), else <verifier>/.well-known/jwks.json,\n"
               "          and no older than a revision of it taken before (kept in --env-state FILE,\n"
               "          default $VERITEE_STATE/environment-revisions; none: not kept).\n"
               "compile:  the orchestrator's system prompt and one MCP tool per routed deployment, as JSON.\n\n"
               "Exit 0 valid, 1 invalid, 2 usage errors.\n");
}

/* Each node's environment exists on the verifier, with the deployment type the node says: read
 * from the environment the verifier signed, under its key set (jwks_src, else the one it serves). */
static vt_status check_environments(const vt_workflow *w, const char *verifier, const char *jwks_src,
                                    const char *revs_path, vt_err *err)
{
    vt_env_token_opts eo;
    vt_jwks *jwks = NULL;
    vt_env_revs *revs = NULL;
    vt_env *env = malloc(sizeof(*env));
    char issuer[128] = "";
    vt_status rc = env != NULL ? VT_OK : vt_err_set(err, VT_E_NOMEM, "out of memory");

    if (rc == VT_OK && (rc = vt_cli_env_revs_open(&revs, revs_path, err)) == VT_E_FORMAT)
        rc = VT_E_ARG; /* a damaged file of the user's, not a verdict on the workflow */
    if (rc == VT_OK)
        rc = vt_cli_verifier_keys(&jwks, issuer, sizeof(issuer), verifier, jwks_src, err);
    memset(&eo, 0, sizeof(eo));
    eo.jwks = jwks;
    eo.jwks_issuer = issuer;
    eo.verifier = verifier;
    eo.revs = revs;
    for (size_t i = 0; rc == VT_OK && i < w->node_count; i++) {
        const vt_workflow_node *n = &w->nodes[i];
        eo.id = n->environment;
        eo.now = vt_time_now();
        rc = vt__client_env(env, NULL, verifier, &eo, 0, err);
        if (rc != VT_OK) {
            char msg[sizeof(err->msg)];
            vt_cli_env_revs_hint(err, revs_path);
            snprintf(msg, sizeof(msg), "%s", err->msg);
            rc = vt_err_set(err, rc == VT_E_IO || rc == VT_E_NOMEM ? rc : VT_E_POLICY,
                            "workflow: node %s: environment %s: %s", n->id, n->environment, msg);
        } else if (strcmp(env->deployment_type, n->type) != 0) {
            rc = vt_err_set(err, VT_E_POLICY, "workflow: node %s says %s, but environment %s is a %s deployment",
                            n->id, n->type, n->environment, env->deployment_type);
        }
    }
    if (rc == VT_OK)
        rc = vt_cli_env_revs_save(revs, revs_path, err);
    vt_env_revs_free(revs);
    vt_jwks_free(jwks);
    free(env);
    return rc;
}

/* A workflow that does not hold is a verdict (1); a file that cannot be read, a usage error (2). */
static int exit_for(vt_status rc)
{
    return rc == VT_OK ? VT_EXIT_OK : rc == VT_E_FORMAT || rc == VT_E_LIMIT || rc == VT_E_POLICY ? VT_EXIT_REJECTED
                                                                                                 : VT_EXIT_USAGE;
}

int vt_cmd_workflow(int argc, char **argv)
{
    enum { O_VERIFIER = 256, O_JSON, O_OUT, O_JWKS, O_ENV_STATE };
    static const struct option opts[] = {
        { "verifier", required_argument, NULL, O_VERIFIER }, { "json", no_argument, NULL, O_JSON },
        { "out", required_argument, NULL, O_OUT },           { "jwks", required_argument, NULL, O_JWKS },
        { "env-state", required_argument, NULL, O_ENV_STATE }, { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *verb, *verifier = NULL, *out = NULL, *jwks_src = NULL, *env_state = NULL;
    char revs_buf[4200];
    bool json = false;
    vt_workflow *w = NULL;
    vt_buf text;
    char *compiled = NULL;
    vt_err err = { 0 };
    vt_status rc;
    int c, ex;

    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? VT_EXIT_USAGE : VT_EXIT_OK;
    }
    verb = argv[1];
    if (strcmp(verb, "validate") != 0 && strcmp(verb, "compile") != 0)
        return vt_cli_usage_error("workflow: unknown action '%s' (validate or compile)", verb);
    optind = 2;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case O_VERIFIER: verifier = optarg; break;
        case O_JSON: json = true; break;
        case O_OUT: out = optarg; break;
        case O_JWKS: jwks_src = optarg; break;
        case O_ENV_STATE: env_state = optarg; break;
        case 'h': usage(stdout); return VT_EXIT_OK;
        default: usage(stderr); return VT_EXIT_USAGE;
        }
    }
    if (optind + 1 != argc)
        return vt_cli_usage_error("workflow %s: needs one FILE", verb);
    if (jwks_src != NULL && verifier == NULL)
        return vt_cli_usage_error("workflow %s: --jwks pins the keys of the verifier given with --verifier", verb);
    if (env_state != NULL && verifier == NULL)
        return vt_cli_usage_error("workflow %s: --env-state keeps the revisions of the verifier given with --verifier",
                                  verb);
    if (strcmp(verb, "compile") == 0 ? verifier != NULL || json || jwks_src != NULL : out != NULL)
        return vt_cli_usage_error("workflow %s: see 'veritee workflow --help' for its options", verb);
    vt_buf_init(&text);
    w = calloc(1, sizeof(*w));
    rc = w == NULL ? vt_err_set(&err, VT_E_NOMEM, "out of memory")
                   : vt_cli_read(&text, argv[optind], VT_WORKFLOW_MAX_BYTES + 1, &err);
    if (rc == VT_OK)
        rc = vt_workflow_parse(w, (const char *)text.data, text.len, &err);
    if (rc == VT_OK && verifier != NULL)
        rc = check_environments(w, vt_cli_verifier_url(verifier), jwks_src,
                                vt_cli_env_revs_path(revs_buf, sizeof(revs_buf), env_state, vt_cli_state_dir(NULL)),
                                &err);
    if (rc == VT_OK && strcmp(verb, "compile") == 0) {
        rc = vt_workflow_compile(&compiled, w, &err);
        if (rc == VT_OK && out != NULL) {
            size_t n = strlen(compiled);
            char *nl = realloc(compiled, n + 2); /* a text file ends with a newline, like stdout */
            rc = nl == NULL ? vt_err_set(&err, VT_E_NOMEM, "out of memory") : VT_OK;
            if (nl != NULL) {
                compiled = nl;
                memcpy(compiled + n, "\n", 2);
                rc = vt_file_write(out, (const uint8_t *)compiled, n + 1, 0644, &err);
            }
        }
        else if (rc == VT_OK)
            printf("%s\n", compiled);
        if (rc != VT_OK)
            fprintf(stderr, "veritee: %s\n", err.msg);
        ex = exit_for(rc);
    } else if (json) {
        json_t *j = json_pack("{s:b, s:s?, s:s?}", "valid", rc == VT_OK, "workflow", rc == VT_OK ? w->name : NULL,
                              "error", rc == VT_OK ? NULL : err.msg);
        vt_cli_print_json(j);
        json_decref(j);
        ex = exit_for(rc);
    } else if (rc == VT_OK) {
        printf("workflow %s: valid (%zu deployments, %zu routes)%s\n", w->name, w->node_count, w->edge_count,
               verifier != NULL ? "; every environment exists with its deployment type" : "");
        ex = VT_EXIT_OK;
    } else {
        fprintf(stderr, "veritee: %s\n", err.msg);
        ex = exit_for(rc);
    }
    free(compiled);
    free(w);
    vt_buf_free(&text);
    return ex;
}
