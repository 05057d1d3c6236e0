/*
 * The external auditor protocol, "veritee-auditor/1" (docs/auditors.md, "Your own auditors"):
 * what the gateway sends an auditor that runs as its own process, and the
 * strict reading of what comes back.  Transport-free: the caller moves the
 * bytes (Unix socket or loopback HTTP); this file builds the request, checks
 * the answer against every rule of the protocol, and applies redactions.
 *
 * An answer that breaks any rule is refused as a whole (VT_E_FORMAT naming the
 * rule): the gateway then fails closed unless the auditor is configured to
 * fail open (and the receipt says so).
 */
#ifndef VT_AUDIT_EXTERNAL_H
#define VT_AUDIT_EXTERNAL_H

#include <jansson.h>

#include "veritee/audit.h"

#define VT_XAUD_PROTOCOL "veritee-auditor/1"
#define VT_XAUD_MAX_TEXTS 4096            /* strings in one request */
#define VT_XAUD_MAX_ANSWER ((size_t)1 << 20) /* answer bytes */
#define VT_XAUD_MAX_REDACTIONS 4096
#define VT_XAUD_MAX_REPLACEMENT 64        /* bytes of one replacement */
#define VT_XAUD_MAX_REASON 256

/* One string the model (request) or the client (response) reads, and where it sits. */
typedef struct vt_xaud_text {
    const char *path;  /* "messages[1].content", borrowed */
    const char *text;  /* UTF-8, borrowed */
    size_t len;
} vt_xaud_text;

/* What the auditor may know of the deployment (from the passport), for rules such as data residency. */
typedef struct vt_xaud_context {
    const char *environment;   /* borrowed; NULL = absent */
    const char *platform;      /* "tdx", ... */
    bool hardware_attested;
    const char *model;         /* measured model digest, hex */
} vt_xaud_context;

typedef struct vt_xaud_request {
    const char *auditor;       /* the configured name */
    vt_audit_phase phase;
    const char *exchange;      /* the receipt id */
    const char *endpoint;      /* "/v1/chat/completions" */
    bool streamed;             /* a window of a stream ... */
    unsigned window;           /* ... its index */
    bool final_window;
    const vt_xaud_text *texts;
    size_t text_count;
    const vt_xaud_context *context; /* NULL = none */
} vt_xaud_request;

typedef struct vt_xaud_redaction {
    size_t text;   /* index into the request's texts */
    size_t start;  /* byte offsets, start < end, on UTF-8 boundaries */
    size_t end;
    char replacement[VT_XAUD_MAX_REPLACEMENT + 1];
} vt_xaud_redaction;

typedef struct vt_xaud_answer {
    vt_audit_verdict verdict;
    char types[VT_AUDIT_MAX_TYPES][VT_AUDIT_NAME_MAX]; /* finding types ... */
    uint32_t counts[VT_AUDIT_MAX_TYPES];               /* ... and their counts */
    size_t type_count;
    vt_xaud_redaction *redactions; /* owned; sorted by (text, start), none overlapping */
    size_t redaction_count;
    json_t *annotations;           /* owned object, at most VT_AUDIT_MAX_NOTES scalar members */
    char reason[VT_XAUD_MAX_REASON + 1];
} vt_xaud_answer;

/* The request as JSON text (free()). */
VT_NODISCARD vt_status vt_xaud_request_json(char **out, const vt_xaud_request *rq, vt_err *err);

/*
 * Reads an auditor's answer to rq, strictly: known members only, verdict one
 * of allow|annotate|redact|block, finding types 1..31 of [a-z0-9_] with counts
 * 0..10^6, redactions only with "redact" and each inside its text, on UTF-8
 * boundaries, not overlapping, replacement printable; "block" needs a reason.
 * On error out is cleared.
 */
VT_NODISCARD vt_status vt_xaud_answer_parse(vt_xaud_answer *out, const vt_xaud_request *rq, const char *json,
                                            size_t len, vt_err *err);
void vt_xaud_answer_clear(vt_xaud_answer *a);

/* texts[i] with the answer's redactions applied, appended to out (NUL-terminated). */
VT_NODISCARD vt_status vt_xaud_apply(vt_buf *out, const vt_xaud_answer *a, const vt_xaud_request *rq, size_t i,
                                     vt_err *err);

#endif
