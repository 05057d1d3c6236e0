/* The request auditor: the schema of every OpenAI-compatible request body
 * the gateway forwards (chat, legacy completions, embeddings) as const
 * tables, and the walk over the parsed body that audits every string the
 * model can read.  The body is parsed once by jansson (duplicate keys and
 * trailing bytes refused), audited and redacted in the tree, and the tree is
 * serialised once: the model server receives exactly what the auditors saw.
 *
 * Fields come from the OpenAI API reference (create chat completion, create
 * completion, create embeddings) and the fields its official clients send;
 * docs/auditors.md lists them.  Every member has a kind: text the model
 * reads (scanned, redacted), structure (walked by its own table), free-form
 * JSON the model reads (JSON-schema parameters, metadata: every key, string
 * and number scanned), or a control scalar validated strictly (numbers in
 * range, booleans, enums, the model id charset).  A member the tables do not
 * name, token-ID prompts and media payloads are refused unless the policy
 * auditor allows them; then the report records them as passed unaudited. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "audit/audit_int.h"
#include "base/json.h"

#define MAX_DEPTH 64     /* nesting of free-form JSON (schemas, arguments) */
#define MODEL_MAX 256    /* model id bytes */
#define TOKEN_MAX 0x7fffffff

/* ---- the schema ---- */

/* What a JSON string is, where one is allowed. */
enum { S_NO, S_TEXT, S_ENUM, S_MODEL, S_JSONTEXT, S_URL, S_MEDIA };
/* What a JSON number is, where one is allowed. */
enum { N_NO, N_INT, N_NUM };
/* Values with their own walk. */
enum { X_NONE, X_FREE, X_TOKENS, X_LOGIT_BIAS };

typedef struct shape shape;
typedef struct vspec vspec;

struct vspec {
    uint8_t str;              /* S_*: what a string is here (S_NO: refused) */
    uint8_t num;              /* N_*: what a number is here */
    uint8_t special;          /* X_*: the value has its own walk */
    bool boolean, null;       /* true/false, null allowed */
    bool media;               /* S_ENUM: a value past the first asks for output no auditor reads */
    const char *const *enums; /* S_ENUM: NULL-terminated list */
    const vspec *items;       /* an array of these; NULL: arrays refused */
    const shape *obj;         /* an object of this shape; NULL: objects refused */
    double lo, hi;            /* N_INT, N_NUM: inclusive range */
};

typedef struct field {
    const char *name;
    const vspec *v;
} field;

typedef struct variant {
    const char *tag;     /* value of the shape's tag member; NULL when the shape has no tag */
    const field *fields; /* NULL-name terminated */
    bool media;          /* a payload no auditor reads (image, audio, file) */
} variant;

struct shape {
    const char *tag;         /* discriminating member ("role", "type") or NULL */
    const variant *variants; /* NULL-tag terminated when tag != NULL; one entry otherwise */
};

#define FIELDS(...) ((const field[]){ __VA_ARGS__, { NULL, NULL } })
#define ENUMS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* Scalars. */
static const vspec v_text = { .str = S_TEXT };
static const vspec v_text_n = { .str = S_TEXT, .null = true };
static const vspec v_media = { .str = S_MEDIA };
static const vspec v_url = { .str = S_URL };
static const vspec v_json_text = { .str = S_JSONTEXT };
static const vspec v_model = { .str = S_MODEL };
static const vspec v_bool = { .boolean = true, .null = true };
static const vspec v_free = { .special = X_FREE, .null = true };
static const vspec v_logit_bias = { .special = X_LOGIT_BIAS, .null = true };
static const vspec v_temperature = { .num = N_NUM, .lo = 0, .hi = 2, .null = true };
static const vspec v_top_p = { .num = N_NUM, .lo = 0, .hi = 1, .null = true };
static const vspec v_penalty = { .num = N_NUM, .lo = -2, .hi = 2, .null = true };
static const vspec v_count = { .num = N_INT, .lo = 1, .hi = 128, .null = true };
static const vspec v_tokens_max = { .num = N_INT, .lo = 0, .hi = TOKEN_MAX, .null = true };
static const vspec v_seed = { .num = N_INT, .lo = -9.2e18, .hi = 9.2e18, .null = true };
static const vspec v_top_logprobs = { .num = N_INT, .lo = 0, .hi = 20, .null = true };
static const vspec v_dimensions = { .num = N_INT, .lo = 1, .hi = 65536 };
static const vspec v_detail = { .str = S_ENUM, .enums = ENUMS("auto", "low", "high") };
static const vspec v_audio_format = { .str = S_ENUM, .enums = ENUMS("wav", "mp3") };
static const vspec v_out_audio_format = { .str = S_ENUM,
                                          .enums = ENUMS("wav", "aac", "mp3", "flac", "opus", "pcm16") };
static const vspec v_effort = { .str = S_ENUM, .null = true,
                                .enums = ENUMS("none", "minimal", "low", "medium", "high", "xhigh") };
static const vspec v_lmh = { .str = S_ENUM, .null = true, .enums = ENUMS("low", "medium", "high") };
static const vspec v_service_tier = { .str = S_ENUM, .null = true,
                                      .enums = ENUMS("auto", "default", "flex", "scale", "priority") };
