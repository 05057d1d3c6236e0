/* The verifier's operator log lines (verifier.h, vf_log_line): one JSON object per line on
 * stderr.  Its own file so that the parts linked without the service (the log sequencer in
 * bench_log) write the same lines. */
#include <stdio.h>
#include <string.h>

#include "verifier/verifier.h"

#define LINE_MAX_BYTES 2048

/* Appends ,"key":"value" to line (at *n, within LINE_MAX_BYTES less room for the end).
 * Values come from our own messages and configured URLs (no secrets); a quote, backslash or
 * control character becomes ' so the line stays one JSON object. */
static void put_field(char *line, size_t *n, const char *key, const char *value)
{
    const size_t end = LINE_MAX_BYTES - 3; /* "}\n" and the NUL */
    int w = snprintf(line + *n, end - *n, ",\"%s\":\"", key);

    if (w < 0 || (size_t)w >= end - *n)
        return;
    *n += (size_t)w;
    for (const char *p = value; *p != '\0' && *n + 1 < end; p++) /* room kept for the quote */
        line[(*n)++] = *p == '"' || *p == '\\' || (unsigned char)*p < 0x20 ? '\'' : *p;
    line[(*n)++] = '"'; /* a value cut short is closed too */
}

void vf_log_line_at(const char *level, const char *msg, const char *key, const char *value, const char *detail)
{
    char line[LINE_MAX_BYTES], ts[32];
    size_t n = 0;

    vt_time_format(ts, vt_time_now());
    put_field(line, &n, "ts", ts);
    line[0] = '{'; /* the first field has no comma */
    put_field(line, &n, "level", level);
    put_field(line, &n, "service", "verifier");
    put_field(line, &n, "msg", msg);
    if (key != NULL && value != NULL)
        put_field(line, &n, key, value);
    if (detail != NULL)
        put_field(line, &n, "detail", detail);
    memcpy(line + n, "}\n", 3);
    /* one write: lines from the workers, the sequencer and the witness thread never interleave */
    fputs(line, stderr);
}

void vf_log_line(const char *level, const char *msg, const char *detail)
{
    vf_log_line_at(level, msg, NULL, NULL, detail);
}
