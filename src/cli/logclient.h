/* CLI side of the transparency log (docs/log.md): checkpoints opened with a
 * pinned note key, inclusion and consistency proofs checked locally. */
#ifndef VT_CLI_LOGCLIENT_H
#define VT_CLI_LOGCLIENT_H

#include <stdio.h>

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
/* Witness keys a command may require (--witness-key, repeatable). */
#define VT_CLI_WITNESS_MAX 8
/* --witness-key ARG: appends the key (or a file holding it) to keys[*n] and counts it; VT_E_ARG
 * with the message to show (too many keys, a malformed key).  keys[i]: the caller frees. */
vt_status vt_cli_log_witness_key(vt_note_verifier **keys, size_t *n, const char *arg, vt_err *err);
/* --witness-quorum ARG: 1..VT_CLI_WITNESS_MAX, else VT_E_ARG. */
vt_status vt_cli_log_witness_quorum(size_t *quorum, const char *arg, vt_err *err);
/* The checkpoint note's cosignatures (C2SP tlog-cosignature) by keys[0..n): *good (may be NULL)
 * counts those that verify, names (may be NULL) gets their names ", "-separated, f (may be NULL)
 * a line per key.  VT_E_CRYPTO unless at least quorum verify (a fresh checkpoint may not be
 * cosigned yet: fetch again). */
vt_status vt_cli_log_cosigned(size_t *good, char *names, size_t nlen, FILE *f, const vt_buf *note,
                              vt_note_verifier *const *keys, size_t n, size_t quorum, vt_err *err);
/* veritee log checkpoint|prove|consistency|monitor. */
int vt_cmd_log_tlog(int argc, char **argv);
/* veritee log witness (cmd_witness.c). */
int vt_cmd_log_witness(int argc, char **argv);

#endif