/* "audio" output is speech no auditor hears: refused unless the policy allows media. */
static const vspec v_modality = { .str = S_ENUM, .enums = ENUMS("text", "audio"), .media = true };
static const vspec v_modalities = { .items = &v_modality, .null = true };
static const vspec v_encoding = { .str = S_ENUM, .enums = ENUMS("float", "base64") };
static const vspec v_cache_retention = { .str = S_ENUM, .null = true, .enums = ENUMS("in_memory", "24h") };
/* stop: a string or an array of strings. */
static const vspec v_stop = { .str = S_TEXT, .items = &v_text, .null = true };

/* Message content: a string, or an array of strings and typed parts. */
static const shape sh_part, sh_text_part;
static const vspec v_part = { .str = S_TEXT, .obj = &sh_part };
static const vspec v_text_part = { .str = S_TEXT, .obj = &sh_text_part };
static const vspec v_content = { .str = S_TEXT, .items = &v_part, .null = true };
static const vspec v_text_content = { .str = S_TEXT, .items = &v_text_part, .null = true };

static const shape sh_image_url = { NULL, (const variant[]){ { NULL, FIELDS({ "url", &v_url }, { "detail", &v_detail }), false } } };
static const shape sh_input_audio = { NULL, (const variant[]){ { NULL, FIELDS({ "data", &v_media }, { "format", &v_audio_format }), false } } };
static const shape sh_file = { NULL, (const variant[]){ { NULL, FIELDS({ "file_data", &v_media }, { "file_id", &v_text },
                                                                         { "filename", &v_text }), false } } };
static const vspec v_image_url = { .obj = &sh_image_url };
static const vspec v_input_audio = { .obj = &sh_input_audio };
static const vspec v_file = { .obj = &sh_file };

#define TEXT_PART { "text", FIELDS({ "text", &v_text }), false }
#define REFUSAL_PART { "refusal", FIELDS({ "refusal", &v_text }), false }
static const shape sh_part = { "type", (const variant[]){
    TEXT_PART, REFUSAL_PART,
    { "image_url", FIELDS({ "image_url", &v_image_url }), true },
    { "input_audio", FIELDS({ "input_audio", &v_input_audio }), true },
    { "file", FIELDS({ "file", &v_file }), true },
    { NULL, NULL, false } } };
static const shape sh_text_part = { "type", (const variant[]){ TEXT_PART, REFUSAL_PART, { NULL, NULL, false } } };

/* Tool calls an assistant message carries, and the deprecated function_call. */
static const shape sh_fn_call = { NULL, (const variant[]){ { NULL, FIELDS({ "name", &v_text }, { "arguments", &v_json_text }), false } } };
static const shape sh_custom_call = { NULL, (const variant[]){ { NULL, FIELDS({ "name", &v_text }, { "input", &v_text }), false } } };
static const vspec v_fn_call = { .obj = &sh_fn_call, .null = true };
static const vspec v_custom_call = { .obj = &sh_custom_call };
static const shape sh_tool_call = { "type", (const variant[]){
    { "function", FIELDS({ "id", &v_text }, { "function", &v_fn_call }), false },
    { "custom", FIELDS({ "id", &v_text }, { "custom", &v_custom_call }), false },
    { NULL, NULL, false } } };
static const vspec v_tool_call = { .obj = &sh_tool_call };
static const vspec v_tool_calls = { .items = &v_tool_call, .null = true };
static const shape sh_audio_ref = { NULL, (const variant[]){ { NULL, FIELDS({ "id", &v_text }), false } } };
static const vspec v_audio_ref = { .obj = &sh_audio_ref, .null = true };

/* Messages by role.  Assistant messages also take what a client copies back
 * from a response (refusal, annotations, reasoning text of some servers). */
static const shape sh_message = { "role", (const variant[]){
    { "system", FIELDS({ "content", &v_text_content }, { "name", &v_text }), false },
    { "developer", FIELDS({ "content", &v_text_content }, { "name", &v_text }), false },
    { "user", FIELDS({ "content", &v_content }, { "name", &v_text }), false },
    { "assistant", FIELDS({ "content", &v_text_content }, { "name", &v_text }, { "refusal", &v_text_n },
                          { "tool_calls", &v_tool_calls }, { "function_call", &v_fn_call },
                          { "audio", &v_audio_ref }, { "annotations", &v_free },
                          { "reasoning_content", &v_text_n }, { "reasoning", &v_text_n }), false },
    { "tool", FIELDS({ "content", &v_text_content }, { "tool_call_id", &v_text }), false },
    { "function", FIELDS({ "content", &v_text_n }, { "name", &v_text }), false },
    { NULL, NULL, false } } };
static const vspec v_message = { .obj = &sh_message };
static const vspec v_messages = { .items = &v_message };

/* Tool and function definitions: the model reads names, descriptions and
 * the whole JSON schema of the parameters. */
static const shape sh_fn_def = { NULL, (const variant[]){ { NULL, FIELDS({ "name", &v_text }, { "description", &v_text },
                                                                           { "parameters", &v_free }, { "strict", &v_bool }), false } } };
static const shape sh_custom_def = { NULL, (const variant[]){ { NULL, FIELDS({ "name", &v_text }, { "description", &v_text },
                                                                               { "format", &v_free }), false } } };
