/* The Observer: the verifier's trust dashboard, static files served at "/"
 * (docs/observer.md).  The files live in web/ and are compiled in by
 * cmake/embed_web.cmake, so the page needs nothing at run time but this
 * verifier's own public API. */
#ifndef VT_VERIFIER_WEB_H
#define VT_VERIFIER_WEB_H

#include <stddef.h>

typedef struct vf_web_asset {
    const char *path;            /* "/app.js" */
    const char *content_type;
    const unsigned char *data;
    size_t len;
} vf_web_asset;

/* Generated table, ended by an entry whose path is NULL. */
extern const vf_web_asset vf_web_assets[];

/* The Observer's Content-Security-Policy: scripts, styles and API calls from
 * this origin only; no inline script, no framing, no forms posting elsewhere. */
#define VF_WEB_CSP                                                                                                   \
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "         \
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

#endif
