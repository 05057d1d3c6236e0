/*
 * veritee auditor chain (docs/auditors.md): the auditors the gateway runs on
 * every request and response, in four phases.
 *
 *   artifact   the measured model digest equals a reference value
 *   request    PII detection and redaction, policy (terms, models, size)
 *   execution  latency, upstream status and token usage as annotations
 *   response   PII and policy on the output, whole bodies or streams
 *
 * A vt_audit_chain is built once from the gateway's "auditors" JSON and is
 * immutable afterwards: its compiled Hyperscan databases are shared
 * read-only by every thread.  Each thread (each gateway event loop) makes
 * its own vt_audit_ctx, which holds the Hyperscan scratch space and reused
 * buffers; a ctx and the streams made from it are used by one thread at a
 * time.  Reports never contain matched text, only counts per type.
 */
#ifndef VERITEE_AUDIT_H
#define VERITEE_AUDIT_H

#include "veritee/base.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum vt_audit_phase {
    VT_AUDIT_ARTIFACT = 1,
    VT_AUDIT_REQUEST = 2,
    VT_AUDIT_EXECUTION = 4,
    VT_AUDIT_RESPONSE = 8,
} vt_audit_phase;

/* Ordered by severity: a combination takes the largest. */
typedef enum vt_audit_verdict {
    VT_AUDIT_ALLOW = 0,
    VT_AUDIT_ANNOTATE = 1,
    VT_AUDIT_REDACT = 2,
    VT_AUDIT_BLOCK = 3,
} vt_audit_verdict;

VT_API const char *vt_audit_phase_name(vt_audit_phase p); /* "artifact", ... */
VT_API const char *vt_audit_verdict_name(vt_audit_verdict v);         /* "allow", "annotate", "redact", "block" */

/* Hard limits of the library (configuration may set lower ones). */
#define VT_AUDIT_MAX_AUDITORS 16
#define VT_AUDIT_MAX_TYPES 24       /* finding types per auditor entry */
#define VT_AUDIT_MAX_NOTES 8        /* annotations per auditor entry */
#define VT_AUDIT_MAX_BODY ((size_t)16 << 20)
#define VT_AUDIT_HOLDBACK 256       /* longest match; also the streaming holdback */
#define VT_AUDIT_NAME_MAX 32

/* ---- the chain (shared, read-only) ---- */
typedef struct vt_audit_chain vt_audit_chain;

/*
 * Builds the chain from JSON: either the "auditors" array itself or an
 * object holding an "auditors" member (the gateway config).  Strict: unknown
 * members, unknown auditor names, duplicate auditors, bad types, regexes
 * Hyperscan refuses or whose match width is unbounded or above
 * VT_AUDIT_HOLDBACK are VT_E_FORMAT with err naming the field.  Caller owns
 * *out, free with vt_audit_chain_free().
 */
VT_NODISCARD VT_API vt_status vt_audit_chain_new(vt_audit_chain **out, const char *json, size_t len,
                                                 vt_err *err);
VT_API void vt_audit_chain_free(vt_audit_chain *c);

/* What the gateway measures: one entry per configured auditor, in order. */
typedef struct vt_auditor_info {
    const char *name;          /* borrowed, valid while the chain lives */
    const char *version;       /* borrowed, valid while the chain lives */
    uint8_t config_digest[32]; /* SHA-256 of the auditor's canonical config JSON */
    unsigned phases;           /* VT_AUDIT_* bits */
} vt_auditor_info;

VT_API size_t vt_audit_chain_count(const vt_audit_chain *c);
/* Entry i (NULL past the end); borrowed, valid while the chain lives. */
VT_API const vt_auditor_info *vt_audit_chain_get(const vt_audit_chain *c, size_t i);
/* SHA-256 over every auditor's name, version and config digest, in order
 * (docs/auditors.md gives the exact bytes). */
VT_API void vt_audit_chain_digest(const vt_audit_chain *c, uint8_t out[32]);

/* ---- per-thread context ---- */
typedef struct vt_audit_ctx vt_audit_ctx;
/* Scratch space for one thread.  Caller owns, free with vt_audit_ctx_free();
 * the chain must outlive it. */