static const vspec v_fn_def = { .obj = &sh_fn_def };
static const vspec v_custom_def = { .obj = &sh_custom_def };
static const shape sh_tool = { "type", (const variant[]){
    { "function", FIELDS({ "function", &v_fn_def }), false },
    { "custom", FIELDS({ "custom", &v_custom_def }), false },
    { NULL, NULL, false } } };
static const vspec v_tool = { .obj = &sh_tool };
static const vspec v_tools = { .items = &v_tool, .null = true };
static const vspec v_functions = { .items = &v_fn_def, .null = true };

/* tool_choice / function_call: a mode or a named choice. */
static const shape sh_name = { NULL, (const variant[]){ { NULL, FIELDS({ "name", &v_text }), false } } };
static const vspec v_name_obj = { .obj = &sh_name };
static const vspec v_tool_mode = { .str = S_ENUM, .enums = ENUMS("auto", "required") };
static const shape sh_allowed = { NULL, (const variant[]){ { NULL, FIELDS({ "mode", &v_tool_mode }, { "tools", &v_free }), false } } };
static const vspec v_allowed = { .obj = &sh_allowed };
static const shape sh_tool_choice = { "type", (const variant[]){
    { "function", FIELDS({ "function", &v_name_obj }), false },
    { "custom", FIELDS({ "custom", &v_name_obj }), false },
    { "allowed_tools", FIELDS({ "allowed_tools", &v_allowed }), false },
    { NULL, NULL, false } } };
static const vspec v_tool_choice = { .str = S_ENUM, .enums = ENUMS("none", "auto", "required"), .obj = &sh_tool_choice,
                                     .null = true };
static const vspec v_function_call = { .str = S_ENUM, .enums = ENUMS("none", "auto"), .obj = &sh_name, .null = true };

/* response_format: the model reads a JSON schema's name, description and body. */
static const shape sh_json_schema = { NULL, (const variant[]){ { NULL, FIELDS({ "name", &v_text }, { "description", &v_text },
                                                                                { "schema", &v_free }, { "strict", &v_bool }), false } } };
static const vspec v_json_schema = { .obj = &sh_json_schema };
static const shape sh_response_format = { "type", (const variant[]){
    { "text", FIELDS({ NULL, NULL }), false },
    { "json_object", FIELDS({ NULL, NULL }), false },
    { "json_schema", FIELDS({ "json_schema", &v_json_schema }), false },
    { NULL, NULL, false } } };
static const vspec v_response_format = { .obj = &sh_response_format, .null = true };

/* prediction, audio output, stream options, web search options. */
static const shape sh_prediction = { "type", (const variant[]){ { "content", FIELDS({ "content", &v_text_content }), false },
                                                               { NULL, NULL, false } } };
static const vspec v_prediction = { .obj = &sh_prediction, .null = true };
static const vspec v_voice = { .str = S_TEXT, .obj = &sh_audio_ref };
static const shape sh_audio_out = { NULL, (const variant[]){ { NULL, FIELDS({ "format", &v_out_audio_format }, { "voice", &v_voice }), false } } };
static const vspec v_audio_out = { .obj = &sh_audio_out, .null = true };
static const shape sh_stream_opts = { NULL, (const variant[]){ { NULL, FIELDS({ "include_usage", &v_bool },
                                                                                { "include_obfuscation", &v_bool }), false } } };
static const vspec v_stream_opts = { .obj = &sh_stream_opts, .null = true };
static const shape sh_approx = { NULL, (const variant[]){ { NULL, FIELDS({ "city", &v_text }, { "country", &v_text },
                                                                           { "region", &v_text }, { "timezone", &v_text }), false } } };
static const vspec v_approx = { .obj = &sh_approx };
static const shape sh_location = { "type", (const variant[]){ { "approximate", FIELDS({ "approximate", &v_approx }), false },
                                                             { NULL, NULL, false } } };
static const vspec v_location = { .obj = &sh_location, .null = true };
static const shape sh_web_search = { NULL, (const variant[]){ { NULL, FIELDS({ "search_context_size", &v_lmh },
                                                                               { "user_location", &v_location }), false } } };
static const vspec v_web_search = { .obj = &sh_web_search, .null = true };

/* prompt / input: text, or token IDs (refused unless allowed). */
static const vspec v_prompt = { .str = S_TEXT, .special = X_TOKENS, .null = true };

#define COMMON_SAMPLING                                                                                              \
    { "model", &v_model }, { "frequency_penalty", &v_penalty }, { "presence_penalty", &v_penalty },                 \
        { "logit_bias", &v_logit_bias }, { "max_tokens", &v_tokens_max }, { "n", &v_count }, { "seed", &v_seed },   \
        { "stop", &v_stop }, { "stream", &v_bool }, { "stream_options", &v_stream_opts },                            \
        { "temperature", &v_temperature }, { "top_p", &v_top_p }, { "user", &v_text }

/* The three routes (vt_audit_route order). */
static const shape sh_chat = { NULL, (const variant[]){ { NULL, FIELDS(COMMON_SAMPLING,
    { "messages", &v_messages }, { "audio", &v_audio_out }, { "function_call", &v_function_call },
    { "functions", &v_functions }, { "logprobs", &v_bool }, { "max_completion_tokens", &v_tokens_max },
    { "metadata", &v_free }, { "modalities", &v_modalities }, { "parallel_tool_calls", &v_bool },
    { "prediction", &v_prediction }, { "prompt_cache_key", &v_text_n }, { "prompt_cache_retention", &v_cache_retention },
    { "reasoning_effort", &v_effort }, { "response_format", &v_response_format },
    { "safety_identifier", &v_text_n }, { "service_tier", &v_service_tier }, { "store", &v_bool },
    { "tool_choice", &v_tool_choice }, { "tools", &v_tools }, { "top_logprobs", &v_top_logprobs },
    { "verbosity", &v_lmh }, { "web_search_options", &v_web_search }), false } } };
