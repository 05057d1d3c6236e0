/*
 * veritee measurement log: the ordered events (model, auditors, runtime,
 * config) that a trusted loader extends into one measurement register, and
 * their replay.  Format: docs/formats/mlog.md.
 *
 * Every event is bound whole: what is extended is
 *   data48 = SHA-384("veritee-event-v1" 0x00 || u8 component || u16le len(name) || name
 *                    || u8 digest alg || u8 len(digest) || digest)
 * and the register follows the TDX RTMR rule, reg = SHA-384(reg || data48),
 * starting from 48 zero bytes.  The mock register, TDX RTMR3 and Nitro's PCR 16
 * use this rule; a TPM's SHA-256 PCR takes the same encoding digested with
 * SHA-256 (vt_mlog_replay_md).  Which register a platform extends, and how a
 * verifier finds it: veritee/register.h.
 */
#ifndef VERITEE_MLOG_H
#define VERITEE_MLOG_H

#include "veritee/base.h"
#include "veritee/crypto.h"
#include "veritee/tee.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VT_MLOG_FORMAT "veritee-mlog-v1"
#define VT_MLOG_MAX_EVENTS 4096
#define VT_MLOG_MAX_BYTES ((size_t)1 << 20) /* serialized log */
#define VT_MLOG_NAME_MAX 128
#define VT_REGISTER_LEN 48 /* the largest register bank (SHA-384) */

typedef enum vt_component {
    VT_COMPONENT_MODEL = 1,
    VT_COMPONENT_AUDITOR = 2,
    VT_COMPONENT_RUNTIME = 3,
    VT_COMPONENT_CONFIG = 4,
    VT_COMPONENT_OTHER = 5,
} vt_component;

VT_API const char *vt_component_name(vt_component c); /* "model", ... */
VT_NODISCARD VT_API vt_status vt_component_parse(vt_component *out, const char *name, vt_err *err);

typedef struct vt_mlog_event {
    vt_component component;
    char name[VT_MLOG_NAME_MAX];
    vt_md alg;
    uint8_t digest[VT_MD_MAX];
    size_t digest_len;
} vt_mlog_event;

/* Caller owns, free with vt_mlog_free(). */
typedef struct vt_mlog vt_mlog;

VT_NODISCARD VT_API vt_status vt_mlog_new(vt_mlog **out, vt_err *err);
VT_API void vt_mlog_free(vt_mlog *l);
/* Appends an event; data48 (optional) receives what to extend into the register. */
VT_NODISCARD VT_API vt_status vt_mlog_append(vt_mlog *l, vt_component c, const char *name, vt_md alg,
                                             const uint8_t *digest, size_t digest_len, uint8_t data48[48],
                                             vt_err *err);
VT_API size_t vt_mlog_count(const vt_mlog *l);
/* Borrowed, valid while l lives and is not appended to. */
VT_API const vt_mlog_event *vt_mlog_get(const vt_mlog *l, size_t i);
/* The extend data of one event (its SHA-384 digest, see above). */
VT_NODISCARD VT_API vt_status vt_mlog_event_data(uint8_t data48[48], const vt_mlog_event *e, vt_err *err);
/* The same encoding digested with md (VT_MD_SHA256 or VT_MD_SHA384): what is extended into a
 * register of that bank (a TPM's SHA-256 PCR bank takes the SHA-256 one).  out holds vt_md_len(md). */
VT_NODISCARD VT_API vt_status vt_mlog_event_digest(uint8_t *out, vt_md md, const vt_mlog_event *e, vt_err *err);
/* Replays the whole log from a zero register: linear, one SHA-384 pair per event. */
VT_NODISCARD VT_API vt_status vt_mlog_replay(uint8_t reg[VT_REGISTER_LEN], const vt_mlog *l, vt_err *err);
/* The same in bank md: reg = H(reg || H(event encoding)) from vt_md_len(md) zero bytes. */
VT_NODISCARD VT_API vt_status vt_mlog_replay_md(uint8_t *reg, vt_md md, const vt_mlog *l, vt_err *err);

/* Serialized form: {"format":"veritee-mlog-v1","register":"sha384","events":[{"component",
 * "name","alg","digest"}]}.  Caller frees the string with free(). */
VT_NODISCARD VT_API vt_status vt_mlog_to_json(char **json_out, const vt_mlog *l, vt_err *err);
/* Parses untrusted bytes with hard caps (VT_MLOG_MAX_BYTES, VT_MLOG_MAX_EVENTS). */
VT_NODISCARD VT_API vt_status vt_mlog_parse(vt_mlog **out, const uint8_t *p, size_t len, vt_err *err);

#ifdef __cplusplus
}
#endif
#endif /* VERITEE_MLOG_H */