VT_NODISCARD VT_API vt_status vt_audit_ctx_new(vt_audit_ctx **out, const vt_audit_chain *c, vt_err *err);
VT_API void vt_audit_ctx_free(vt_audit_ctx *x);

/* ---- reports ---- */
typedef struct vt_audit_count {
    char type[VT_AUDIT_NAME_MAX]; /* "email", "card", custom pattern name, "blocked_term", ... */
    uint32_t count;
} vt_audit_count;

typedef struct vt_audit_note {
    char key[VT_AUDIT_NAME_MAX]; /* "latency_us", "upstream_status", "prompt_tokens", ... */
    int64_t value;
} vt_audit_note;

typedef struct vt_audit_entry {
    char name[VT_AUDIT_NAME_MAX];
    char version[16];
    uint8_t config_digest[32];
    vt_audit_phase phase;
    vt_audit_verdict verdict;
    char reason[160]; /* when blocked; names types and counts, never matched text */
    size_t count_len;
    vt_audit_count counts[VT_AUDIT_MAX_TYPES];
    size_t note_len;
    vt_audit_note notes[VT_AUDIT_MAX_NOTES];
} vt_audit_entry;

/*
 * Results of one request/response exchange, accumulated over the phases
 * (each phase run appends one entry per auditor active in that phase).
 * A plain struct: the caller allocates it (it is large: keep it on the heap)
 * and calls vt_audit_report_init() before the first phase.
 */
#define VT_AUDIT_MAX_UNAUDITED 8 /* field names recorded as passed unaudited */

typedef struct vt_audit_report {
    vt_audit_verdict verdict; /* the largest over all entries */
    size_t entry_len;
    vt_audit_entry entries[4 * VT_AUDIT_MAX_AUDITORS];
    /* Coverage, for the receipt.  audited: VT_AUDIT_* phases in which every
     * string the model (request) or the client (response) reads passed the
     * auditors.  failed: phases whose body could not be audited (unparsable,
     * unexpected encoding or type): the exchange was refused there.
     * unaudited: fields the policy let through without auditing (e.g.
     * "prompt_token_ids", an unknown field), by JSON name. */
    unsigned audited;
    unsigned failed;
    size_t unaudited_len;
    char unaudited[VT_AUDIT_MAX_UNAUDITED][VT_AUDIT_NAME_MAX];
} vt_audit_report;

/* Marks phase as audited / failed in the report's coverage. */
VT_API void vt_audit_report_covered(vt_audit_report *r, vt_audit_phase phase);
VT_API void vt_audit_report_failed(vt_audit_report *r, vt_audit_phase phase);
/* Records a field name that passed unaudited (deduplicated; names past
 * VT_AUDIT_MAX_UNAUDITED are summarised as "...").  Never the field's value. */
VT_API void vt_audit_report_unaudited(vt_audit_report *r, const char *field);

VT_API void vt_audit_report_init(vt_audit_report *r);
/* Receipt JSON, appended to out (no NUL):
 * {"verdict":"redact","auditors":[{"name":..,"phase":..,"version":..,
 *  "config_digest":"hex","verdict":..,"findings":{"email":1},
 *  "annotations":{..},"reason":..}],
 *  "coverage":{"audited":["request","response"],"failed":[],"unaudited":[]}}
 * ("reason" only when blocked). */
VT_NODISCARD VT_API vt_status vt_audit_report_json(vt_buf *out, const vt_audit_report *r, vt_err *err);
/* The first block reason in the report, or NULL when nothing blocked. */
VT_API const char *vt_audit_report_block_reason(const vt_audit_report *r);

/* ---- phases ---- */
/*
 * Artifact phase: the measured model digest (any length up to 64 bytes)
 * against the artifact auditor's "reference_digests".  Block when none is
 * equal (compared in constant time).  A chain without an artifact auditor
 * adds nothing.
 */
VT_NODISCARD VT_API vt_status vt_audit_artifact(vt_audit_report *rep, const vt_audit_chain *c,
                                                const uint8_t *digest, size_t digest_len, vt_err *err);

/* The OpenAI-compatible endpoints whose requests the gateway audits. */
typedef enum vt_audit_route {
    VT_AUDIT_ROUTE_CHAT = 1,        /* POST /v1/chat/completions */
    VT_AUDIT_ROUTE_COMPLETIONS = 2, /* POST /v1/completions */
    VT_AUDIT_ROUTE_EMBEDDINGS = 3,  /* POST /v1/embeddings */
} vt_audit_route;

