/* libFuzzer: TCG2 crypto-agile event log replay on arbitrary bytes (one
 * linear pass; must never read past the input or exceed its caps). */
#include <stdlib.h>

#include "tee/tpm_eventlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static vt__tpm_evlog log;

    if (vt__tpm_evlog_replay(&log, data, size, NULL) == VT_OK &&
        (log.bank_count == 0 || log.event_count > VT_TPM_EVLOG_MAX_EVENTS))
        abort();
    return 0;
}
