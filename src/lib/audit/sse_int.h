/* Internal: the stream auditor's state (vt_audit_sse), shared by response.c,
 * which audits any event through a jansson tree, and sse_fast.c, which audits
 * the common event shape without one. */
#ifndef VT_AUDIT_SSE_INT_H
#define VT_AUDIT_SSE_INT_H

#include "audit/audit_int.h"

#define SSE_MAX_FIELDS 64  /* streamed fields (choice x field x tool call) per stream */
#define SSE_MAX_INDEX 1023 /* choices[].index, tool_calls[].index */
/* Numbers in a choice's hidden_states after its finish_reason (SGLang's return_hidden_states: the
 * last token's vector, a few thousand wide; response.c, after_finish). */
#define SSE_MAX_HIDDEN_STATES 65536
/* Tool-call arguments and custom input held at once in one stream, all calls together: no more
 * than one whole body may be, so streaming a reply does not change what can be audited
 * (docs/auditors.md). */
#define SSE_MAX_HELD VT_AUDIT_MAX_BODY

/* Text fields that continue across events, by their JSON name (vt__sse_field_name): F_TOOL_ARGS
 * is tool_calls[].function.arguments, F_FUNC_ARGS function_call.arguments, F_TOOL_INPUT
 * tool_calls[].custom.input. */
enum {
    F_CONTENT, F_REFUSAL, F_REASONING_CONTENT, F_REASONING, F_TEXT, F_TOOL_ARGS, F_FUNC_ARGS, F_TOOL_INPUT, F_COUNT
};
extern const char *const vt__sse_field_name[F_COUNT];

/*
 * A tool call's text is held until the call is complete and then audited whole, as a whole
 * body's is (response.c, call_finish): its arguments are a string holding JSON that the client's
 * program decodes whole, audited decoded (audit_arguments), since pieces scanned as they came
 * would hide a value written with escapes (\u0040, \n), or one whose escape is cut between two
 * events; a custom call's input is plain text, scanned whole as text, since pieces scanned each on
 * their own would miss a value split between two of them.
 */
typedef struct sse_args {
    vt_buf held;    /* the pieces as they came, one after the other */
    audit_state st; /* the findings of the audit, made when the call is complete */
} sse_args;

/* Where a choice's streamed fields are: its "delta", or its "message" (some servers send chunks with
 * one, some with both, the same text in each).  A client may join either, so each has its own
 * fields (vt__sse_holder_name); a completion's "text" is the choice's own (H_DELTA). */
enum { H_DELTA, H_MESSAGE, H_COUNT };
extern const char *const vt__sse_holder_name[H_COUNT];

/* The tool of a text field's reasoning written as parts: the text parts inside its thinking parts
 * ({"type":"thinking","thinking":[{"type":"text","text":...}]}, as Magistral streams content). */
#define SSE_THINKING (-2)

/*
 * A choice's holder layout: which holders its events carry.  A client may read the delta when an
 * event has one and the message otherwise (with Python's `delta or message`, the message when the
 * delta is empty too), so a choice whose events switch would have it read the releases of two
 * scanners side by side.  The first event of a choice that carries a holder (not null) fixes the
 * layout and every later one that carries a holder before the choice's finish_reason must have
 * the same (response.c, holder_layout): a delta (empty or not: OpenAI's last chunk), a message, or
 * a message beside a delta that is absent, null, empty, not empty or not an object.  After it only
 * empty holders may come (after_finish), in any layout: they add no text.
 */
enum { L_NONE, L_DELTA, L_MESSAGE, L_MESSAGE_DELTA_NULL, L_BOTH_EMPTY, L_BOTH, L_BOTH_OTHER };

typedef struct sse_field {
    int choice, tool;   /* choices[].index; tool_calls[].index (-1: not a tool call; SSE_THINKING) */
    int kind;           /* F_* */
    int holder;         /* H_*: what a client joins its text from */
    vt_audit_stream *s; /* text: its holdback scanner (NULL for a held call) */
    sse_args *a;        /* F_TOOL_ARGS, F_FUNC_ARGS, F_TOOL_INPUT: held whole (NULL for text) */
    unsigned long born; /* the event (vt_audit_sse.events) that made it */
    bool done;          /* its choice finished (released, no longer fed) */
    bool superseded;    /* a call's text sent because a later tool call of the choice started */
    bool wrote;         /* text: a piece that was not empty was fed (no reasoning may follow it) */
} sse_field;

