/* libFuzzer: the NVIDIA RIM (SWID XML) parser, and the XML-DSig path, on
 * arbitrary bytes.  Nothing is trusted here (an empty root list), so no
 * input may ever verify; a parsed RIM stays within its bounds. */
#include <stdlib.h>
#include <string.h>

#include "tee/nvgpu_rim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static vt__nvgpu_rim rim;

    if (vt__nvgpu_rim_parse(&rim, data, size, NULL) == VT_OK) {
        if (rim.meas_count == 0 || rim.meas_count > VT_NVGPU_RIM_MEAS_MAX)
            abort();
        for (size_t i = 0; i < rim.meas_count; i++)
            if (rim.meas[i].alt_count == 0 || rim.meas[i].alt_count > VT_NVGPU_RIM_ALT_MAX ||
                rim.meas[i].len == 0 || rim.meas[i].len > VT_NVGPU_RIM_VALUE_MAX)
                abort();
    }
    if (vt__nvgpu_rim_verify(&rim, data, size, NULL, 0, 1748736000, NULL) == VT_OK)
        abort(); /* no root: nothing verifies */
    return 0;
}
