/* veritee verifier: run the RATS verifier service (src/verifier). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "verifier/verifier.h"

enum { O_LISTEN = 256, O_STATE, O_DB, O_ADMIN, O_ISSUER, O_SIM, O_ROTATE, O_THREADS, O_RATE, O_BURST, O_GWRATE, O_MAXBODY,
       O_CONNS, O_TTL, O_KEEP, O_QUIET, O_PCS_URL, O_ROOT_CRL_URL, O_OFFLINE, O_RIM_URL, O_OCSP_URL, O_KEK };
enum { O_LOG_ORIGIN = 512, O_WITNESS, O_COMMIT_DELAY };
enum { O_PERCLIENT = 400, O_REQTIMEOUT }; /* connection limits (docs/operations.md) */
enum { O_SIMROOT = 600 };
enum { O_ALLOW_ORIGIN = 700, O_ALLOW_HOST };

static void usage(FILE *f)
{
    fprintf(f, "usage: veritee verifier --listen HOST:PORT [options]\n\n"
               "Runs the RATS verifier: challenges, evidence appraisal against registered\n"
               "environments, AI Passports signed with a rotating key (docs/verifier.md).\n\n"
               "  --listen HOST:PORT       e.g. 127.0.0.1:8600 or [::1]:8600; port 0 picks a free one\n"
               "  --state DIR              keys, the SQLite database, simulation roots\n"
               "                           (default $VERITEE_STATE or ~/.local/state/veritee)\n"
               "  --db URL                 sqlite:PATH (default sqlite:STATE/verifier.db; served by this process\n"
               "                           alone) or postgres://... (shared by several verifiers)\n"
               "  --admin-token-file F     bearer token for PUT /v1/environments (or $VERITEE_ADMIN_TOKEN);\n"
               "                           without one the admin API is disabled\n"
               "  --issuer NAME            passport issuer (default veritee-verifier)\n"
               "  --trust-sim              accept mock and simulated evidence (never hardware attested)\n"
               "  --sim-root FILE          with --trust-sim: also trust this simulation root, a prover's own\n"
               "                           <state>/sim/root_ca.pem (a gateway with its own state directory;\n"
               "                           never hardware attested; up to 4 times)\n"
               "  --rotate-keys-every S    rotate the signing key every S seconds (also on SIGHUP)\n"
               "  --key-keep S             publish retired keys for S seconds (default 604800)\n"
               "  --challenge-ttl S        nonce lifetime (default 300)\n"
               "  --threads N              event loops (default 4)\n"
               "  --rate R --burst B       requests per second per client address (default 50, burst 2R)\n"
               "  --gateway-rate R         requests per second per gateway authenticated by its passport\n"
               "                           (default 1000, burst 2R; docs/verifier.md)\n"
               "  --max-body BYTES         request body limit (default 1048576)\n"
               "  --max-connections N      open connection limit, counted from accept (default 512)\n"
               "  --max-per-client N       open connections from one client address (default 64)\n"
               "  --request-timeout S      a complete request must arrive within S seconds of accept\n"
               "                           (or of the previous reply), else 408; idle timeout S+1 (default 10)\n"
               "  --allow-origin ORIGIN    a web app (scheme://host[:port]) whose pages may call this verifier\n"
               "                           from a browser; repeatable, up to 32.  Requests with no Origin\n"
               "                           (curl, the CLI, SDKs) and from loopback pages are always served;\n"
               "                           any other Origin gets 403 (docs/verifier.md, \"Browsers\")\n"
               "  --allow-host NAME[:PORT] a name clients reach this verifier by (no port: any); repeatable,\n"
               "                           up to 32.  Once one is given, a request whose Host is neither\n"
               "                           listed nor a loopback name gets 421 (DNS rebinding; docs/verifier.md,\n"
               "                           \"Browsers\").  Default: any Host\n"
               "  --quiet                  no access log\n"
               "  --log-origin NAME        the transparency log's checkpoint origin (default HOST/veritee-log;\n"
               "                           fixed by the first checkpoint; docs/log.md)\n"
               "  --log-commit-delay MS    how long a log batch may wait for the attests still being checked,\n"
               "                           so they share one commit and fsync (default 2; 0 = never wait)\n"
               "  --witness URL,VKEY       offer each checkpoint to this C2SP tlog-witness (veritee log witness)\n"
               "                           and serve its cosignatures with the checkpoint; repeatable, up to 8\n"
               "  --pcs-url URL|none       Intel PCS v4 or PCCS for TDX collateral (default Intel's PCS,\n"
               "                           https://api.trustedservices.intel.com); cached in STATE/cache/collateral\n"
               "                           until nextUpdate, renewed a day before; none = --offline\n"
               "  --root-crl-url URL       Intel SGX Root CA CRL (default URL/sgx/certification/v4/rootcacrl)\n"
               "  --rim-url URL            NVIDIA RIM service for GPU RIMs (default https://rim.attestation.nvidia.com)\n"
               "  --ocsp-url URL           NVIDIA OCSP responder for GPU chains (default https://ocsp.ndis.nvidia.com)\n"
               "  --offline                fetch no collateral (what is cached is still used)\n"
               "  --kek-file F             the key broker's key-encryption key (32 bytes or 64 hex, mode 0600;\n"
               "                           default STATE/kbs-kek.key, made on first start; docs/keys.md)\n\n"
               "Stops cleanly on SIGTERM or SIGINT.\n");
}

