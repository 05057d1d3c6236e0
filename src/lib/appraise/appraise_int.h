/* Internals shared by the appraise module's files (HS-1); never exported. */
#ifndef VT_APPRAISE_INT_H
#define VT_APPRAISE_INT_H

#include <jansson.h>

#include "crypto/jose_int.h"
#include "veritee/jws.h"
#include "veritee/passport.h"

/* Rank of a TCB status, best first: UpToDate 0, SWHardeningNeeded 1,
 * ConfigurationNeeded(AndSWHardeningNeeded) 2, OutOfDate(ConfigurationNeeded) 3,
 * Revoked 4; -1 for anything else ("unknown", "none", ...). */
int vt__tcb_rank(const char *status);

/* A passport's "measured" for one component: the log's digests of its events, hex,
 * comma-separated in log order; false when there are more than VT_APPRAISAL_MAX_DIGESTS,
 * which no passport names (out then holds the first of them).  appraise.c. */
bool vt__measured_of(char out[VT_APPRAISAL_MEASURED_MAX], const vt_mlog *log, vt_component comp);

/* A token's "iss" is the configured verifier's (rp.c): equal to jwks_issuer when the key set names
 * one, else, when iss is a URL and a verifier URL is configured, that URL.  VT_E_POLICY naming what
 * ("passport pass-…", "environment prod") and both issuers otherwise.  vt_passport_check_issuer and
 * vt_env_token_verify. */
vt_status vt__issuer_check(const char *iss, const char *what, const char *jwks_issuer, const char *verifier,
                           vt_err *err);

#endif
