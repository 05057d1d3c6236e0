/*
 * External auditors at the gateway (docs/auditors.md, "Your own auditors"):
 * measured at boot, checked to be the process that answers on their socket,
 * and called over HTTP/1.1 keep-alive on that Unix socket.
 *
 * Measurement: vt__gw_xaud_measure writes into each external auditor's config
 * object "measured": the SHA-256 of its executable and of each of its "files"
 * (read now, from disk), so the auditor's config digest, its measurement log
 * event and the auditors digest all cover the program, its files, its
 * configuration and its version and protocol.
 *
 * Peer check: every new connection asks the kernel who is on the other end
 * (SO_PEERCRED) and digests /proc/<pid>/exe; a process whose program is not
 * the measured one (or whose measured files changed on disk) is refused, and
 * the gateway stops serving inference (503 auditor_unmeasured) until it is
 * restarted and measures again.  The check is remembered per (pid, start
 * time, the file /proc/<pid>/exe names), so reconnecting to the same process
 * does not digest it again; an auditor that restarted or exec()ed another
 * program is checked again.
 *
 * Calls: one connection per auditor per event loop (no lock on the hot path),
 * each call bounded by the auditor's timeout_ms with poll().  A call waits on
 * its event loop's thread: the gateway runs one loop per core and a call
 * holds only its own loop, for at most timeout_ms (docs/auditors.md,
 * "Blocking and the event loops", says why this is the design).
 */
#ifndef VT_GW_XAUD_H
#define VT_GW_XAUD_H

#include <jansson.h>
#include <stdatomic.h>

#include "audit/xchain.h"
#include "veritee/base.h"

typedef struct vt_gw_xaud vt_gw_xaud;

/* Adds "measured" to every auditor of kind "external" in arr (the gateway's auditors array,
 * in/out).  VT_E_FORMAT when the config already holds "measured"; VT_E_IO when a file cannot be
 * read. */
VT_NODISCARD vt_status vt__gw_xaud_measure(json_t *arr, vt_err *err);

/*
 * Connections for nloops event loops (+1 for callers outside them, e.g. MCP, under a lock), and
 * the boot check: every external auditor must answer GET /v1/info within boot_wait_ms with
 * protocol veritee-auditor/1, its configured version and every configured phase, from the
 * measured process.  *out NULL when the chain has no external auditor.  With state_dir, a
 * thread writes the calls' metrics (vt__gw_xaud_metrics) to <state_dir>/metrics/auditors.prom
 * once a second and at the end.
 */
VT_NODISCARD vt_status vt__gw_xaud_new(vt_gw_xaud **out, const vt_audit_chain *c, unsigned nloops,
                                       unsigned boot_wait_ms, const char *state_dir, vt_err *err);
/* Each external auditor's calls in the Prometheus text format, appended to out: the histogram
 * veritee_gateway_auditor_call_seconds{auditor} (request sent to answer read, failures included)
 * and veritee_gateway_auditor_call_failures_total{auditor}. */
VT_NODISCARD vt_status vt__gw_xaud_metrics(const vt_gw_xaud *x, vt_buf *out, vt_err *err);
void vt__gw_xaud_free(vt_gw_xaud *x);

/* The call function for vt_xaud_io on loop `loop` (arg = vt__gw_xaud_arg(x, loop)); loop ==
 * nloops is the shared, locked slot. */
vt_status vt__gw_xaud_call(void *arg, size_t i, const char *req, size_t len, vt_buf *answer, vt_err *err);
void *vt__gw_xaud_arg(vt_gw_xaud *x, unsigned loop);

/* Non-NULL once some auditor's process failed the peer check: the gateway must not serve. */
const char *vt__gw_xaud_unmeasured(const vt_gw_xaud *x);

#endif
