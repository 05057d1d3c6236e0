/* veritee chat: the attested-TLS and listener checks (tls_check.c, docs/transport.md). */
#ifndef VT_CLI_TLS_CHECK_H
#define VT_CLI_TLS_CHECK_H

#include <jansson.h>

#include "trust.h"
#include "veritee/veritee.h"

/*
 * After the evidence verified (enclave = the attested key, log = the replayed
 * log, att = the attestation reply): the listeners the log's "transport"
 * event names (its preimage is att's "transport"), and for an https gateway
 * that tls_key (the SHA-256 of the SPKI its TLS server presented) is the
 * enclave key's.  gateway is NULL when it was not contacted directly (Oblivious
 * HTTP: every request went through the relay).  On success pin gets
 * "sha256//..." for the requests that follow ("" for http or no gateway).  Returns a CLI exit code (VT_EXIT_OK, or
 * VT_EXIT_REJECTED with the failed check reported).
 */
int vt_cli_chat_check_tls(vt_cli_report *rep, char *pin, size_t pin_len, const char *gateway,
                          const uint8_t tls_key[32], const vt_pkey *enclave, const json_t *att, const vt_mlog *log);

#endif
