/* The gateway's operator log: one JSON object per line on stderr
 * ({"ts","level","component":"gateway","event","detail"}).  Events and details name what
 * happened, never a prompt, an answer or a key (docs/operations.md). */
#ifndef VT_GW_OPLOG_H
#define VT_GW_OPLOG_H

void vt__gw_log(const char *level, const char *event, const char *detail);

#endif