static const shape sh_completions = { NULL, (const variant[]){ { NULL, FIELDS(COMMON_SAMPLING,
    { "prompt", &v_prompt }, { "suffix", &v_text_n }, { "best_of", &v_count }, { "echo", &v_bool },
    { "logprobs", &v_top_logprobs }), false } } };
static const shape sh_embeddings = { NULL, (const variant[]){ { NULL, FIELDS({ "model", &v_model }, { "input", &v_prompt },
    { "dimensions", &v_dimensions }, { "encoding_format", &v_encoding }, { "user", &v_text }), false } } };

/* ---- the walk ---- */

typedef struct rwalk {
    vt_audit_ctx *x;
    audit_state *st;
    vt_audit_report *rep;
    audit_req_opts opt;
    const audit_req_view *view;
    vt_buf path; /* "messages[0].content", NUL-terminated */
    vt_err *err;
} rwalk;

static const char *path_of(const rwalk *w) { return w->path.len > 0 ? (const char *)w->path.data : "(body)"; }

static vt_status path_push_key(rwalk *w, const char *k, size_t *mark)
{
    vt_status rc = VT_OK;

    *mark = w->path.len;
    if (w->path.len > 0)
        rc = vt_buf_append(&w->path, ".", 1, w->err);
    if (rc == VT_OK)
        rc = vt_buf_append_str(&w->path, k, w->err);
    if (rc == VT_OK)
        rc = vt_buf_terminate(&w->path, w->err);
    return rc;
}

static vt_status path_push_index(rwalk *w, size_t i, size_t *mark)
{
    char s[32];
    vt_status rc;

    *mark = w->path.len;
    snprintf(s, sizeof(s), "[%zu]", i);
    rc = vt_buf_append_str(&w->path, s, w->err);
    if (rc == VT_OK)
        rc = vt_buf_terminate(&w->path, w->err);
    return rc;
}

static void path_pop(rwalk *w, size_t mark)
{
    w->path.len = mark;
    if (w->path.data != NULL)
        w->path.data[mark] = '\0';
}

static void visit(rwalk *w, bool key, const char *s, size_t n, audit_req_how how)
{
    if (w->view != NULL)
        w->view->visit(w->view->arg, path_of(w), key, s, n, how);
}

static vt_status refuse(rwalk *w, const char *what)
{
    return vt_err_set(w->err, VT_E_FORMAT, "audit: field \"%.120s\" %s", path_of(w), what);
}

/* Scans text; *changed tells whether the redacted text (in x->red) differs. */
static vt_status scan(rwalk *w, const char *s, size_t n, bool *changed)
{
    vt_status rc = vt__audit_scan_text(w->x, w->st, (const uint8_t *)s, n, w->err);

    *changed = rc == VT_OK && w->st->changed;
    return rc;
}

/* Scans a string value in place. */
static vt_status scan_string(rwalk *w, json_t *v)
{
    bool changed = false;
    vt_status rc;

    visit(w, false, json_string_value(v), json_string_length(v), AUDIT_REQ_SCANNED);
    rc = scan(w, json_string_value(v), json_string_length(v), &changed);
    if (rc == VT_OK && changed && json_string_setn(v, (const char *)w->x->red.data, w->x->red.len) != 0)
        rc = vt_err_set(w->err, VT_E_INTERNAL, "audit: cannot store the redacted text of \"%.120s\"", path_of(w));
    return rc;
}

/* A subtree no auditor reads (allowed by policy): every string is reported. */
static void visit_unaudited(rwalk *w, json_t *v)
{
    const char *k;
    json_t *c;
    size_t i, mark;

    if (w->view == NULL)
        return;
    if (json_is_string(v)) {
        visit(w, false, json_string_value(v), json_string_length(v), AUDIT_REQ_UNAUDITED);
    } else if (json_is_object(v)) {
        json_object_foreach(v, k, c) {
            if (path_push_key(w, k, &mark) != VT_OK)
                return;
            visit(w, true, k, strlen(k), AUDIT_REQ_UNAUDITED);
            visit_unaudited(w, c);
            path_pop(w, mark);
        }
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, c) {
            if (path_push_index(w, i, &mark) != VT_OK)
                return;
            visit_unaudited(w, c);
            path_pop(w, mark);
        }
    }
}

static vt_status walk_free(rwalk *w, json_t *v, int depth);

/* One member of free-form JSON: strings scanned in place, numbers scanned as
 * the text the model server will see (a redacted number becomes the
 * placeholder string), containers walked. */
