/* veritee: verifiable confidential AI.  Include this for the whole public API. */
#ifndef VERITEE_H
#define VERITEE_H

#include "veritee/base.h"
#include "veritee/crypto.h"
#include "veritee/hpke.h"
#include "veritee/tee.h"
#include "veritee/fetch.h"
#include "veritee/sim.h"
#include "veritee/composite.h"
#include "veritee/measure.h"
#include "veritee/weights.h"
#include "veritee/seal.h"
#include "veritee/mlog.h"
#include "veritee/register.h"
#include "veritee/tlog.h"
#include "veritee/jws.h"
#include "veritee/jwe.h"
#include "veritee/passport.h"
#include "veritee/kbs.h"
#include "veritee/receipt.h"
#include "veritee/audit.h"
#include "veritee/http.h"
#include "veritee/ohttp.h"
#include "veritee/attester.h"
#include "veritee/workflow.h"
#include "veritee/rp.h"

#define VT_VERSION_STRING "0.1.0"

#endif
