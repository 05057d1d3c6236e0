/*
 * Example external auditor in C (sdk/c/veritee_auditor.h): customer identifiers.
 *
 * Redacts customer numbers ("CUST-" and 4 to 12 digits) to "[CUSTOMER_ID]" and
 * blocks a text that carries an SQL statement that drops or truncates a table.
 * Request and response phases.
 *
 * Build: CMake target veritee-example-auditor.  Run: auditor --socket PATH
 */
#include "veritee_auditor.h"

#include <ctype.h>
#include <strings.h>

static bool has_ddl(const char *s, size_t n)
{
    static const char *const bad[] = { "drop table", "truncate table" };

    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < 2; k++)
            if (n - i >= strlen(bad[k]) && strncasecmp(s + i, bad[k], strlen(bad[k])) == 0)
                return true;
    return false;
}

static json_t *audit(const vta_request *rq, void *arg)
{
    json_t *ans = vta_allow();

    (void)arg;
    for (size_t t = 0; t < rq->text_count; t++)
        if (has_ddl(rq->texts[t].text, rq->texts[t].len)) {
            json_decref(ans);
            return vta_block("an SQL statement that destroys a table", "sql_ddl");
        }
    for (size_t t = 0; t < rq->text_count; t++) {
        const char *s = rq->texts[t].text;
        size_t n = rq->texts[t].len;
        for (size_t i = 0; i + 5 <= n; i++) {
            size_t d = 0;
            if (memcmp(s + i, "CUST-", 5) != 0 || (i > 0 && isalnum((unsigned char)s[i - 1])))
                continue;
            while (i + 5 + d < n && isdigit((unsigned char)s[i + 5 + d]))
                d++;
            if (d < 4 || d > 12 || (i + 5 + d < n && isalnum((unsigned char)s[i + 5 + d])))
                continue;
            vta_redact(ans, t, i, i + 5 + d, "[CUSTOMER_ID]");
            vta_finding(ans, "customer_id");
            i += 4 + d;
        }
    }
    return ans;
}

int main(int argc, char **argv)
{
    static const char *const phases[] = { "request", "response", NULL };

    if (argc != 3 || strcmp(argv[1], "--socket") != 0) {
        fprintf(stderr, "usage: %s --socket PATH\n", argv[0]);
        return 2;
    }
    return vta_serve(argv[2], "customer-ids", "1.0.0", phases, audit, NULL);
}
