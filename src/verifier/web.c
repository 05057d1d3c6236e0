/* GET / and the Observer's static files.  Read-only and public: the page
 * fetches the same public API any client uses, and admin actions carry the
 * admin token the person types in (never stored by the page). */
#include <string.h>

#include "verifier/verifier.h"
#include "verifier/web.h"

static const vf_web_asset *asset_for(const char *path)
{
    if (strcmp(path, "/") == 0)
        path = "/index.html";
    for (const vf_web_asset *a = vf_web_assets; a->path != NULL; a++)
        if (strcmp(a->path, path) == 0)
            return a;
    return NULL;
}

static void h_asset(vt_http_resp *resp, const vt_http_req *req, void *ctx)
{
    const vf_web_asset *a = asset_for(req->path);
    vt_err e = { 0 };

    (void)ctx;
    if (a == NULL) {
        vt_http_reply_error(resp, 404, "not_found", "no page '%.64s'", req->path);
        return;
    }
    /* Revalidated on every load: a verifier upgrade must never mix old and new files. */
    resp->cache_control = "no-cache";
    resp->csp = VF_WEB_CSP;
    if (vt_http_reply_text(resp, 200, a->content_type, (const char *)a->data, a->len, &e) != VT_OK)
        vt_http_reply_error(resp, 503, "out_of_memory", "cannot send the page");
}

vt_status vf_web_routes(vf_service *svc, vt_err *err);
vt_status vf_web_routes(vf_service *svc, vt_err *err)
{
    vt_status rc = vt_http_router_add(&svc->router, "GET", "/", h_asset, svc, err);

    for (const vf_web_asset *a = vf_web_assets; rc == VT_OK && a->path != NULL; a++)
        rc = vt_http_router_add(&svc->router, "GET", a->path, h_asset, svc, err);
    return rc;
}