static vt_status free_member(rwalk *w, json_t *parent, const char *key, size_t idx, json_t *v, int depth)
{
    char num[64];
    bool changed = false;
    json_t *rep;
    vt_status rc;

    if (json_is_string(v))
        return scan_string(w, v);
    if (json_is_object(v) || json_is_array(v))
        return walk_free(w, v, depth + 1);
    if (json_is_integer(v))
        snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else if (json_is_real(v))
        snprintf(num, sizeof(num), "%.17g", json_real_value(v));
    else
        return VT_OK; /* true, false, null */
    rc = scan(w, num, strlen(num), &changed);
    if (rc != VT_OK || !changed)
        return rc;
    rep = json_stringn((const char *)w->x->red.data, w->x->red.len);
    if (rep == NULL || (key != NULL ? json_object_set_new(parent, key, rep) : json_array_set_new(parent, idx, rep)) != 0)
        return vt_err_set(w->err, VT_E_NOMEM, "audit: out of memory");
    return VT_OK;
}

/* Free-form JSON the model reads: every key, string and number is audited.
 * An object whose keys were redacted is rebuilt in the same order; two keys
 * that redact to the same text are refused. */
static vt_status walk_free(rwalk *w, json_t *v, int depth)
{
    const char *k;
    json_t *c, *n = NULL;
    size_t i, mark, seen = 0;
    vt_status rc = VT_OK;

    if (depth > MAX_DEPTH)
        return refuse(w, "nests deeper than the gateway audits");
    if (json_is_array(v)) {
        json_array_foreach(v, i, c) {
            rc = path_push_index(w, i, &mark);
            if (rc == VT_OK)
                rc = free_member(w, v, NULL, i, c, depth);
            path_pop(w, mark);
            if (rc != VT_OK)
                return rc;
        }
        return VT_OK;
    }
    if (!json_is_object(v))
        return VT_OK;
    json_object_foreach(v, k, c) {
        bool changed = false;
        const char *nk = k;
        rc = path_push_key(w, k, &mark);
        if (rc != VT_OK)
            break;
        visit(w, true, k, strlen(k), AUDIT_REQ_SCANNED);
        rc = scan(w, k, strlen(k), &changed);
        if (rc == VT_OK && changed && n == NULL) {
            /* First redacted key: copy the members before it. */
            const char *k2;
            json_t *c2;
            size_t j = 0;
            n = json_object();
            if (n == NULL)
                rc = vt_err_set(w->err, VT_E_NOMEM, "audit: out of memory");
            json_object_foreach(v, k2, c2) {
                if (rc != VT_OK || j++ == seen)
                    break;
                if (json_object_set(n, k2, c2) != 0)
                    rc = vt_err_set(w->err, VT_E_NOMEM, "audit: out of memory");
            }
        }
        if (rc == VT_OK && changed) {
            rc = vt_buf_terminate(&w->x->red, w->err);
            nk = (const char *)w->x->red.data;
        }
        if (rc == VT_OK && n != NULL && json_object_get(n, nk) != NULL)
            rc = refuse(w, "is the same as another key once redacted");
        if (rc == VT_OK && n != NULL && json_object_set(n, nk, c) != 0)
            rc = vt_err_set(w->err, VT_E_NOMEM, "audit: out of memory");
        path_pop(w, mark);
        if (rc != VT_OK)
            break;
        seen++;
    }
    if (rc == VT_OK && n != NULL && (json_object_clear(v) != 0 || json_object_update(v, n) != 0))
        rc = vt_err_set(w->err, VT_E_NOMEM, "audit: out of memory");
    json_decref(n);
    json_object_foreach(v, k, c) {
        if (rc != VT_OK)
            break;
        rc = path_push_key(w, k, &mark);
        if (rc == VT_OK)
            rc = free_member(w, v, k, 0, c, depth);
        path_pop(w, mark);
    }
    return rc;
}

/* A string holding JSON (tool-call arguments): the parsed value is audited
 * as free-form JSON and the string is replaced by its compact serialisation,
 * so the model reads exactly what was audited.  Text that is not JSON is
 * scanned as text. */
