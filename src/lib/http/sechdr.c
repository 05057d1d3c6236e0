/*
 * The security headers of every reply of both services (veritee/http.h,
 * "Security headers"), from one table: the verifier's server (server.c), the
 * gateway's front and proxy (src/gateway/), and the connection guard's own
 * replies (connguard.c, also its raw 408/503 written straight to the socket).
 *
 *   - X-Content-Type-Options: nosniff.  A browser takes an answer for the
 *     type its Content-Type says, never a guess from its bytes: a JSON answer
 *     that echoes a client's string, or an event stream carrying a model's
 *     text, is never run as a script or shown as a page.
 *   - Referrer-Policy: no-referrer.  A page shown from an answer (the
 *     Observer, a link in a model's answer) never tells the next site which
 *     URL of the service it came from.
 *
 * Content-Security-Policy stays with the verifier's server, which also
 * serves pages (each answer says which CSP it needs); Cache-Control is each
 * answer's own (a log tile may be cached for a year, a chat answer never).
 */
#include <stdio.h>

#include <event2/http.h>

#include "http/sechdr.h"
#include "veritee/http.h"

static const struct {
    const char *name, *value;
} sechdr[] = {
    { "X-Content-Type-Options", "nosniff" },
    { "Referrer-Policy", "no-referrer" },
};

void vt_http_sechdr_add(struct evkeyvalq *headers)
{
    for (size_t i = 0; i < sizeof(sechdr) / sizeof(sechdr[0]); i++)
        evhttp_add_header(headers, sechdr[i].name, sechdr[i].value);
}

size_t vt__http_sechdr_raw(char *out, size_t out_len)
{
    size_t used = 0;

    if (out_len > 0)
        out[0] = '\0';
    for (size_t i = 0; i < sizeof(sechdr) / sizeof(sechdr[0]); i++) {
        int n = snprintf(out + used, out_len - used, "%s: %s\r\n", sechdr[i].name, sechdr[i].value);
        if (n < 0 || (size_t)n >= out_len - used) {
            if (out_len > 0)
                out[0] = '\0';
            return 0;
        }
        used += (size_t)n;
    }
    return used;
}
