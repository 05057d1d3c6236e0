/*
 * External auditors in the chain (docs/auditors.md, "Your own auditors"): how
 * an auditor of kind "external" is configured and measured, and how the chain
 * calls the external auditors of a phase in their configured order, each one
 * seeing what the previous one (or the built-in scanners) let through and
 * redacted.  Transport-free: the caller gives a function that carries one
 * request to auditor i and returns its answer's bytes (the gateway's
 * gateway/xaud.c speaks HTTP/1.1 over the auditor's Unix socket; tests give a
 * function of their own).
 *
 * Failure modes: a call that fails (no connection, a timeout, a non-200, an
 * answer that breaks a rule of external.h) fails closed: the auditor's entry
 * gets the verdict block with the reason "auditor failed: ..." and the run
 * reports failed_closed, so the gateway refuses the exchange.  An auditor
 * configured with "fail_open": true is skipped instead, and its entry says so
 * (verdict allow, annotation failed_open = 1) in the receipt.
 */
#ifndef VT_AUDIT_XCHAIN_H
#define VT_AUDIT_XCHAIN_H

#include <jansson.h>

#include "audit/external.h"
#include "veritee/audit.h"

#define VT_XAUD_MAX_FILES 16          /* extra files measured with an auditor */
#define VT_XAUD_DEFAULT_TIMEOUT_MS 1000
#define VT_XAUD_MAX_TIMEOUT_MS 60000
#define VT_XAUD_DEFAULT_WINDOW 1024   /* bytes of streamed text per window */

/* One external auditor as configured (and, after the gateway measured it, its digests). */
typedef struct vt_xaud_spec {
    size_t index;               /* its place in the chain */
    char name[VT_AUDIT_NAME_MAX];
    char version[16];
    unsigned phases;            /* VT_AUDIT_* bits */
    char *socket;               /* absolute path of its Unix socket, owned */
    char *executable;           /* absolute path of its program, owned; NULL with image_digest */
    char *image_digest;         /* "sha256:<hex>" of its container image, owned; NULL = none */
    char *files[VT_XAUD_MAX_FILES]; /* further files measured with it (script, its config), owned */
    size_t file_count;
    unsigned timeout_ms;        /* per call */
    bool fail_open;
    size_t window;              /* streamed responses: bytes of text per window */
    bool measured;              /* "measured" was present: digests below are set */
    uint8_t exe_digest[32];     /* SHA-256 of the executable file */
    uint8_t file_digests[VT_XAUD_MAX_FILES][32];
} vt_xaud_spec;

/* Parses one auditors[i] object of "kind": "external" into a (config.c calls it). */
vt_status vt__xaud_parse(vt_xaud_spec **out, json_t *o, size_t idx, vt_err *err);
void vt__xaud_spec_free(vt_xaud_spec *s);

/* The external auditors of a chain, in order (borrowed, valid while the chain lives). */
size_t vt_xaud_count(const vt_audit_chain *c);
const vt_xaud_spec *vt_xaud_get(const vt_audit_chain *c, size_t i);
/* True when some external auditor runs in phase (at position where, below). */
bool vt_xaud_any(const vt_audit_chain *c, vt_audit_phase phase);

/* Carries one request (JSON) to external auditor i (vt_xaud_get's index) and appends its
 * answer's bytes to answer.  Any status but VT_OK is a failure of the auditor (err says why). */
typedef vt_status (*vt_xaud_call_fn)(void *arg, size_t i, const char *req, size_t req_len, vt_buf *answer,
                                     vt_err *err);

typedef struct vt_xaud_io {
    vt_xaud_call_fn call;
    void *arg;
    const char *exchange;            /* receipt id; borrowed */
    const char *endpoint;            /* borrowed */
    const vt_xaud_context *context;  /* borrowed; NULL = none */
    bool streamed;                   /* a window of a stream ... */
    unsigned window;                 /* ... its index */
    bool final_window;
    const char *only;                /* run only the auditor of this name (MCP's audit_check); NULL = all */
    vt_audit_ctx *recheck;           /* borrowed; non-NULL: each rewrite must pass the built-in scanners
                                      * unchanged (a stream's, never audited again), else it fails closed */
} vt_xaud_io;

/* Where the external auditors run relative to the built-in scanners (pii, policy) of a phase:
 * those configured before the first of them, those after, or all of them. */
typedef enum { VT_XAUD_BEFORE = 1, VT_XAUD_AFTER = 2, VT_XAUD_ALL = 3 } vt_xaud_where;

typedef struct vt_xaud_result {
    bool ran;            /* some external auditor was called */
    bool changed;        /* a redaction rewrote the texts */
    bool blocked;        /* an auditor answered block */
    bool failed_closed;  /* an auditor failed and is not fail-open: refuse the exchange */
    char failed[VT_AUDIT_NAME_MAX]; /* the first one that failed closed */
} vt_xaud_result;

/*
 * Runs the external auditors of phase (at where) over texts, in order: each
 * one's answer is checked (external.h), its redactions applied to texts (so
 * the next one sees them), and one entry per auditor appended to rep.  texts
 * are in/out: texts[k].text points into bufs[k] (NUL-terminated) after a
 * redaction.  Stops at the first block or closed failure.
 */
VT_NODISCARD vt_status vt_xaud_run_texts(vt_audit_report *rep, vt_xaud_result *res, const vt_audit_chain *c,
                                         vt_audit_phase phase, vt_xaud_where where, vt_xaud_text *texts,
                                         vt_buf *bufs, size_t n, const vt_xaud_io *io, vt_err *err);
/*
 * The same over JSON documents (a request or response body, or the events of
 * one stream window): the audited view is every string value in document
 * order, with its path ("messages[0].content"), except controls, identifiers
 * and enumerations (model, role, type, finish_reason, ... docs/auditors.md
 * lists them) and inline media (data, file_data, a data: url).  A request
 * message's content list is one text (its strings and text parts joined).
 * With io->streamed the pieces of one field (one path, a choice or tool call named
 * by its "index") are joined across the events into one text, as a client
 * joins them, and what a redaction makes of the joined text is cut back into
 * the pieces (a replacement goes to the piece where its span starts).
 * Redactions are written into the trees.
 */
VT_NODISCARD vt_status vt_xaud_run_docs(vt_audit_report *rep, vt_xaud_result *res, const vt_audit_chain *c,
                                        vt_audit_phase phase, vt_xaud_where where, json_t **docs, size_t ndocs,
                                        const vt_xaud_io *io, vt_err *err);
/*
 * A JSON body: parsed strictly (one object, no duplicate key; a body that does
 * not parse is left alone for the built-in walker to refuse), audited as
 * above, and when a redaction changed it, replaced by its compact
 * serialisation (key order kept).
 */
VT_NODISCARD vt_status vt_xaud_run_body(vt_audit_report *rep, vt_xaud_result *res, const vt_audit_chain *c,
                                        vt_audit_phase phase, vt_xaud_where where, vt_buf *body,
                                        const vt_xaud_io *io, vt_err *err);

#endif
