/* Internal: the auditor chain's compiled form, shared by config.c, scan.c,
 * request.c, response.c and chain.c. */
#ifndef VT_AUDIT_INT_H
#define VT_AUDIT_INT_H

#include <hs/hs.h>
#include <jansson.h>
#include <string.h>

#include "audit/normalise.h"
#include "audit/xchain.h"
#include "veritee/audit.h"
#include "veritee/crypto.h"

/* src into dst[cap] as snprintf(dst, cap, "%s", src) would put it (cut to fit, always
 * terminated), without the format parser: a report fills a dozen names per request. */
static inline void audit_copy_name(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);

    memcpy(dst, src, n);
    dst[n] = '\0';
}

enum { T_EMAIL, T_PHONE, T_CARD, T_SSN, T_IBAN, T_IP, T_SECRET, T_NBUILTIN };
#define AUDIT_MAX_TYPES 32
#define AUDIT_MAX_CUSTOM 16
#define AUDIT_MAX_LIST 256   /* blocked terms, models, reference digests */
#define TYPE_MARKER 0xffff   /* end line of a private-key block: not a finding */

/* Actions reuse the verdict numbers; ALLOW means "not scanned at all". */
typedef enum { ACT_ALLOW = 0, ACT_ANNOTATE = 1, ACT_REDACT = 2, ACT_BLOCK = 3 } audit_act;

typedef enum { A_PII, A_POLICY, A_ARTIFACT, A_EXECUTION, A_EXTERNAL } audit_kind;

/* What the policy auditor lets through the request walker unaudited. */
typedef struct audit_req_opts {
    bool allow_token_ids;      /* prompt / input as token IDs */
    bool allow_unknown_fields; /* members the request schema does not name */
    bool allow_media;          /* image, audio and file content parts */
} audit_req_opts;

/* Validators / extractors run on each Hyperscan match. */
typedef enum {
    CHK_NONE, CHK_EMAIL, CHK_PHONE_INTL, CHK_PHONE_NANP, CHK_CARD, CHK_SSN, CHK_IBAN, CHK_IPV4, CHK_IPV6,
    CHK_WORD, CHK_TOKEN, CHK_JWT, CHK_PEM, CHK_MARK, CHK_COUNT
} audit_chk;

typedef struct audit_type {
    char name[VT_AUDIT_NAME_MAX]; /* "email", custom name, "blocked_term" */
    char tag[VT_AUDIT_NAME_MAX];  /* placeholder tag: "EMAIL" -> "[EMAIL_1]" */
    uint8_t action;               /* audit_act */
    uint8_t auditor;              /* index into the chain's auditors */
} audit_type;

/* One Hyperscan expression (or hand-scanned built-in); its id is its index. */
typedef struct audit_det {
    uint16_t type;  /* index into types, or TYPE_MARKER */
    uint8_t chk;    /* audit_chk */
    uint16_t width; /* fixed width: start = end - width; 0 = start from SOM or the extractor */
} audit_det;

typedef struct audit_db {
    hs_database_t *db; /* NULL when nothing scans in this phase */
    audit_det *dets;
    size_t det_len;
    /* Built-ins without a regex (scan.c's hand scanner): det index + 1 by
     * validator, 0 = not scanned in this phase. */
    uint16_t hand[CHK_COUNT];
    bool hand_any;
} audit_db;

typedef struct audit_auditor {
    audit_kind kind;
    unsigned phases;
    char name[VT_AUDIT_NAME_MAX];
    const char *version;
    uint8_t digest[32];
    /* policy */
    char **models;
    size_t model_len;
    size_t max_input; /* 0 = no limit */
    audit_req_opts req_opts;
    /* artifact */
    uint8_t (*refs)[64];
    size_t *ref_lens;
    size_t ref_len;
    /* external (xchain.h): a separate process the gateway calls */
    vt_xaud_spec *ext;
} audit_auditor;

struct vt_audit_chain {
    audit_auditor a[VT_AUDIT_MAX_AUDITORS];
    vt_auditor_info info[VT_AUDIT_MAX_AUDITORS];
    size_t len;
    uint8_t set_digest[32];
    audit_type types[AUDIT_MAX_TYPES];
    size_t type_len;
    audit_db req, resp;
};

typedef struct audit_cand {
    size_t s, e;
    uint16_t type;
    uint8_t flags; /* CF_* */
} audit_cand;
#define CF_CONT 1 /* a token that runs on past the longest match: swallow the rest */
#define CF_PEM 2  /* a private-key header: swallow through the END line */

typedef struct audit_vec {
    audit_cand *v;
    size_t len, cap;
} audit_vec;

typedef struct audit_tokens audit_tokens; /* tokens.h */

/* A short string a scan of one phase found nothing in (vt__audit_scan_text). */
#define AUDIT_CLEAN_SLOTS 64
#define AUDIT_CLEAN_MAX 48
typedef struct audit_clean {
    const struct audit_db *db; /* the phase's database; NULL: an empty slot */
    uint8_t len;
    uint8_t b[AUDIT_CLEAN_MAX];
} audit_clean;

