/* The trivial external auditor for bench_auditors.sh: allows everything (the protocol's cost alone). */
#include "veritee_auditor.h"

static json_t *audit(const vta_request *rq, void *arg)
{
    (void)rq;
    (void)arg;
    return vta_allow();
}

int main(int argc, char **argv)
{
    static const char *const phases[] = { "request", "response", NULL };

    if (argc != 2) {
        fprintf(stderr, "usage: %s SOCKET\n", argv[0]);
        return 2;
    }
    return vta_serve(argv[1], "trivial", "1.0.0", phases, audit, NULL);
}
