/* veritee gateway: the confidential inference gateway (proxy core; docs/gateway.md). */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "gateway/config.h"
#include "gateway/deployment.h"
#include "gateway/ohttp.h"
#include "gateway/oplog.h"
#include "gateway/proxy.h"
#include "gateway/transport.h"
#include "veritee/tls.h"
#include "gateway/trust.h"

enum { O_CONFIG = 256, O_LISTEN, O_UPSTREAM, O_THREADS, O_JSON, O_CHECK, O_PLATFORM, O_SIMULATE, O_UNVERIFIED,
       O_STATE, O_MODEL_CHECK, O_MEASURE, O_LISTEN_PLAIN, O_TLS_CERT, O_TLS12, O_DTYPE, O_ALLOW_ORIGIN,
       O_VERIFIER_JWKS, O_ALLOW_HOST };
#define ORIGIN_FLAGS_MAX 64 /* --allow-origin flags read (the list itself holds VT_ORIGIN_MAX) */

static void gateway_usage(FILE *f)
{
    fprintf(f,
            "usage: veritee gateway [--config FILE] [--listen HOST:PORT] [--upstream URL]\n"
            "                       [--threads N] [--check-config] [--json]\n\n"
            "Runs the confidential inference gateway in front of an OpenAI-compatible model server\n"
            "(vLLM, llama.cpp's server, Ollama, TGI, or veritee-echo-upstream for tests).\n"
            "Serves /v1/chat/completions (plain and streamed), /v1/completions, /v1/embeddings\n"
            "and /v1/models; upstream statuses and error bodies pass through; limits and timeouts\n"
            "answer with OpenAI-shaped JSON errors (413, 502, 503, 504).  See docs/gateway.md.\n\n"
            "  --config FILE      gateway.json (unknown keys are refused)\n"
            "  --listen HOST:PORT address to serve HTTPS on (default 127.0.0.1:8080; port 0 picks a free\n"
            "                     one), with the enclave key made inside the TEE at boot (docs/transport.md)\n"
            "  --listen-plain HOST:PORT  also serve plain HTTP there (alone, without --listen: plain HTTP\n"
            "                     only, e.g. behind a TEE-internal socket); the attestation lists listeners\n"
            "  --tls-cert FILE    PEM chain for the enclave key (default: a self-signed certificate)\n"
            "  --tls12            also offer TLS 1.2 (default TLS 1.3 only)\n"
            "  --upstream URL     model server root, http://host:port[/base]\n"
            "  --threads N        event loops (default: one per core)\n"
            "  --check-config     print the effective configuration as JSON and exit\n"
            "  --platform P       auto (default), mock, tdx, sevsnp, nitro or tpm: where the boot\n"
            "                     measurements go (tdx RTMR3, nitro NSM PCR 16, tpm PCR 23; sevsnp has no\n"
            "                     register: the log is bound into REPORT_DATA; docs/formats/registers.md)\n"
            "  --simulate         the platform's simulator (tdx/sevsnp: simulated reports; nitro: a simulated\n"
            "                     NSM in the state directory; tpm: the TPM at $VERITEE_TPM_TCTI, e.g. swtpm\n"
            "                     from `veritee sim tpm start`); the verifier must run with --trust-sim\n"
            "  --allow-unverified serve even without an affirming passport (development only; logged)\n"
            "  --state DIR        state directory (default: config state_dir, else VERITEE_STATE)\n"
            "  --model-check-ms N stat the model files at most every N ms (default 1000; 0 = every request);\n"
            "                     measured: with --config it may only restate \"model_check_ms\" there\n"
            "  --deployment-type T full (default), model, app or bridge: what this gateway serves\n"
            "                     (docs/workflows.md); must agree with --config's \"deployment_type\"\n"
            "                     and with the passport's environment\n"
            "  --allow-origin ORIGIN  a web app (scheme://host[:port]) whose pages may call the gateway\n"
            "                     from a browser, added to the config's \"allowed_origins\"; repeatable.\n"
            "                     Requests with no Origin (curl, SDKs, relays) and from loopback pages\n"
            "                     are always served; any other Origin gets 403 (docs/gateway.md,\n"
            "                     \"Browsers\").  Under a measured boot it may only restate the file's list\n"
            "  --allow-host NAME[:PORT]  a name clients reach the gateway by (no port: any), added to the\n"
            "                     config's \"allowed_hosts\"; repeatable.  Once one is set, a request whose\n"
            "                     Host is neither listed nor a loopback name gets 421 (DNS rebinding;\n"
            "                     docs/gateway.md, \"Browsers\").  Default: any Host.  Under a measured boot\n"
            "                     it may only restate a name the file lists\n"
            "  --verifier-jwks FILE  the verifier's JWK Set (its /.well-known/jwks.json, saved): the gateway's\n"
            "                     passports and its workflow's deployments' are checked against these keys,\n"
            "                     none fetched; measured (the path, and the file's bytes as a config event):\n"
            "                     with --config it may only restate \"verifier_jwks\" there\n"
            "  --measure-only     print the boot measurement log as JSON and exit (what to register)\n"
            "  --json             print the listening address as one JSON line on stdout\n\n"
            "Stops cleanly on SIGINT or SIGTERM.\n");
}

