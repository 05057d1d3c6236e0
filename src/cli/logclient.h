/* CLI side of the transparency log (docs/log.md): checkpoints opened with a
 * pinned note key, inclusion and consistency proofs checked locally. */
#ifndef VT_CLI_LOGCLIENT_H
#define VT_CLI_LOGCLIENT_H

#include "veritee/veritee.h"

/* The note verifier key from KEY itself ("name+id+base64") or a file holding it.  *out: free. */
vt_status vt_cli_log_key(vt_note_verifier **out, const char *arg, vt_err *err);
/* GET <log>/checkpoint, opened with v (its origin must be v's name): *cp, and the note bytes
 * appended to note (may be NULL). */
vt_status vt_cli_log_checkpoint(vt_checkpoint *cp, vt_buf *note, const char *log, const vt_note_verifier *v,
                                vt_err *err);
/* Proves that entry is in the tree of cp: GET <log>/proof?hash=..&size=.., verified locally. */
vt_status vt_cli_log_prove(uint64_t *index_out, const char *log, const vt_checkpoint *cp, const uint8_t *entry,
                           size_t len, vt_err *err);
/* Proves that newer extends older: GET <log>/consistency, verified locally (VT_E_CRYPTO when not). */
vt_status vt_cli_log_consistent(const char *log, const vt_checkpoint *older, const vt_checkpoint *newer, vt_err *err);
/* veritee log checkpoint|prove|consistency|monitor. */
int vt_cmd_log_tlog(int argc, char **argv);
/* veritee log witness (cmd_witness.c). */
int vt_cmd_log_witness(int argc, char **argv);

#endif