static vt_status walk_json_text(rwalk *w, json_t *s)
{
    json_t *box = NULL, *doc = json_loadb(json_string_value(s), json_string_length(s),
                                          JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    const audit_req_view *view = w->view;
    char *out = NULL;
    vt_status rc;

    if (doc == NULL)
        return scan_string(w, s);
    /* The view sees the string; what is inside it is audited as free-form JSON. */
    visit(w, false, json_string_value(s), json_string_length(s), AUDIT_REQ_SCANNED);
    w->view = NULL;
    box = json_array();
    if (box == NULL || json_array_append_new(box, doc) != 0) {
        json_decref(box);
        w->view = view;
        return vt_err_set(w->err, VT_E_NOMEM, "audit: out of memory");
    }
    rc = free_member(w, box, NULL, 0, doc, 0);
    if (rc == VT_OK) {
        out = json_dumps(json_array_get(box, 0), JSON_COMPACT | JSON_ENCODE_ANY);
        if (out == NULL || json_string_set(s, out) != 0)
            rc = vt_err_set(w->err, VT_E_NOMEM, "audit: out of memory");
    }
    free(out);
    json_decref(box);
    w->view = view;
    return rc;
}

/* prompt / input as token IDs: an array of integers or of arrays of integers. */
static vt_status walk_tokens(rwalk *w, json_t *a)
{
    json_t *c, *t;
    size_t i, j;

    json_array_foreach(a, i, c) {
        bool ok = json_is_integer(c) && json_integer_value(c) >= 0 && json_integer_value(c) <= TOKEN_MAX;
        if (json_is_array(c)) {
            ok = true;
            json_array_foreach(c, j, t)
                ok &= json_is_integer(t) && json_integer_value(t) >= 0 && json_integer_value(t) <= TOKEN_MAX;
        }
        if (!ok)
            return refuse(w, "mixes token IDs with other values");
    }
    if (!w->opt.allow_token_ids)
        return refuse(w, "holds token IDs, which no auditor can read: not allowed (policy allow_token_ids)");
    vt_audit_report_unaudited(w->rep, strrchr(path_of(w), '.') != NULL ? strrchr(path_of(w), '.') + 1 : path_of(w));
    return VT_OK;
}

static vt_status walk_logit_bias(rwalk *w, json_t *o)
{
    const char *k;
    json_t *c;

    if (!json_is_object(o))
        return refuse(w, "must be an object of token IDs to numbers from -100 to 100");
    json_object_foreach(o, k, c) {
        size_t n = strlen(k), mark;
        bool ok = n >= 1 && n <= 10 && strspn(k, "0123456789") == n && json_is_number(c) &&
                  json_number_value(c) >= -100 && json_number_value(c) <= 100;
        if (!ok)
            return refuse(w, "must be an object of token IDs to numbers from -100 to 100");
        if (path_push_key(w, k, &mark) != VT_OK)
            return VT_E_NOMEM;
        visit(w, true, k, n, AUDIT_REQ_CONTROL);
        path_pop(w, mark);
    }
    return VT_OK;
}

static bool model_ok(const char *s, size_t n)
{
    if (n == 0 || n > MODEL_MAX || strlen(s) != n || s[0] == '.' || s[0] == '/' || strstr(s, "..") != NULL)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
              c == '_' || c == ':' || c == '/'))
            return false;
    }
    return true;
}

static vt_status walk_value(rwalk *w, const vspec *vs, json_t *v);

static const variant *pick_variant(rwalk *w, const shape *sh, json_t *o, vt_status *rc)
{
    const char *tag;
    json_t *t;
    size_t mark;

    *rc = VT_OK;
    if (sh->tag == NULL)
        return &sh->variants[0];
    t = json_object_get(o, sh->tag);
    *rc = path_push_key(w, sh->tag, &mark);
    if (*rc != VT_OK)
        return NULL;
    tag = json_string_value(t);
    for (const variant *va = sh->variants; tag != NULL && va->tag != NULL; va++) {
        if (strcmp(tag, va->tag) == 0 && strlen(tag) == json_string_length(t)) {
            visit(w, false, json_string_value(t), json_string_length(t), AUDIT_REQ_CONTROL);
            path_pop(w, mark);
            return va;
        }
    }
    *rc = refuse(w, t == NULL ? "is missing" : "has a value the gateway does not know");
    path_pop(w, mark);
    return NULL;
}

static vt_status walk_object(rwalk *w, const shape *sh, json_t *o)
{
    const variant *va;
    const char *k;
    json_t *c;
    size_t mark;
    vt_status rc;

    va = pick_variant(w, sh, o, &rc);
    if (va == NULL)
        return rc;
    if (va->media) {
        if (!w->opt.allow_media)
            return vt_err_set(w->err, VT_E_FORMAT,
                              "audit: field \"%.120s\" is a %s part, which no auditor can read: not allowed "
                              "(policy allow_media)", path_of(w), va->tag);
        vt_audit_report_unaudited(w->rep, va->tag);
    }
    json_object_foreach(o, k, c) {
        const field *f = NULL;
        rc = path_push_key(w, k, &mark);
        if (rc != VT_OK)
            return rc;
        if (sh->tag != NULL && strcmp(k, sh->tag) == 0) {
            visit(w, true, k, strlen(k), AUDIT_REQ_CONTROL);
            path_pop(w, mark);
            continue;
        }
        for (const field *p = va->fields; p->name != NULL && f == NULL; p++)
            if (strcmp(p->name, k) == 0)
                f = p;
        if (f == NULL && !w->opt.allow_unknown_fields) {
            rc = refuse(w, "is not audited and not allowed");
        } else if (f == NULL) {
            vt_audit_report_unaudited(w->rep, k);
            visit(w, true, k, strlen(k), AUDIT_REQ_UNAUDITED);
            visit_unaudited(w, c);
        } else {
            visit(w, true, k, strlen(k), AUDIT_REQ_CONTROL);
            rc = walk_value(w, f->v, c);
        }
        path_pop(w, mark);
        if (rc != VT_OK)
            return rc;
    }
    return VT_OK;
}

