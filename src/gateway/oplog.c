/* The gateway's operator log (oplog.h). */
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "gateway/oplog.h"
#include "veritee/veritee.h"

void vt__gw_log(const char *level, const char *event, const char *detail)
{
    json_t *o = json_object();
    char ts[32], *s;

    if (o == NULL)
        return;
    vt_time_format(ts, vt_time_now());
    json_object_set_new(o, "ts", json_string(ts));
    json_object_set_new(o, "level", json_string(level));
    json_object_set_new(o, "component", json_string("gateway"));
    json_object_set_new(o, "event", json_string(event));
    if (detail != NULL)
        json_object_set_new(o, "detail", json_string(detail));
    s = json_dumps(o, JSON_COMPACT);
    if (s != NULL)
        fprintf(stderr, "%s\n", s);
    free(s);
    json_decref(o);
}
