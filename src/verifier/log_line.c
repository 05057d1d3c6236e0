/* The verifier's operator log lines (verifier.h, vf_log_line): one JSON object per line on
 * stderr.  Its own file so that the parts linked without the service (the log sequencer in
 * bench_log) write the same lines. */
#include <stdio.h>

#include "verifier/verifier.h"

void vf_log_line(const char *level, const char *msg, const char *detail)
{
    char ts[32];
    vt_time_format(ts, vt_time_now());
    /* detail comes from our own error messages (no secrets); quotes are replaced to keep one JSON line */
    fprintf(stderr, "{\"ts\":\"%s\",\"level\":\"%s\",\"service\":\"verifier\",\"msg\":\"%s\"", ts, level, msg);
    if (detail != NULL) {
        fputs(",\"detail\":\"", stderr);
        for (const char *p = detail; *p != '\0'; p++)
            fputc(*p == '"' || *p == '\\' || (unsigned char)*p < 0x20 ? '\'' : *p, stderr);
        fputc('"', stderr);
    }
    fputs("}\n", stderr);
}