/* "must be a string, an array or null" from what vs accepts. */
static vt_status wrong_type(rwalk *w, const vspec *vs)
{
    char what[160], range[64];
    size_t n = 0;
    const char *parts[8];
    size_t np = 0;

    if (vs->str == S_ENUM) {
        n = (size_t)snprintf(what, sizeof(what), "one of");
        for (size_t i = 0; vs->enums[i] != NULL && n < sizeof(what); i++)
            n += (size_t)snprintf(what + n, sizeof(what) - n, "%s \"%s\"", i > 0 ? "," : "", vs->enums[i]);
        parts[np++] = what;
    } else if (vs->str != S_NO) {
        parts[np++] = "a string";
    }
    if (vs->num != N_NO) {
        snprintf(range, sizeof(range), "%s from %g to %g", vs->num == N_INT ? "an integer" : "a number", vs->lo, vs->hi);
        parts[np++] = range;
    }
    if (vs->items != NULL || vs->special == X_TOKENS || vs->special == X_FREE)
        parts[np++] = "an array";
    if (vs->obj != NULL || vs->special == X_FREE || vs->special == X_LOGIT_BIAS)
        parts[np++] = "an object";
    if (vs->boolean)
        parts[np++] = "a boolean";
    if (vs->null)
        parts[np++] = "null";
    {
        char msg[240];
        size_t m = (size_t)snprintf(msg, sizeof(msg), "must be");
        for (size_t i = 0; i < np && m < sizeof(msg); i++)
            m += (size_t)snprintf(msg + m, sizeof(msg) - m, "%s %s", i == 0 ? "" : i + 1 == np ? " or" : ",", parts[i]);
        return refuse(w, msg);
    }
}

/*
 * A message's content written as a list (strings, text and refusal parts), after each piece was
 * audited and redacted in place: the model reads the pieces joined (a chat template puts the text
 * parts side by side), so a finding only the joined text shows (an address split between two
 * parts) cannot be redacted in the pieces, and the request is refused.
 */
static vt_status parts_joined(rwalk *w, const json_t *list)
{
    uint32_t alone = 0, joined = 0, found;
    vt_status rc = VT_OK;
    const json_t *c;
    size_t i, pieces = 0;
    vt_buf view;

    vt_buf_init(&view);
    json_array_foreach(list, i, c) {
        const char *type = json_string_value(json_object_get(c, "type"));
        const json_t *t = json_is_string(c)                                  ? c
                          : type != NULL && strcmp(type, "text") == 0    ? json_object_get(c, "text")
                          : type != NULL && strcmp(type, "refusal") == 0 ? json_object_get(c, "refusal")
                                                                           : NULL;
        if (rc != VT_OK || !json_is_string(t) || json_string_length(t) == 0)
            continue;
        rc = vt__audit_count_found(w->x, w->st, (const uint8_t *)json_string_value(t), json_string_length(t), &found,
                                   w->err);
        alone += found;
        pieces++;
        if (rc == VT_OK)
            rc = vt_buf_append(&view, json_string_value(t), json_string_length(t), w->err);
    }
    if (rc == VT_OK && pieces > 1)
        rc = vt__audit_count_found(w->x, w->st, view.data, view.len, &joined, w->err);
    if (rc == VT_OK && joined > alone)
        rc = refuse(w, "holds a finding only its parts joined show (the model reads them side by side): send it as "
                       "one text");
    vt_buf_free(&view);
    return rc;
}

static vt_status walk_string(rwalk *w, const vspec *vs, json_t *v)
{
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);

    switch (vs->str) {
    case S_TEXT:
        return scan_string(w, v);
    case S_JSONTEXT:
        return walk_json_text(w, v);
    case S_URL: /* a data: URL is an inline payload */
        if (n < 5 || strncmp(s, "data:", 5) != 0)
            return scan_string(w, v);
        visit(w, false, s, n, AUDIT_REQ_UNAUDITED); /* recorded by the media part */
        return VT_OK;
    case S_MEDIA:
        visit(w, false, s, n, AUDIT_REQ_UNAUDITED);
        return VT_OK;
    case S_MODEL:
        if (!model_ok(s, n))
            return refuse(w, "must be 1-256 of [A-Za-z0-9._:/-]");
        visit(w, false, s, n, AUDIT_REQ_CONTROL);
        return VT_OK;
    case S_ENUM:
        for (size_t i = 0; vs->enums[i] != NULL; i++) {
            if (strcmp(s, vs->enums[i]) == 0 && strlen(s) == n) {
                if (vs->media && i > 0 && !w->opt.allow_media)
                    return vt_err_set(w->err, VT_E_FORMAT,
                                      "audit: field \"%.120s\" asks for %s output, which no auditor can read: not "
                                      "allowed (policy allow_media)", path_of(w), s);
                if (vs->media && i > 0)
                    vt_audit_report_unaudited(w->rep, s);
                visit(w, false, s, n, AUDIT_REQ_CONTROL);
                return VT_OK;
            }
        }
        return wrong_type(w, vs);
    default:
        return wrong_type(w, vs);
    }
}