int vt_cmd_gateway(int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, O_CONFIG },   { "listen", required_argument, NULL, O_LISTEN },
        { "upstream", required_argument, NULL, O_UPSTREAM }, { "threads", required_argument, NULL, O_THREADS },
        { "check-config", no_argument, NULL, O_CHECK },    { "json", no_argument, NULL, O_JSON },
        { "platform", required_argument, NULL, O_PLATFORM }, { "simulate", no_argument, NULL, O_SIMULATE },
        { "allow-unverified", no_argument, NULL, O_UNVERIFIED }, { "state", required_argument, NULL, O_STATE },
        { "model-check-ms", required_argument, NULL, O_MODEL_CHECK }, { "measure-only", no_argument, NULL, O_MEASURE },
        { "listen-plain", required_argument, NULL, O_LISTEN_PLAIN }, { "tls-cert", required_argument, NULL, O_TLS_CERT },
        { "tls12", no_argument, NULL, O_TLS12 },
        { "deployment-type", required_argument, NULL, O_DTYPE },
        { "allow-origin", required_argument, NULL, O_ALLOW_ORIGIN },
        { "allow-host", required_argument, NULL, O_ALLOW_HOST },
        { "verifier-jwks", required_argument, NULL, O_VERIFIER_JWKS },
        { "help", no_argument, NULL, 'h' },                { NULL, 0, NULL, 0 },
    };
    vt_gw_trust_opts to;
    vt_gw_trust *trust = NULL;
    vt_gw_hooks hooks = vt_gw_hooks_passthrough;
    bool measure_only = false, platform_flag = false, simulate_flag = false, usage = false;
    const char *state = NULL;
    const char *config = NULL, *listen = NULL, *upstream = NULL, *threads = NULL, *dtype = NULL;
    bool upstream_changed = false; /* --upstream says other than the config file */
    const char *verifier_jwks = NULL; /* --verifier-jwks */
    bool jwks_changed = false;     /* --verifier-jwks says other than the config file */
    bool check_changed = false;    /* --model-check-ms says other than the config file */
    long model_check_ms = -1;      /* --model-check-ms; -1: not given */
    unsigned file_check_ms = 0;    /* the config's model_check_ms, before the flag */
    bool json = false, check = false, measured = false;
    vt_gw_config cfg;
    vt_gw *gw = NULL;
    vt_gw_ohttp *ohttp = NULL;
    const char *listen_plain = NULL, *tls_cert = NULL;
    bool tls12 = false, use_tls;
    const char *origin_flags[ORIGIN_FLAGS_MAX];
    size_t origin_flag_count = 0;
    const char *host_flags[ORIGIN_FLAGS_MAX];
    size_t host_flag_count = 0;
    char *transport = NULL;
    vt_gw_listen_reservation lres = { .fd = { -1, -1 } };
    vt_tls_server *tls = NULL;
    vt_pkey *tls_key = NULL;
    vt_buf text = { 0 };
    vt_err err;
    vt_status rc = VT_OK;
    int c;

    memset(&to, 0, sizeof(to));
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case O_PLATFORM:
            platform_flag = true;
            if (vt_tee_parse(&to.platform, optarg, &err) != VT_OK)
                return vt_cli_usage_error("%s", err.msg);
            break;
        case O_SIMULATE: to.simulate = simulate_flag = true; break;
        case O_UNVERIFIED: to.allow_unverified = true; break;
        case O_STATE: state = optarg; break;
        case O_MEASURE: measure_only = true; break;
        case O_MODEL_CHECK: {
            char *end = NULL;
            long v = strtol(optarg, &end, 10);
            if (end == optarg || *end != '\0' || v < 0 || v > (long)VT_GW_MODEL_CHECK_MS_MAX)
                return vt_cli_usage_error("gateway: --model-check-ms takes 0 to %u", VT_GW_MODEL_CHECK_MS_MAX);
            model_check_ms = v;
            break;
        }
        case O_CONFIG: config = optarg; break;
        case O_DTYPE: dtype = optarg; break;
        case O_VERIFIER_JWKS: verifier_jwks = optarg; break;
        case O_ALLOW_ORIGIN:
            if (origin_flag_count == ORIGIN_FLAGS_MAX)
                return vt_cli_usage_error("gateway: --allow-origin: at most %d", VT_ORIGIN_MAX);
            origin_flags[origin_flag_count++] = optarg;
            break;
        case O_ALLOW_HOST:
            if (host_flag_count == ORIGIN_FLAGS_MAX)
                return vt_cli_usage_error("gateway: --allow-host: at most %d", VT_HOST_MAX);
            host_flags[host_flag_count++] = optarg;
            break;
        case O_LISTEN: listen = optarg; break;
        case O_LISTEN_PLAIN: listen_plain = optarg; break;
        case O_TLS_CERT: tls_cert = optarg; break;
        case O_TLS12: tls12 = true; break;
        case O_UPSTREAM: upstream = optarg; break;
        case O_THREADS: threads = optarg; break;
        case O_CHECK: check = true; break;
        case O_JSON: json = true; break;
        case 'h': gateway_usage(stdout); return VT_EXIT_OK;
        default: gateway_usage(stderr); return VT_EXIT_USAGE;
        }
    }
    if (optind != argc)
        return vt_cli_usage_error("gateway: unexpected argument '%s'", argv[optind]);
    vt_err_clear(&err);
    vt_gw_config_defaults(&cfg);
    if (config != NULL) {
        rc = vt_cli_read(&text, config, 1 << 20, &err);
        if (rc == VT_OK)
            rc = vt_gw_config_parse(&cfg, (const char *)text.data, text.len, &err);
    }
    if (rc == VT_OK && listen != NULL)
        rc = vt_gw_config_set_listen(&cfg, listen, &err);
    /* HTTPS on --listen; --listen-plain alone is a plain-only gateway (docs/transport.md). */
    use_tls = listen_plain == NULL || listen != NULL;
    if (!use_tls && (tls_cert != NULL || tls12)) {
        vt_cli_usage_error("gateway: --tls-cert and --tls12 need an HTTPS listener (--listen)");
        usage = true;
        goto out;
    }
    if (rc == VT_OK && listen_plain != NULL)
        rc = use_tls ? vt_gw_config_set_listen_plain(&cfg, listen_plain, &err)
                     : vt_gw_config_set_listen(&cfg, listen_plain, &err);
    if (rc == VT_OK && upstream != NULL) {
        char *from_file = config != NULL && cfg.upstream_url != NULL ? strdup(cfg.upstream_url) : NULL;
        rc = vt_gw_config_set_upstream(&cfg, upstream, &err);
        if (rc == VT_OK && config != NULL)
            upstream_changed = from_file == NULL || strcmp(from_file, cfg.upstream_url) != 0;
        free(from_file);
    }
    if (rc == VT_OK && verifier_jwks != NULL) {
        jwks_changed = config != NULL && (cfg.verifier_jwks == NULL || strcmp(cfg.verifier_jwks, verifier_jwks) != 0);
        free(cfg.verifier_jwks);
        if ((cfg.verifier_jwks = strdup(verifier_jwks)) == NULL)
            rc = vt_err_set(&err, VT_E_NOMEM, "out of memory");
    }
    file_check_ms = cfg.model_check_ms;
    if (rc == VT_OK && model_check_ms >= 0)
        cfg.model_check_ms = (unsigned)model_check_ms;
    if (rc == VT_OK && threads != NULL) {
        char *end = NULL;
        long t = strtol(threads, &end, 10);
        if (end == threads || *end != '\0' || t < 0 || t > 256)
            rc = vt_err_set(&err, VT_E_ARG, "gateway: --threads must be a number from 0 to 256");
        else
            cfg.threads = (unsigned)t;
    }
    if (rc == VT_OK && dtype != NULL) {
        vt_gw_dtype t;
        /* The type is attested through the measured config: a flag may only restate the file's. */
        if (!vt_gw_dtype_parse(&t, dtype))
            rc = vt_err_set(&err, VT_E_ARG, "gateway: --deployment-type must be full, model, app or bridge");
        else if (config != NULL && strcmp(cfg.deployment_type != NULL ? cfg.deployment_type : "full", dtype) != 0)
            rc = vt_err_set(&err, VT_E_ARG, "gateway: --deployment-type %s differs from the config file's \"%s\" (the "
                            "file is what is measured: set \"deployment_type\" there)", dtype,
                            cfg.deployment_type != NULL ? cfg.deployment_type : "full");
        else if ((cfg.deployment_type = strdup(dtype)) == NULL)
            rc = vt_err_set(&err, VT_E_NOMEM, "out of memory");
    }
    /* A measured boot (a verifier or auditors configured) measures the config file. */
    measured = cfg.verifier_url != NULL || cfg.auditors != NULL || measure_only;
    /* The allow-list is measured with the file: under a measured boot a flag may only restate it
     * (or name a loopback origin, allowed anyway), as --upstream and --deployment-type. */
    for (size_t i = 0; rc == VT_OK && i < origin_flag_count; i++) {
        vt_origin_list one;
        vt_err e = { 0 };
        vt_origin_list_init(&one);
        if (vt_origin_list_add(&one, origin_flags[i], &e) != VT_OK)
            rc = vt_err_set(&err, VT_E_ARG, "gateway: --allow-origin %.300s: %s", origin_flags[i], e.msg);
        else if (measured && vt_origin_check(&cfg.origins, origin_flags[i], NULL) != VT_OK)
            rc = vt_err_set(&err, VT_E_ARG, "gateway: --allow-origin %.300s is not in the config file's "
                            "\"allowed_origins\" (the file is what is measured: list it there)", origin_flags[i]);
        else if (vt_origin_list_add(&cfg.origins, origin_flags[i], &e) != VT_OK)
            rc = vt_err_set(&err, e.code, "gateway: --allow-origin %.300s: %s", origin_flags[i], e.msg);
    }
    /* The Host list too: under a measured boot a flag may only restate a name the file lists
     * (with an empty list in the file any Host is served, and a flag would change that). */
    for (size_t i = 0; rc == VT_OK && i < host_flag_count; i++) {
        vt_host_list one;
        vt_err e = { 0 };
        vt_host_list_init(&one);
        if (vt_host_list_add(&one, host_flags[i], &e) != VT_OK)
            rc = vt_err_set(&err, VT_E_ARG, "gateway: --allow-host %.300s: %s", host_flags[i], e.msg);
        else if (measured && (cfg.hosts.count == 0 || vt_host_check(&cfg.hosts, host_flags[i], NULL) != VT_OK))
            rc = vt_err_set(&err, VT_E_ARG, "gateway: --allow-host %.300s is not in the config file's "
                            "\"allowed_hosts\" (the file is what is measured: list it there)", host_flags[i]);
        else if (vt_host_list_add(&cfg.hosts, host_flags[i], &e) != VT_OK)
            rc = vt_err_set(&err, e.code, "gateway: --allow-host %.300s: %s", host_flags[i], e.msg);
    }
    if (rc == VT_OK)
        rc = vt_gw_config_check(&cfg, &err);
    if (rc == VT_OK)
        rc = vt_gw_deploy_new(&cfg.deploy, cfg.deployment_type, cfg.workflow, &err);
    if (rc == VT_OK && check) {
        char *s = NULL;
        rc = vt_gw_config_to_json(&s, &cfg, &err);
        if (rc == VT_OK)
            printf("%s\n", s);
        free(s);
        goto out;
    }
    /* Under a measured boot a flag may only restate the file's value (as --deployment-type):
     * --upstream, or the passport would name one model server and the prompts go to another;
     * --verifier-jwks, the keys a passport must be signed under; --model-check-ms, how long
     * changed weights can serve unnoticed. */
    check_changed = config != NULL && cfg.model_check_ms != file_check_ms;
    if (rc == VT_OK && measured && (upstream_changed || jwks_changed || check_changed)) {
        if (upstream_changed)
            vt_cli_usage_error("gateway: --upstream %s differs from the config file's \"upstream\" (the file is what "
                               "is measured: set \"upstream\" there)", upstream);
        else if (jwks_changed)
            vt_cli_usage_error("gateway: --verifier-jwks %s differs from the config file's \"verifier_jwks\" (the file "
                               "is what is measured: set \"verifier_jwks\" there)", verifier_jwks);
        else
            vt_cli_usage_error("gateway: --model-check-ms %ld differs from the config file's \"model_check_ms\" (%u, "
                               "the default when it has none; the file is what is measured: set \"model_check_ms\" "
                               "there)", model_check_ms, file_check_ms);
        usage = true;
        goto out;
    }
    /* The listeners' addresses are bound before the boot is measured, so the "transport" event names
     * the ports served on (port 0 resolved), final before the first attestation; the listeners bind
     * them after the boot (transport.h).  --measure-only binds nothing and lists no such event. */
    if (rc == VT_OK && !measure_only)
        rc = vt_gw_listen_reserve(&lres, &cfg, use_tls, &err);
    if (rc == VT_OK && !measure_only)
        rc = vt_gw_transport_json(&transport, &lres, use_tls, tls12, tls_cert != NULL, &err);
    if (rc == VT_OK && measured) {
        /* Trusted boot: measurements, enclave key, passport (docs/gateway.md). */
        to.cfg = &cfg;
        to.config_path = config;
        to.config_text = text.data; /* the bytes parsed above are the ones measured */
        to.config_len = text.len;
        /* The listeners are a fact of this run, not a reference value: not in --measure-only's list. */
        to.transport_json = transport;
        to.state_dir = vt_cli_state_dir(state != NULL ? state : cfg.state_dir);
        to.attest = cfg.verifier_url != NULL && !measure_only;
        if (!vt_cli_env_platform(&to.platform, &to.simulate, platform_flag, simulate_flag)) {
            usage = true;
            goto out;
        }
        to.measure_only = measure_only;
        to.tpm_tcti = vt_cli_tpm_tcti();
        to.tpm_hw_certs = vt_cli_tpm_hw_certs();
        if (to.simulate && !vt_gw_can_simulate(to.platform)) {
            vt_cli_usage_error("gateway: --simulate needs --platform tdx, sevsnp, nitro or tpm");
            usage = true;
            goto out;
        }
        rc = vt_gw_trust_boot(&trust, &to, &err);
        if (rc == VT_OK && measure_only) {
            char *s = NULL;
            rc = vt_gw_trust_log_json(&s, trust, &err);
            if (rc == VT_OK)
                printf("%s\n", s);
            free(s);
            goto out;
        }
        if (rc == VT_OK && ((cfg.verifier_url != NULL && (cfg.deploy->verifier = strdup(cfg.verifier_url)) == NULL) ||
                            (cfg.deploy->state_dir = strdup(to.state_dir)) == NULL))
            rc = vt_err_set(&err, VT_E_NOMEM, "out of memory");
        if (rc == VT_OK) { /* downstream deployments' passports: under the pin too, nothing fetched */
            cfg.deploy->pin = trust->pin;
            cfg.deploy->pin_issuer = trust->pin_issuer;
        }
        if (rc == VT_OK)
            vt_gw_trust_hooks(&hooks, trust);
        if (rc == VT_OK && !to.attest)
            vt__gw_log("warn", "no_verifier", "no \"verifier\" configured: auditors run, but there is no passport and no receipts");
    } else if (rc == VT_OK) {
        vt__gw_log("warn", "plain_proxy", "no \"verifier\" and no \"auditors\" configured: plain proxy, no trusted boot");
    }
    if (rc == VT_OK) {
        signal(SIGPIPE, SIG_IGN); /* a client that vanished mid-write is an error return, not a signal */
        /* Oblivious HTTP beside the proxy; its key is bound by the enclave key's signature. */
        rc = vt_gw_ohttp_new(&ohttp, trust != NULL ? trust->key : NULL, cfg.limits.max_request_bytes, &err);
        hooks.on_front = vt_gw_ohttp_front;
        hooks.front_arg = ohttp;
    }
    if (rc == VT_OK && use_tls) {
        /* The TLS key is the enclave key (the passport's cnf), or a fresh in-memory key when the
         * gateway does not attest. */
        vt_tls_server_opts tso = { .cert_path = tls_cert, .name = "veritee-gateway", .tls12 = tls12 };
        if (trust != NULL && trust->key != NULL)
            tls_key = vt_pkey_ref(trust->key);
        else
            rc = vt_pkey_generate(&tls_key, VT_KEY_EC_P256, &err);
        tso.key = tls_key;
        if (rc == VT_OK)
            rc = vt_tls_server_new(&tls, &tso, &err);
        cfg.tls = tls;
    }
    if (rc == VT_OK) {
        vt_gw_listen_apply(&lres, &cfg); /* the config measured keeps what was configured (port 0) */
        rc = vt_gw_new(&gw, &cfg, &hooks, &err);
    }
    if (rc == VT_OK && (vt_gw_port(gw) != lres.port[0] || (lres.fd[1] >= 0 && vt_gw_plain_port(gw) != lres.port[1])))
        rc = vt_err_set(&err, VT_E_INTERNAL, "gateway: the listeners are not on the ports attested (%s %s)",
                        lres.addr[0], lres.addr[1]);
    vt_gw_listen_release(&lres); /* the listeners hold the ports now */
    if (rc == VT_OK) {
        vt_gw_ohttp_set_self(ohttp, vt_gw_self_of(gw));
        vt_gw_ohttp_set_guard(ohttp, vt_gw_guard(gw));
    }
    if (rc == VT_OK && trust != NULL)
        rc = vt_gw_trust_start(trust, vt_gw_loop_count(gw), &err);
    if (rc == VT_OK) {
        const char *h = cfg.listen_host;
        char addr[300];
        if (strchr(h, ':') != NULL)
            snprintf(addr, sizeof(addr), "[%s]:%u", h, (unsigned)vt_gw_port(gw));
        else
            snprintf(addr, sizeof(addr), "%s:%u", h, (unsigned)vt_gw_port(gw));
        char plain[320] = "";
        if (cfg.tls != NULL && cfg.listen_plain_host != NULL)
            snprintf(plain, sizeof(plain), strchr(cfg.listen_plain_host, ':') != NULL ? "[%s]:%u" : "%s:%u",
                     cfg.listen_plain_host, (unsigned)vt_gw_plain_port(gw));
        if (json)
            printf("{\"event\":\"listening\",\"listen\":\"%s\",\"scheme\":\"%s\",\"plain\":\"%s\",\"tls_pin\":\"%s\","
                   "\"upstream\":\"%s\"}\n",
                   addr, tls != NULL ? "https" : "http", plain, tls != NULL ? vt_tls_server_pin(tls) : "",
                   cfg.upstream_url != NULL ? cfg.upstream_url : "");
        else
            printf("veritee gateway: listening on %s://%s%s%s%s, upstream %s\n", tls != NULL ? "https" : "http", addr,
                   tls != NULL ? " (TLS key " : "", tls != NULL ? vt_tls_server_pin(tls) : "", tls != NULL ? ")" : "",
                   cfg.upstream_url != NULL ? cfg.upstream_url : "(none: an app deployment)");
        if (plain[0] && !json)
            printf("veritee gateway: plain HTTP on http://%s\n", plain);
        /* Not refused like a plain hop to a deployment: a model server in another container of
         * the same TEE (a compose network, a pod) is reached this way.  Said, since the prompts
         * leave this machine unencrypted otherwise. */
        if (cfg.upstream_url != NULL && strncmp(cfg.upstream_url, "http://", 7) == 0 &&
            !vt_url_loopback(cfg.upstream_url))
            fprintf(stderr, "veritee gateway: note: the upstream %s is plain HTTP to another machine: prompts and "
                    "answers cross that network unencrypted, which is safe only inside the TEE's own boundary "
                    "(docs/transport.md)\n", cfg.upstream_url);
        fflush(stdout);
        rc = vt_gw_run(gw, &err);
    }
out:
    vt_gw_free(gw);
    vt_gw_ohttp_free(ohttp);
    vt_tls_server_free(tls);
    vt_pkey_free(tls_key);
    free(transport);
    vt_gw_listen_release(&lres);
    vt_gw_trust_free(trust);
    vt_gw_config_free(&cfg);
    vt_buf_free(&text);
    if (usage)
        return VT_EXIT_USAGE;
    if (rc != VT_OK)
        return vt_cli_fail(rc, &err);
    return VT_EXIT_OK;
}
