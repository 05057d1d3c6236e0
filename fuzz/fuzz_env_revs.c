/* The environment revisions file `veritee chat` and `workflow validate` keep (src/cli/env_revs.c):
 * any text is taken or refused without a fault, and what is taken writes back to text that reads
 * as the same revisions (formatting twice gives the same bytes). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/env_revs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vt_env_revs *a = NULL, *b = NULL;
    vt_buf one, two;
    vt_err err;

    vt_buf_init(&one);
    vt_buf_init(&two);
    if (vt_env_revs_new(&a, &err) != VT_OK || vt_env_revs_new(&b, &err) != VT_OK)
        abort();
    if (vt_cli_env_revs_parse(a, "fuzz", data, size, &err) == VT_OK) {
        if (vt_cli_env_revs_format(&one, a, &err) != VT_OK)
            abort();
        if (vt_cli_env_revs_parse(b, "fuzz", one.data, one.len, &err) != VT_OK)
            abort(); /* what it writes it reads */
        if (vt_cli_env_revs_format(&two, b, &err) != VT_OK || one.len != two.len ||
            memcmp(one.data, two.data, one.len) != 0)
            abort();
    }
    vt_buf_free(&one);
    vt_buf_free(&two);
    vt_env_revs_free(a);
    vt_env_revs_free(b);
    return 0;
}