struct vt_audit_ctx {
    const vt_audit_chain *c;
    hs_scratch_t *scratch;
    audit_vec cands, marks, groups;
    vt_buf dec, red; /* decoded and redacted string, reused */
    audit_norm norm; /* the scanned text with look-alikes folded, reused */
    audit_clean clean[AUDIT_CLEAN_SLOTS]; /* keys, ids and model names recur in every document */
    audit_tokens *tw; /* response.c's token walk, reused (made on first use) */
    bool no_fast;     /* tests: every body through the jansson tree walk */
};

/* State of one scan: a request, a response body, or a stream. */
enum { SW_NONE, SW_TOKEN, SW_PEM };
typedef struct audit_state {
    const audit_db *db;
    vt_audit_phase phase;
    uint32_t counts[AUDIT_MAX_TYPES];
    uint32_t ph_next[AUDIT_MAX_TYPES];
    int sw;
    bool changed;
} audit_state;

/*
 * Scans one whole string (a JSON key or value) in st's phase: st->changed says
 * whether it was redacted, and then x->red holds the redacted text.  A short
 * string already found clean in this phase is not scanned again: the scan of
 * a whole string depends only on its bytes and the phase's database, so the
 * answer is the same.  scan.c.
 */
vt_status vt__audit_scan_text(vt_audit_ctx *x, audit_state *st, const uint8_t *s, size_t n, vt_err *err);
/* What a scan of [p, p + n) alone finds (every type counted), with like's phase and patterns and a
 * state of its own: for text a reader sees joined from pieces each scanned apart.  Overwrites
 * x->red. */
vt_status vt__audit_count_found(vt_audit_ctx *x, const audit_state *like, const uint8_t *p, size_t n,
                                uint32_t *found, vt_err *err);
/* Tests: whole bodies through the jansson tree walk only (false), or the token walk first (response.c). */
void vt__audit_ctx_set_fast(vt_audit_ctx *x, bool on);
/*
 * Scans buf[0..n) and releases buf[rel..R) (R = n when final, else
 * n - VT_AUDIT_HOLDBACK - 1) redacted into out; *rel_out is where the next
 * release starts (>= R: a redacted match may end past R).  Policy hits are
 * counted from cnt_from.  scan.c.
 */
vt_status vt__audit_run(vt_audit_ctx *x, audit_state *st, const uint8_t *buf, size_t n, size_t rel, size_t cnt_from,
                        bool final, vt_buf *out, size_t *rel_out, vt_err *err);
/*
 * vt_audit_chain_new with the Hyperscan compile optional: compile false checks
 * the whole configuration (every user regex included, through
 * hs_expression_info) but leaves the databases empty, so the chain can only be
 * inspected and freed, not scanned with.  For the fuzz target: the compile of
 * the built-in PII set takes seconds under the sanitizers.  config.c.
 */
vt_status vt__audit_chain_parse(vt_audit_chain **out, const char *json, size_t len, bool compile, vt_err *err);
/* Compiles the expressions of one phase; config.c collects them.  scan.c. */
typedef struct audit_expr {
    const char *re; /* NULL: a built-in the hand scanner finds */
    unsigned flags;
    audit_det det;
} audit_expr;
vt_status vt__audit_compile(audit_db *db, const audit_expr *ex, size_t n, vt_err *err);
void vt__audit_db_free(audit_db *db);
/* The built-in PII expressions of one type (scan.c). */
size_t vt__audit_builtin(const audit_expr **out);

/* The request walker's view of each string of a request (request.c), for
 * tests and the fuzz target: every string value and object key, with its
 * JSON path ("messages[0].content", a key's path is its member's). */
typedef enum {
    AUDIT_REQ_SCANNED,   /* passed the scanner (and was redacted if it had to be) */
    AUDIT_REQ_CONTROL,   /* a schema key, an enum, a model id, a tag: validated, not content */
    AUDIT_REQ_UNAUDITED, /* let through unaudited by the policy (and recorded in the report) */
} audit_req_how;
typedef struct audit_req_view {
    void (*visit)(void *arg, const char *path, bool key, const char *s, size_t len, audit_req_how how);
    void *arg;
} audit_req_view;
/* Audits the parsed request doc in place by the route's schema (redactions
 * are written into the tree); findings accumulate in st.  view may be NULL.
 * VT_E_FORMAT names the refused field. */
vt_status vt__audit_request_tree(vt_audit_report *rep, vt_audit_ctx *x, audit_state *st, vt_audit_route route,
                                 json_t *doc, const audit_req_view *view, vt_err *err);

/* The scan state of a stream (its finding counts), for response.c. */
const audit_state *vt__audit_stream_state(const vt_audit_stream *s);

/* One entry of auditor a in phase (NULL when the report is full), and raising an entry's
 * verdict (and the report's).  chain.c. */
vt_audit_entry *vt__audit_entry_add(vt_audit_report *rep, const audit_auditor *a, vt_audit_phase phase);
void vt__audit_entry_verdict(vt_audit_report *rep, vt_audit_entry *e, vt_audit_verdict v);
void vt__audit_entry_note(vt_audit_entry *e, const char *key, int64_t v);

/* Appends the entries of every auditor active in st->phase to rep (chain.c). */
void vt__audit_entries(vt_audit_report *rep, const vt_audit_chain *c, const audit_state *st, const char *model,
                       size_t body_len, bool have_body);

/* The token counts of doc's "usage" object into e (chain.c); nothing changes without one. */
void vt__audit_usage_from(vt_audit_exec *e, const json_t *doc);

#endif
