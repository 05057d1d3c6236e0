/*
 * The revisions of signed environments `veritee chat` and `veritee workflow validate` took,
 * remembered across runs (env_revs.c), so that an older signed environment is refused as a
 * replay after a newer one was seen, as the gateway refuses it within one run.
 */
#ifndef VT_CLI_ENV_REVS_H
#define VT_CLI_ENV_REVS_H

#include "veritee/veritee.h"

/* The file: --env-state FILE (flag), "none" = not kept (NULL), else <state_dir>/environment-
 * revisions.  buf holds the path returned. */
const char *vt_cli_env_revs_path(char *buf, size_t size, const char *flag, const char *state_dir);
/* *out: the revisions in path (NULL: none kept; a missing file is empty), for
 * vt_env_token_opts.revs.  VT_E_FORMAT naming the file and line when it is not one.  Free with
 * vt_env_revs_free. */
vt_status vt_cli_env_revs_open(vt_env_revs **out, const char *path, vt_err *err);
/* Writes r's revisions to path (NULL: nothing to do), merged with what other runs wrote since
 * (the higher revision stays), under a lock; the directory is made 0700, the file 0600. */
vt_status vt_cli_env_revs_save(vt_env_revs *r, const char *path, vt_err *err);
/* The file's text (len bytes at p) into r, every line taken (a pair twice: the higher revision);
 * VT_E_FORMAT naming name and the line when it is not such a file.  Empty text is an empty file. */
vt_status vt_cli_env_revs_parse(vt_env_revs *r, const char *name, const uint8_t *p, size_t len, vt_err *err);
/* r as the file's text, appended to out. */
vt_status vt_cli_env_revs_format(vt_buf *out, vt_env_revs *r, vt_err *err);
/* After a refused environment: when it was refused as a replay, err's message gains where the
 * revision it was compared with is kept (a verifier whose database was replaced starts its
 * revisions again: its line in that file is what to remove). */
void vt_cli_env_revs_hint(vt_err *err, const char *path);

#endif