/*
 * A string of a choice's delta or message that is not a streamed field (a call's id and name, the
 * role, a member no one has invented yet): the OpenAI SDKs' stream helpers join its pieces across
 * events as they join the text, so what they build is scanned at each piece with the tail of what
 * came before (response.c, join_check).  Matches are at most VT_AUDIT_HOLDBACK bytes long, so that
 * many bytes of the join are enough.
 */
#define SSE_MAX_JOINS 256 /* places (choice, holder, path) per stream */
#define SSE_MAX_PATH 128  /* bytes of a place's path */
typedef struct sse_join {
    char path[SSE_MAX_PATH];
    size_t path_len;
    uint8_t tail[VT_AUDIT_HOLDBACK]; /* the end of what was sent there, joined */
    size_t tail_len;
    uint32_t tail_found; /* findings a scan of tail alone makes */
} sse_join;

struct vt_audit_sse {
    vt_audit_ctx *x;
    audit_state st; /* every string that is not a streamed field */
    sse_field f[SSE_MAX_FIELDS];
    size_t nf;
    uint8_t choice_done[(SSE_MAX_INDEX + 8) / 8]; /* choices whose finish_reason came: bit per index */
    uint8_t layout[SSE_MAX_INDEX + 1];            /* each choice's holder layout (L_*) */
    sse_join *joins;                              /* made on first use, grown to SSE_MAX_JOINS */
    size_t njoins, joins_cap;
    vt_buf last_raw;  /* the last event as sent: its id, object, created and model make the final chunk */
    vt_audit_exec usage; /* the token counts of the last event that carried "usage" */
    vt_buf txt;
    size_t held;          /* bytes of tool calls' text held, every field together (SSE_MAX_HELD) */
    unsigned long events; /* events through the tree walk (response.c), numbering sse_field.born */
    bool failed, finished;
    bool no_fast;     /* every event through jansson (tests compare the two paths) */
    size_t fast_events; /* events the fast path audited */
    audit_tokens *tw;   /* sse_fast.c's token walk, reused (made on first use) */
};

/* Keeps out[mark..] (an event just sent, by either path) as the stream's last event. */
vt_status vt__sse_keep_last(vt_audit_sse *s, const vt_buf *out, size_t mark, vt_err *err);

/* The field of (choice, holder, kind, tool), made when absent (VT_E_LIMIT past SSE_MAX_FIELDS). */
vt_status vt__sse_field_get(sse_field **out, vt_audit_sse *s, int choice, int holder, int kind, int tool,
                            vt_err *err);
/* Did choice (an index in [0, SSE_MAX_INDEX]) have its finish_reason in an earlier event?  Nothing
 * more of its reply may come (response.c, after_finish). */
bool vt__sse_choice_finished(const vt_audit_sse *s, int choice);
/* Did choice stream reasoning as thinking parts?  Its events go through jansson (response.c, text_feed). */
bool vt__sse_choice_thinks(const vt_audit_sse *s, int choice);

/*
 * Audits one event without building a tree, when it has the shape nearly every
 * streamed chunk has (sse_fast.c, docs/auditors.md "Streams"): *done false
 * means it did not, nothing was changed (but a choice's holder layout, set to
 * the delta that response.c finds in the event too), and the event must go
 * through jansson.  *done true: the event was audited exactly as response.c would
 * have, and what to send (nothing when the stream is blocked) appended to out.
 */
vt_status vt__audit_sse_fast(vt_audit_sse *s, vt_buf *out, const uint8_t *data, size_t len, bool *done, vt_err *err);

/* Tests: route every event through jansson (false) or let the fast path take what it can; how
 * many events it took. */
void vt__audit_sse_set_fast(vt_audit_sse *s, bool on);
size_t vt__audit_sse_fast_events(const vt_audit_sse *s);

#endif