/*
 * Request phase over an OpenAI-compatible JSON body for route.  The body is
 * parsed once (duplicate keys and trailing bytes refused), checked against
 * the route's schema (docs/auditors.md lists every field), every string the
 * model can read is scanned and redacted in the tree, and `forward` receives
 * (appended) the compact serialisation of that audited tree: never the
 * client's bytes.  The verdict is in rep, and rep's coverage marks the
 * request phase audited; a block still returns VT_OK.  A body larger than
 * the policy's max_input_bytes is blocked unread (nothing appended).
 * VT_E_FORMAT, with err naming the field ("audit: field \"messages[0].foo\"
 * is not audited and not allowed"), when the body is not one JSON object, a
 * member is unknown, has the wrong type or value, or holds token IDs or
 * media the policy does not allow (allowed ones are recorded with
 * vt_audit_report_unaudited()); VT_E_LIMIT above VT_AUDIT_MAX_BODY.  On
 * either, rep marks the request phase failed and forward is unchanged.
 */
VT_NODISCARD VT_API vt_status vt_audit_request(vt_audit_report *rep, vt_buf *forward, vt_audit_ctx *x,
                                               vt_audit_route route, const uint8_t *body, size_t len, vt_err *err);
/*
 * Response phase over an upstream JSON body (any status: error bodies too).
 * The body is parsed strictly (one JSON object; duplicate keys, bytes after
 * it, invalid UTF-8, a NUL in a key, numbers out of range and nesting past 64
 * are refused), then every string value and every object key anywhere in it
 * is scanned and redacted, and `forward` receives (appended) the audited tree
 * serialised again (compact JSON, key order kept), never the upstream's
 * bytes.  On VT_OK the response phase is marked covered in rep and its
 * entries appended; a block still returns VT_OK.  VT_E_FORMAT (err names the
 * problem, never the body's text) means the body cannot be audited and must
 * not be sent; VT_E_LIMIT above VT_AUDIT_MAX_BODY.  forward is unchanged on
 * failure.
 */
VT_NODISCARD VT_API vt_status vt_audit_response(vt_audit_report *rep, vt_buf *forward, vt_audit_ctx *x,
                                                const uint8_t *body, size_t len, vt_err *err);

/*
 * Response phase over a stream of events (the data of each SSE event).  Each
 * event's JSON is parsed and audited as vt_audit_response does, except the
 * text that continues across events, which goes through a holdback scanner
 * (vt_audit_stream) per choice and per field: choices[].delta (or .message)
 * content, refusal, reasoning_content, reasoning, and choices[].text, as
 * strings or as lists of text parts (the text parts inside thinking parts
 * with a scanner of their own; docs/auditors.md, "Text written as parts").  A
 * choice's held-back text is released in the event that carries its
 * finish_reason; text still held at the end comes out of vt_audit_sse_finish
 * as one last chunk.  Tool-call arguments (tool_calls[].function.arguments
 * per tool-call index, function_call.arguments) are held whole, each piece
 * sent as "", until the call is complete (its choice's finish_reason, the
 * next tool call of the choice, or the end of the stream), then audited
 * decoded as vt_audit_response audits them and sent in one piece: as they
 * came when nothing inside was redacted.  Up to 1024 choices, 64 streamed
 * fields and VT_AUDIT_MAX_BODY bytes of held arguments per stream.  Caller
 * owns *out, free with vt_audit_sse_free(); the ctx must outlive it.
 */
typedef struct vt_audit_sse vt_audit_sse;
VT_NODISCARD VT_API vt_status vt_audit_sse_new(vt_audit_sse **out, vt_audit_ctx *x, vt_err *err);
/* One event's data (not "[DONE]"): out receives (appended) the audited event
 * JSON to send, nothing when the stream is blocked.  VT_E_FORMAT: the event
 * cannot be audited (the stream must end; every later call fails);
 * VT_E_LIMIT: too many choices or fields, more than VT_AUDIT_MAX_BODY bytes
 * of arguments held, or arguments nested too deeply. */
