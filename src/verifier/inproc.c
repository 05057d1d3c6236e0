/* One of the verifier's own routes called in-process, for the interfaces
 * layered on the REST API (MCP, the compatibility aliases): same parsing,
 * limits, store connection and answers as over HTTP, one code path. */
#include <string.h>

#include "verifier/inproc.h"

/* Calls one of this verifier's routes; 2xx answers become *result (JSON, or
 * {"text": …} for text answers), others an error carrying the route's message. */
vt_status vf_call(json_t **result, vf_service *svc, const vt_http_req *caller, const char *method, const char *path,
              const char *query, const char *body, vt_err *err)
{
    vt_http_resp resp;
    vt_http_req req;
    vt_status rc = VT_OK;

    *result = NULL;
    memset(&resp, 0, sizeof(resp));
    memset(&req, 0, sizeof(req));
    req.method = method;
    req.path = path;
    req.query = query;
    req.body = (const uint8_t *)(body != NULL ? body : "");
    req.body_len = body != NULL ? strlen(body) : 0;
    req.client = caller->client; /* the rate limit of the client that asked */
    req.request_id = caller->request_id;
    req.thread_ctx = caller->thread_ctx;
    vt_http_dispatch(&resp, &svc->router, &req);
    if (resp.status >= 200 && resp.status < 300) {
        if (resp.content_type == NULL)
            *result = json_loadb((const char *)resp.body.data, resp.body.len, 0, NULL);
        else
            *result = json_pack("{s:s%}", "text", resp.body.data != NULL ? (const char *)resp.body.data : "",
                                resp.body.len);
        if (*result == NULL)
            rc = vt_err_set(err, VT_E_NOMEM, "out of memory");
    } else {
        json_t *j = json_loadb((const char *)resp.body.data, resp.body.len, 0, NULL);
        const char *msg = json_string_value(json_object_get(json_object_get(j, "error"), "message"));
        rc = vt_err_set(err, resp.status == 404 ? VT_E_NOTFOUND : VT_E_ARG, "%s", msg != NULL ? msg : "failed");
        json_decref(j);
    }
    vt_buf_free(&resp.body);
    return rc;
}