static int read_token(vt_buf *out, const char *file)
{
    vt_err err = { 0 };
    const char *envtok = getenv("VERITEE_ADMIN_TOKEN");

    if (file != NULL) {
        if (vt_file_read_private(out, file, 4096, &err) != VT_OK)
            return vt_cli_usage_error("--admin-token-file: %s", err.msg);
    } else if (envtok != NULL && *envtok != '\0') {
        if (vt_buf_append_str(out, envtok, &err) != VT_OK)
            return vt_cli_fail(VT_E_NOMEM, &err);
    } else {
        return VT_EXIT_OK;
    }
    while (out->len > 0 && (out->data[out->len - 1] == '\n' || out->data[out->len - 1] == '\r' ||
                            out->data[out->len - 1] == ' '))
        out->len--;
    if (out->len < 16)
        return vt_cli_usage_error("the admin token must be at least 16 characters");
    if (memchr(out->data, '\n', out->len) != NULL)
        return vt_cli_usage_error("the admin token must be one line");
    return VT_EXIT_OK;
}

static bool num(const char *s, double lo, double hi, double *out)
{
    char *end = NULL;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || !(v >= lo && v <= hi))
        return false;
    *out = v;
    return true;
}

int vt_cmd_verifier(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "listen", required_argument, NULL, O_LISTEN },
        { "state", required_argument, NULL, O_STATE },
        { "db", required_argument, NULL, O_DB },
        { "admin-token-file", required_argument, NULL, O_ADMIN },
        { "issuer", required_argument, NULL, O_ISSUER },
        { "trust-sim", no_argument, NULL, O_SIM },
        { "sim-root", required_argument, NULL, O_SIMROOT },
        { "rotate-keys-every", required_argument, NULL, O_ROTATE },
        { "key-keep", required_argument, NULL, O_KEEP },
        { "challenge-ttl", required_argument, NULL, O_TTL },
        { "threads", required_argument, NULL, O_THREADS },
        { "rate", required_argument, NULL, O_RATE },
        { "burst", required_argument, NULL, O_BURST },
        { "gateway-rate", required_argument, NULL, O_GWRATE },
        { "max-body", required_argument, NULL, O_MAXBODY },
        { "max-connections", required_argument, NULL, O_CONNS },
        { "max-per-client", required_argument, NULL, O_PERCLIENT },
        { "request-timeout", required_argument, NULL, O_REQTIMEOUT },
        { "quiet", no_argument, NULL, O_QUIET },
        { "allow-origin", required_argument, NULL, O_ALLOW_ORIGIN },
        { "allow-host", required_argument, NULL, O_ALLOW_HOST },
        { "log-origin", required_argument, NULL, O_LOG_ORIGIN },
        { "log-commit-delay", required_argument, NULL, O_COMMIT_DELAY },
        { "witness", required_argument, NULL, O_WITNESS },
        { "pcs-url", required_argument, NULL, O_PCS_URL },
        { "rim-url", required_argument, NULL, O_RIM_URL },
        { "ocsp-url", required_argument, NULL, O_OCSP_URL },
        { "root-crl-url", required_argument, NULL, O_ROOT_CRL_URL },
        { "offline", no_argument, NULL, O_OFFLINE },
        { "kek-file", required_argument, NULL, O_KEK },
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    vf_config cfg;
    const char *state = NULL, *token_file = NULL;
    vt_buf token;
    double v;
    int ch, ex;

    memset(&cfg, 0, sizeof(cfg));
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case O_LISTEN: cfg.listen = optarg; break;
        case O_STATE: state = optarg; break;
        case O_DB: cfg.db = optarg; break;
        case O_ADMIN: token_file = optarg; break;
        case O_ISSUER: cfg.issuer = optarg; break;
        case O_SIM: cfg.trust_sim = true; break;
        case O_SIMROOT:
            if (cfg.sim_root_count >= VT_SIM_ROOT_FILES_MAX)
                return vt_cli_usage_error("--sim-root: at most %d", VT_SIM_ROOT_FILES_MAX);
            cfg.sim_roots[cfg.sim_root_count++] = optarg;
            break;
        case O_QUIET: cfg.quiet = true; break;
        case O_ALLOW_ORIGIN: {
            vt_err e = { 0 };
            if (vt_origin_list_add(&cfg.origins, optarg, &e) != VT_OK)
                return vt_cli_usage_error("--allow-origin %.300s: %s", optarg, e.msg);
            break;
        }
        case O_ALLOW_HOST: {
            vt_err e = { 0 };
            if (vt_host_list_add(&cfg.hosts, optarg, &e) != VT_OK)
                return vt_cli_usage_error("--allow-host %.300s: %s", optarg, e.msg);
            break;
        }
        case O_LOG_ORIGIN:
            if (!vt_note_name_valid(optarg))
                return vt_cli_usage_error("--log-origin: a non-empty name without spaces or '+'");
            cfg.log_origin = optarg;
            break;
        case O_WITNESS:
            if (cfg.witness_count == sizeof(cfg.witnesses) / sizeof(cfg.witnesses[0]))
                return vt_cli_usage_error("--witness: at most 8");
            cfg.witnesses[cfg.witness_count++] = optarg;
            break;
        case 'j': break; /* the service logs JSON lines already */
        case O_OFFLINE: cfg.offline = true; break;
        case O_KEK: cfg.kek_file = optarg; break;
        case O_PCS_URL:
            if (strcmp(optarg, "none") == 0) {
                cfg.offline = true;
                break;
            }
            if (strncmp(optarg, "http://", 7) != 0 && strncmp(optarg, "https://", 8) != 0)
                return vt_cli_usage_error("--pcs-url: %s is not an http(s) URL (or none)", optarg);
            cfg.pcs_url = optarg;
            break;
        case O_ROOT_CRL_URL:
            if (strncmp(optarg, "http://", 7) != 0 && strncmp(optarg, "https://", 8) != 0)
                return vt_cli_usage_error("--root-crl-url: %s is not an http(s) URL", optarg);
            cfg.root_crl_url = optarg;
            break;
        case O_RIM_URL:
        case O_OCSP_URL:
            if (strncmp(optarg, "http://", 7) != 0 && strncmp(optarg, "https://", 8) != 0)
                return vt_cli_usage_error("--%s-url: %s is not an http(s) URL", ch == O_RIM_URL ? "rim" : "ocsp",
                                          optarg);
            if (ch == O_RIM_URL)
                cfg.rim_url = optarg;
            else
                cfg.ocsp_url = optarg;
            break;
        case O_ROTATE:
            if (!num(optarg, 1, 1e9, &v))
                return vt_cli_usage_error("--rotate-keys-every: seconds, 1 or more");
            cfg.rotate_every = (int64_t)v;
            break;
        case O_KEEP:
            if (!num(optarg, 1, 1e9, &v))
                return vt_cli_usage_error("--key-keep: seconds, 1 or more");
            cfg.key_keep = (int64_t)v;
            break;
        case O_COMMIT_DELAY:
            if (!num(optarg, 0, 1000, &v))
                return vt_cli_usage_error("--log-commit-delay: 0..1000 milliseconds");
            cfg.log_commit_delay_us = v > 0 ? (long)(v * 1000) : -1;
            break;
        case O_TTL:
            if (!num(optarg, 1, 86400, &v))
                return vt_cli_usage_error("--challenge-ttl: 1..86400 seconds");
            cfg.challenge_ttl = (int64_t)v;
            break;
        case O_THREADS:
            if (!num(optarg, 1, 32, &v))
                return vt_cli_usage_error("--threads: 1..32");
            cfg.threads = (unsigned)v;
            break;
        case O_RATE:
            if (!num(optarg, 0.001, 1e7, &v))
                return vt_cli_usage_error("--rate: requests per second > 0");
            cfg.rate = v;
            break;
        case O_BURST:
            if (!num(optarg, 1, 1e7, &v))
                return vt_cli_usage_error("--burst: 1 or more");
            cfg.burst = v;
            break;
        case O_GWRATE:
            if (!num(optarg, 0.001, 1e7, &v))
                return vt_cli_usage_error("--gateway-rate: requests per second > 0");
            cfg.gateway_rate = v;
            break;
        case O_MAXBODY:
            if (!num(optarg, 1024, 64.0 * 1024 * 1024, &v))
                return vt_cli_usage_error("--max-body: 1024..67108864 bytes");
            cfg.max_body = (size_t)v;
            break;
        case O_CONNS:
            if (!num(optarg, 1, 1e6, &v))
                return vt_cli_usage_error("--max-connections: 1 or more");
            cfg.max_connections = (unsigned)v;
            break;
        case O_PERCLIENT:
            if (!num(optarg, 1, 1e6, &v))
                return vt_cli_usage_error("--max-per-client: 1 or more");
            cfg.max_per_client = (unsigned)v;
            break;
        case O_REQTIMEOUT:
            if (!num(optarg, 1, 3600, &v))
                return vt_cli_usage_error("--request-timeout: 1..3600 seconds");
            cfg.request_timeout_s = (int)v;
            break;
        case 'h': usage(stdout); return VT_EXIT_OK;
        default: usage(stderr); return VT_EXIT_USAGE;
        }
    }
    if (optind != argc)
        return vt_cli_usage_error("verifier: unexpected argument '%s'", argv[optind]);
    if (cfg.listen == NULL)
        return vt_cli_usage_error("verifier: --listen HOST:PORT is required (e.g. 127.0.0.1:8600)");
    cfg.state_dir = vt_cli_state_dir(state);
    vt_buf_init(&token);
    ex = read_token(&token, token_file);
    if (ex != VT_EXIT_OK) {
        vt_buf_free(&token);
        return ex;
    }
    if (token.len > 0) {
        cfg.admin_token = token.data;
        cfg.admin_token_len = token.len;
    } else {
        vf_log_line("warn", "no admin token", "no --admin-token-file or VERITEE_ADMIN_TOKEN: environments are read-only");
    }
    {
        /* VERITEE_SIMULATE / VERITEE_TEE=mock (a laptop setup): accept what such attesters produce. */
        const char *sim = getenv("VERITEE_SIMULATE"), *tee = getenv("VERITEE_TEE");
        if ((sim != NULL && *sim != '\0') || (tee != NULL && strcmp(tee, "mock") == 0))
            cfg.trust_sim = true;
    }
    if (cfg.sim_root_count > 0 && !cfg.trust_sim) {
        vt_buf_free(&token);
        return vt_cli_usage_error("--sim-root needs --trust-sim: a simulation root is trusted only in simulation mode");
    }
    for (size_t i = 0; i < cfg.sim_root_count; i++) {
        vt_err e = { 0 };
        if (vt_sim_root_check(cfg.sim_roots[i], &e) != VT_OK) {
            vt_buf_free(&token);
            return vt_cli_usage_error("--sim-root: %s", e.msg);
        }
    }
    if (cfg.trust_sim)
        vf_log_line("warn", "trust_sim", cfg.sim_root_count > 0 ? "mock and simulated evidence is accepted (hardware_attested: "
                                                                "false), also under the --sim-root roots"
                                                              : "mock and simulated evidence is accepted (hardware_attested: "
                                                                "false)");
    ex = vf_run(&cfg);
    vt_buf_free(&token); /* wipes */
    return ex;
}