static vt_status walk_value(rwalk *w, const vspec *vs, json_t *v)
{
    json_t *c;
    size_t i, mark;
    vt_status rc;

    if (json_is_null(v))
        return vs->null ? VT_OK : wrong_type(w, vs);
    if (vs->special == X_FREE)
        return json_is_object(v) || json_is_array(v) ? walk_free(w, v, 0) : wrong_type(w, vs);
    if (vs->special == X_LOGIT_BIAS)
        return walk_logit_bias(w, v);
    if (json_is_string(v))
        return walk_string(w, vs, v);
    if (json_is_boolean(v))
        return vs->boolean ? VT_OK : wrong_type(w, vs);
    if (json_is_number(v)) {
        double d = json_number_value(v);
        if (vs->num == N_NO || (vs->num == N_INT && !json_is_integer(v)) || !(d >= vs->lo && d <= vs->hi))
            return wrong_type(w, vs);
        return VT_OK;
    }
    if (json_is_object(v))
        return vs->obj != NULL ? walk_object(w, vs->obj, v) : wrong_type(w, vs);
    /* an array */
    if (vs->special == X_TOKENS) {
        json_t *first = json_array_get(v, 0);
        if (first != NULL && !json_is_string(first))
            return walk_tokens(w, v);
        json_array_foreach(v, i, c) {
            rc = path_push_index(w, i, &mark);
            if (rc == VT_OK)
                rc = json_is_string(c) ? scan_string(w, c) : refuse(w, "mixes token IDs with text");
            path_pop(w, mark);
            if (rc != VT_OK)
                return rc;
        }
        return VT_OK;
    }
    if (vs->items == NULL)
        return wrong_type(w, vs);
    json_array_foreach(v, i, c) {
        rc = path_push_index(w, i, &mark);
        if (rc == VT_OK)
            rc = walk_value(w, vs->items, c);
        path_pop(w, mark);
        if (rc != VT_OK)
            return rc;
    }
    return vs == &v_content || vs == &v_text_content ? parts_joined(w, v) : VT_OK;
}

static const shape *route_shape(vt_audit_route r)
{
    switch (r) {
    case VT_AUDIT_ROUTE_CHAT:
        return &sh_chat;
    case VT_AUDIT_ROUTE_COMPLETIONS:
        return &sh_completions;
    case VT_AUDIT_ROUTE_EMBEDDINGS:
        return &sh_embeddings;
    }
    return NULL;
}

vt_status vt__audit_request_tree(vt_audit_report *rep, vt_audit_ctx *x, audit_state *st, vt_audit_route route,
                                 json_t *doc, const audit_req_view *view, vt_err *err)
{
    const vt_audit_chain *c = x->c;
    const shape *sh = route_shape(route);
    rwalk w;
    vt_status rc;

    if (sh == NULL)
        return vt_err_set(err, VT_E_ARG, "audit: unknown request route %d", (int)route);
    if (!json_is_object(doc))
        return vt_err_set(err, VT_E_FORMAT, "audit: request body is not a JSON object");
    memset(&w, 0, sizeof(w));
    w.x = x;
    w.st = st;
    w.rep = rep;
    w.view = view;
    w.err = err;
    for (size_t ai = 0; ai < c->len; ai++)
        if (c->a[ai].kind == A_POLICY)
            w.opt = c->a[ai].req_opts;
    rc = vt_buf_terminate(&w.path, err);
    if (rc == VT_OK)
        rc = walk_object(&w, sh, doc);
    vt_buf_free(&w.path);
    return rc;
}

vt_status vt_audit_request(vt_audit_report *rep, vt_buf *forward, vt_audit_ctx *x, vt_audit_route route,
                           const uint8_t *body, size_t len, vt_err *err)
{
    const vt_audit_chain *c = x->c;
    audit_state st;
    json_error_t jerr;
    json_t *doc = NULL, *m;
    char model[MODEL_MAX + 1] = "";
    bool have_model = false, too_large = false, active = false;
    size_t mark = forward->len;
    vt_status rc = VT_E_INTERNAL;

    memset(&st, 0, sizeof(st));
    st.db = &c->req;
    st.phase = VT_AUDIT_REQUEST;
    if (len > VT_AUDIT_MAX_BODY) {
        vt_audit_report_failed(rep, VT_AUDIT_REQUEST);
        return vt_err_set(err, VT_E_LIMIT, "audit: request body of %zu bytes exceeds %zu", len, VT_AUDIT_MAX_BODY);
    }
    for (size_t ai = 0; ai < c->len; ai++) {
        const audit_auditor *a = &c->a[ai];
        active |= (a->kind == A_PII || a->kind == A_POLICY) && (a->phases & VT_AUDIT_REQUEST);
        too_large |= a->kind == A_POLICY && (a->phases & VT_AUDIT_REQUEST) && a->max_input != 0 && len > a->max_input;
    }
    if (too_large) {
        /* Refused unread: nothing to forward. */
        vt__audit_entries(rep, c, &st, NULL, len, true);
        return VT_OK;
    }
    doc = vt__json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
    if (doc == NULL || !json_is_object(doc)) {
        rc = vt_err_set(err, VT_E_FORMAT, "audit: request body is not one JSON object (%.80s)",
                        doc == NULL ? jerr.text : "another JSON value");
        goto out;
    }
    m = json_object_get(doc, "model");
    if (json_is_string(m) && json_string_length(m) <= MODEL_MAX) {
        memcpy(model, json_string_value(m), json_string_length(m) + 1);
        have_model = true;
    }
    rc = vt__audit_request_tree(rep, x, &st, route, doc, NULL, err);
    if (rc == VT_OK && vt__json_dump_buf(forward, doc, JSON_COMPACT, NULL) != VT_OK)
        rc = vt_err_set(err, VT_E_NOMEM, "audit: cannot serialise the audited request");
    if (rc != VT_OK)
        goto out;
    vt__audit_entries(rep, c, &st, have_model ? model : NULL, len, true);
    if (active)
        vt_audit_report_covered(rep, VT_AUDIT_REQUEST);
out:
    if (rc != VT_OK) {
        forward->len = mark;
        vt_audit_report_failed(rep, VT_AUDIT_REQUEST);
    }
    json_decref(doc);
    return rc;
}
