/* The CLI's Oblivious HTTP client (docs/transport.md): one request to a gateway
 * through a relay, with the key configuration checked against the attested key. */
#ifndef VT_CLI_OHTTP_CLIENT_H
#define VT_CLI_OHTTP_CLIENT_H

#include "veritee/veritee.h"

/*
 * Fetches <relay>/.well-known/ohttp-keys, checks its Veritee-Key-Binding
 * signature under cnf_key (the passport's cnf, borrowed), encapsulates
 * `method path` with body (JSON, may be NULL) as Binary HTTP and posts it to
 * <relay>/v1/ohttp.  On VT_OK: *status is the gateway's inner status, the
 * inner Veritee-Receipt header (if any) is appended to receipt, and the inner
 * body is handed to on_chunk once.  chunked: chunked OHTTP (message/ohttp-
 * chunked-req/-res): each sealed chunk is opened as it arrives and its content
 * handed to on_chunk at once (a streamed answer's events as produced).  VT_E_CRYPTO when the binding or the
 * response does not verify, VT_E_IO when the relay or gateway refuses.
 */
VT_NODISCARD vt_status vt_cli_ohttp_request(long *status, vt_buf *receipt, vt_http_chunk_fn on_chunk, void *arg,
                                            const char *relay, const char *method, const char *path,
                                            const uint8_t *body, size_t body_len, const vt_pkey *cnf_key,
                                            long timeout_ms, bool chunked, vt_err *err);

#endif
