/* libFuzzer: the gateway's per-request routing by deployment type and workflow
 * (src/gateway/deployment.c) over untrusted request bodies and paths. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/config.h"
#include "gateway/deployment.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char cfg[] =
    "{\"deployment_type\":\"app\",\"workflow\":{\"graph\":{\"name\":\"w\",\"nodes\":["
    "{\"id\":\"a\",\"environment\":\"e\",\"type\":\"model\",\"description\":\"d\"}],"
    "\"edges\":[{\"from\":\"orchestrator\",\"to\":\"a\",\"intent\":\"i\"}]},"
    "\"deployments\":{\"a\":\"http://127.0.0.1:9\"}}}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static vt_gw_config c;
    static bool ready;
    static const char *const paths[] = { "/v1/chat/completions", "/v1/embeddings", "/v1/models", "/v1/models/a" };
    char code[64], msg[256];
    size_t node;
    int st;

    if (!ready) {
        vt_gw_config_defaults(&c);
        if (vt_gw_config_parse(&c, cfg, strlen(cfg), NULL) != VT_OK ||
            vt_gw_deploy_new(&c.deploy, c.deployment_type, c.workflow, NULL) != VT_OK)
            __builtin_trap();
        ready = true;
    }
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        vt_gw_serve s = vt_gw_deploy_route(c.deploy, paths[i], data, size, &node, &st, code, msg);
        if (s == VT_GW_SERVE_NODE && node >= c.deploy->node_count)
            __builtin_trap();
        if (s == VT_GW_SERVE_UPSTREAM) /* an app has no upstream */
            __builtin_trap();
    }
    return 0;
}