VT_NODISCARD VT_API vt_status vt_audit_sse_event(vt_audit_sse *s, vt_buf *out, const uint8_t *data, size_t len,
                                                 vt_err *err);
/* True once a block-action finding was made: end the stream, send nothing more. */
VT_API bool vt_audit_sse_blocked(const vt_audit_sse *s);
/* Ends the stream: appends to out (when non-NULL, not blocked and no event
 * failed) the JSON of one last chunk holding every choice's held-back text
 * and the audited arguments of calls still open, or nothing when none is
 * held (out NULL: arguments still held are dropped unread, never sent);
 * appends the response-phase entries (one per auditor, counts summed over
 * every field) to rep and marks the response phase covered, or failed when
 * an event could not be audited.  VT_E_FORMAT / VT_E_LIMIT: the arguments
 * of a call still open cannot be audited; nothing appended to out, and the
 * response phase is marked failed. */
VT_NODISCARD VT_API vt_status vt_audit_sse_finish(vt_audit_sse *s, vt_buf *out, vt_audit_report *rep, vt_err *err);
VT_API void vt_audit_sse_free(vt_audit_sse *s);

/* Execution phase input; -1 means unknown and is left out. */
typedef struct vt_audit_exec {
    int64_t latency_us;
    int64_t upstream_status;
    int64_t prompt_tokens;
    int64_t completion_tokens;
    int64_t total_tokens;
} vt_audit_exec;
/* Sets every field to -1. */
VT_API void vt_audit_exec_init(vt_audit_exec *e);
/* Reads the "usage" object of an upstream response body (or of the last SSE
 * chunk) into e's token fields; a body without usage changes nothing. */
VT_API void vt_audit_exec_usage(vt_audit_exec *e, const uint8_t *body, size_t len);
/* The token counts of the stream's events so far (those of the last event that
 * carried "usage", as OpenAI's stream_options.include_usage sends them) into e,
 * from the parse vt_audit_sse_event already made; fields no event gave are left. */
VT_API void vt_audit_sse_usage(const vt_audit_sse *s, vt_audit_exec *e);
VT_NODISCARD VT_API vt_status vt_audit_execution(vt_audit_report *rep, const vt_audit_chain *c,
                                                 const vt_audit_exec *e, vt_err *err);

/* ---- streaming response scanner ---- */
/*
 * For streamed responses: feed the text deltas (the decoded content strings
 * of the SSE chunks) as they arrive; each call appends to `out` the text
 * that is safe to release now, redacted.  At most VT_AUDIT_HOLDBACK + 1
 * bytes of text are held back, so a pattern split across deltas is still
 * caught (a private-key block is swallowed whole up to its END line
 * instead).  vt_audit_stream_finish() releases the rest and appends the
 * response-phase entries to rep.  After a block-action finding the stream
 * reports blocked (the gateway should end it); the offending text is never
 * released.  Caller owns *out, free with vt_audit_stream_free(); the ctx
 * must outlive it.
 */
typedef struct vt_audit_stream vt_audit_stream;
VT_NODISCARD VT_API vt_status vt_audit_stream_new(vt_audit_stream **out, vt_audit_ctx *x, vt_err *err);
VT_NODISCARD VT_API vt_status vt_audit_stream_feed(vt_audit_stream *s, const void *text, size_t len, vt_buf *out,
                                                   vt_err *err);
VT_NODISCARD VT_API vt_status vt_audit_stream_finish(vt_audit_stream *s, vt_buf *out, vt_audit_report *rep,
                                                     vt_err *err);
VT_API bool vt_audit_stream_blocked(const vt_audit_stream *s);
VT_API void vt_audit_stream_free(vt_audit_stream *s);

/* ---- scanning plain text (tools, benchmarks) ---- */
/*
 * Scans and redacts one text in the given phase (request or response) as
 * the JSON walkers do for each string: redacted text appended to out, the
 * entries appended to rep.
 */
VT_NODISCARD VT_API vt_status vt_audit_text(vt_audit_report *rep, vt_buf *out, vt_audit_ctx *x, vt_audit_phase phase,
                                            const void *text, size_t len, vt_err *err);

#ifdef __cplusplus
}
#endif
#endif /* VERITEE_AUDIT_H */
