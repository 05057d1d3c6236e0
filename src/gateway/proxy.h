/*
 * The gateway's proxy core: an OpenAI-compatible HTTP front (libevent's
 * evhttp) and a small HTTP/1.1 client to the upstream model server over
 * bufferevents, one event loop per thread.
 *
 * Routes: POST /v1/chat/completions, /v1/completions, /v1/embeddings;
 * GET /v1/models[/<id>]; GET /healthz.  Everything else is a JSON 404/405.
 */
#ifndef VT_GW_PROXY_H
#define VT_GW_PROXY_H

#include <stdint.h>

#include "gateway/config.h"
#include "gateway/hooks.h"

typedef struct vt_gw vt_gw;

/*
 * Binds the listening sockets and prepares cfg->threads event loops (0 = one
 * per core).  cfg and hooks are borrowed and must outlive the gateway.  Free
 * with vt_gw_free().
 */
VT_NODISCARD vt_status vt_gw_new(vt_gw **out, const vt_gw_config *cfg, const vt_gw_hooks *hooks, vt_err *err);
/* The bound port (useful with port 0). */
uint16_t vt_gw_port(const vt_gw *gw);
/* The plain listener's bound port beside an HTTPS one (0 when none). */
uint16_t vt_gw_plain_port(const vt_gw *gw);
/* How the gateway reaches itself (transport.h), borrowed while gw lives. */
const struct vt_gw_self *vt_gw_self_of(const vt_gw *gw);
/* The connection guard of gw's listeners (borrowed, lives as long as gw): what a front hook
 * that keeps a client connection passes to vt_connguard_set_closecb. */
struct vt_connguard *vt_gw_guard(const vt_gw *gw);
/* Number of event loops (vt_gw_ctx.loop is below it). */
unsigned vt_gw_loop_count(const vt_gw *gw);
/* Runs every loop until SIGINT/SIGTERM or vt_gw_stop(); returns when all loops ended. */
VT_NODISCARD vt_status vt_gw_run(vt_gw *gw, vt_err *err);
/* Asks every loop to finish (thread-safe). */
void vt_gw_stop(vt_gw *gw);
void vt_gw_free(vt_gw *gw);

#endif
