/* veritee log checkpoint|prove|consistency|monitor and the helpers receipt
 * verify --log uses: nothing the log says is believed before its checkpoint
 * verifies under the pinned key and the proofs verify locally. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "logclient.h"
#include "remote.h"
#include "trust.h"

enum { O_LOG = 256, O_KEY, O_STATE, O_FROM, O_JSON, O_INDEX, O_WKEY, O_QUORUM };

static void tlog_usage(FILE *f)
{
    fprintf(f, "usage: veritee log checkpoint --log URL --log-key KEY [--json]\n"
               "       veritee log prove --log URL --log-key KEY ENTRY|FILE\n"
               "       veritee log consistency --log URL --log-key KEY --from CHECKPOINT_FILE\n"
               "       veritee log monitor --log URL --log-key KEY --state FILE\n\n"
               "The verifier's transparency log of every passport and receipt it holds (docs/log.md):\n"
               "C2SP checkpoints signed with an Ed25519 note key, RFC 9162 proofs.\n\n"
               "  --log URL       the log's prefix, http://VERIFIER/v1/log\n"
               "  --log-key KEY   the log's note verifier key (name+id+base64, from GET <log>/key out of\n"
               "                  band) or a file holding it: every checkpoint must verify under it\n"
               "  checkpoint      fetch and verify the current checkpoint; print origin, size, root\n"
               "  prove           prove that ENTRY (a passport or receipt token, or a file) is in the log\n"
               "  consistency     prove that the current tree extends the one of CHECKPOINT_FILE\n"
               "  monitor         what a witness does: keep the last checkpoint in FILE; each run fetches\n"
               "                  the current one and proves it consistent with FILE's; exit 1 (and FILE\n"
               "                  is kept) when it is not, the key does not verify, or the tree shrank\n"
               "  --witness-key K a witness's cosigner key (name+id+base64, type 0x04; veritee log witness\n"
               "                  prints it) or a file holding it; repeatable, up to 8: the checkpoint must\n"
               "                  carry a valid cosignature (C2SP tlog-cosignature v1) by --witness-quorum\n"
               "                  of them (default all), or the command fails\n");
}

vt_status vt_cli_log_key(vt_note_verifier **out, const char *arg, vt_err *err)
{
    vt_buf b;
    vt_status rc;
    size_t n;

    *out = NULL;
    if (strchr(arg, '+') != NULL && strchr(arg, '/') == NULL)
        return vt_note_verifier_parse(out, arg, strlen(arg), err);
    if (strchr(arg, '+') != NULL && vt_note_verifier_parse(out, arg, strlen(arg), NULL) == VT_OK)
        return VT_OK; /* a key whose base64 holds '/' */
    vt_buf_init(&b);
    rc = vt_cli_read(&b, arg, 4096, err);
    if (rc == VT_OK) {
        n = b.len;
        while (n > 0 && (b.data[n - 1] == '\n' || b.data[n - 1] == '\r' || b.data[n - 1] == ' '))
            n--;
        rc = vt_note_verifier_parse(out, (const char *)b.data, n, err);
    }
    vt_buf_free(&b);
    return rc;
}

vt_status vt_cli_log_checkpoint(vt_checkpoint *cp, vt_buf *note, const char *log, const vt_note_verifier *v,
                                vt_err *err)
{
    char url[1200];
    vt_buf b;
    vt_status rc;

    vt_buf_init(&b);
    snprintf(url, sizeof(url), "%s/checkpoint", log);
    rc = vt_cli_fetch_text(&b, url, VT_NOTE_MAX, err);
    if (rc == VT_OK)
        rc = vt_checkpoint_open(cp, b.data, b.len, v, vt_note_verifier_name(v), err);
    if (rc == VT_OK && note != NULL)
        rc = vt_buf_append(note, b.data, b.len, err);
    vt_buf_free(&b);
    return rc;
}

/* The base64 hashes of a proof reply into p. */
static vt_status proof_hashes(uint8_t (*p)[32], size_t *count, json_t *arr, vt_err *err)
{
    size_t i;
    json_t *h;

    *count = 0;
    if (!json_is_array(arr) || json_array_size(arr) > VT_TLOG_PROOF_MAX)
        return vt_err_set(err, VT_E_FORMAT, "log: proof reply has no hashes array of at most %d", VT_TLOG_PROOF_MAX);
    json_array_foreach(arr, i, h)
    {
        const char *s = json_string_value(h);
        vt_buf b;
        bool ok;
        vt_buf_init(&b);
        ok = s != NULL && vt_base64_decode(&b, s, strlen(s), NULL) == VT_OK && b.len == 32;
        if (ok)
            memcpy(p[i], b.data, 32);
        vt_buf_free(&b);
        if (!ok)
            return vt_err_set(err, VT_E_FORMAT, "log: proof hash %zu is not 32 bytes of base64", i);
    }
    *count = json_array_size(arr);
    return VT_OK;
}

static vt_status url_b64(char *out, size_t out_len, const uint8_t h[32], vt_err *err)
{
    vt_buf b;
    size_t j = 0;
    vt_status rc;

    vt_buf_init(&b);
    rc = vt_base64_encode(&b, h, 32, false, err);
    for (size_t i = 0; rc == VT_OK && i < b.len && j + 4 < out_len; i++) {
        char c = (char)b.data[i];
        j += (size_t)snprintf(out + j, out_len - j, c == '+' ? "%%2B" : c == '/' ? "%%2F" : c == '=' ? "%%3D" : "%c",
                              c);
    }
    vt_buf_free(&b);
    return rc;
}

vt_status vt_cli_log_prove(uint64_t *index_out, const char *log, const vt_checkpoint *cp, const uint8_t *entry,
                           size_t len, vt_err *err)
{
    uint8_t leaf[32], proof[VT_TLOG_PROOF_MAX][32];
    char path[200], hq[120];
    json_t *j = NULL;
    json_int_t idx;
    size_t count = 0;
    vt_status rc;

    *index_out = 0;
    rc = vt_tlog_leaf_hash(leaf, entry, len, err);
    if (rc == VT_OK)
        rc = url_b64(hq, sizeof(hq), leaf, err);
    if (rc != VT_OK)
        return rc;
    snprintf(path, sizeof(path), "/proof?hash=%s&size=%llu", hq, (unsigned long long)cp->size);
    rc = vt_cli_call(&j, "GET", log, path, NULL, NULL, err);
    if (rc != VT_OK)
        return rc;
    idx = json_integer_value(json_object_get(j, "index"));
    rc = proof_hashes(proof, &count, json_object_get(j, "hashes"), err);
    if (rc == VT_OK && (!json_is_integer(json_object_get(j, "index")) || idx < 0))
        rc = vt_err_set(err, VT_E_FORMAT, "log: proof reply has no index");
    if (rc == VT_OK)
        rc = vt_tlog_verify_inclusion(leaf, (uint64_t)idx, cp->size, (const uint8_t(*)[32])proof, count, cp->root,
                                      err);
    if (rc == VT_OK)
        *index_out = (uint64_t)idx;
    json_decref(j);
    return rc;
}

vt_status vt_cli_log_consistent(const char *log, const vt_checkpoint *older, const vt_checkpoint *newer, vt_err *err)
{
    uint8_t proof[VT_TLOG_PROOF_MAX][32];
    char path[120];
    json_t *j = NULL;
    size_t count = 0;
    vt_status rc;

    if (newer->size < older->size)
        return vt_err_set(err, VT_E_CRYPTO, "log: the tree shrank from %llu to %llu entries",
                          (unsigned long long)older->size, (unsigned long long)newer->size);
    if (strcmp(older->origin, newer->origin) != 0)
        return vt_err_set(err, VT_E_CRYPTO, "log: origin changed from %s to %s", older->origin, newer->origin);
    if (older->size == newer->size || older->size == 0)
        return vt_tlog_verify_consistency(older->size, newer->size, NULL, 0, older->root, newer->root, err);
    snprintf(path, sizeof(path), "/consistency?from=%llu&to=%llu", (unsigned long long)older->size,
             (unsigned long long)newer->size);
    rc = vt_cli_call(&j, "GET", log, path, NULL, NULL, err);
    if (rc != VT_OK)
        return rc;
    rc = proof_hashes(proof, &count, json_object_get(j, "hashes"), err);
    if (rc == VT_OK)
        rc = vt_tlog_verify_consistency(older->size, newer->size, (const uint8_t(*)[32])proof, count, older->root,
                                        newer->root, err);
    json_decref(j);
    return rc;
}

static void print_cp(const char *what, const vt_checkpoint *c)
{
    char hex[65];
    vt_hex_encode(hex, c->root, 32);
    printf("  ok   %-11s %s, %llu entries, root %s\n", what, c->origin, (unsigned long long)c->size, hex);
}

/* Opens a stored checkpoint note (a file) with v. */
static vt_status read_cp(vt_checkpoint *c, vt_buf *note, const char *path, const vt_note_verifier *v, vt_err *err)
{
    vt_status rc = vt_cli_read(note, path, VT_NOTE_MAX, err);
    if (rc == VT_OK)
        rc = vt_checkpoint_open(c, note->data, note->len, v, vt_note_verifier_name(v), err);
    return rc;
}

vt_status vt_cli_log_cosigned(size_t *good_out, char *names, size_t nlen, FILE *f, const vt_buf *note,
                              vt_note_verifier *const *keys, size_t n, size_t quorum, vt_err *err)
{
    char first_bad[300] = "";
    size_t good = 0, used = 0;

    if (names != NULL && nlen > 0)
        names[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        size_t tl = 0;
        uint64_t t = 0;
        vt_err e = { 0 };
        if (vt_note_open_cosigned(&tl, &t, note->data, note->len, keys[i], &e) == VT_OK) {
            char when[32];
            vt_time_format(when, (vt_time)t);
            if (f != NULL)
                fprintf(f, "  ok   cosigned    by %s at %s\n", vt_note_verifier_name(keys[i]), when);
            if (names != NULL && used < nlen)
                used += (size_t)snprintf(names + used, nlen - used, "%s%s", good > 0 ? ", " : "",
                                         vt_note_verifier_name(keys[i]));
            good++;
        } else {
            if (f != NULL)
                fprintf(f, "  --   cosigned    not by %s (%s)\n", vt_note_verifier_name(keys[i]), e.msg);
            if (first_bad[0] == '\0')
                snprintf(first_bad, sizeof(first_bad), " (%s: %s)", vt_note_verifier_name(keys[i]), e.msg);
        }
    }
    if (good_out != NULL)
        *good_out = good;
    if (good < quorum)
        return vt_err_set(err, VT_E_CRYPTO, "log: %zu of %zu witness cosignatures, %zu required%s", good, n, quorum,
                          first_bad);
    return VT_OK;
}

vt_status vt_cli_log_witness_key(vt_note_verifier **keys, size_t *n, const char *arg, vt_err *err)
{
    if (*n == VT_CLI_WITNESS_MAX)
        return vt_err_set(err, VT_E_ARG, "--witness-key: at most %d", VT_CLI_WITNESS_MAX);
    if (vt_cli_log_key(&keys[*n], arg, err) != VT_OK)
        return vt_err_set(err, VT_E_ARG, "--witness-key: %s", err->msg);
    (*n)++;
    return VT_OK;
}

vt_status vt_cli_log_witness_quorum(size_t *quorum, const char *arg, vt_err *err)
{
    char *endp;
    long q = strtol(arg, &endp, 10);

    if (*arg == '\0' || *endp != '\0' || q < 1 || q > VT_CLI_WITNESS_MAX)
        return vt_err_set(err, VT_E_ARG, "--witness-quorum: 1..%d", VT_CLI_WITNESS_MAX);
    *quorum = (size_t)q;
    return VT_OK;
}

int vt_cmd_log_tlog(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "log", required_argument, NULL, O_LOG },     { "log-key", required_argument, NULL, O_KEY },
        { "state", required_argument, NULL, O_STATE }, { "from", required_argument, NULL, O_FROM },
        { "json", no_argument, NULL, O_JSON },         { "help", no_argument, NULL, 'h' },
        { "witness-key", required_argument, NULL, O_WKEY }, { "witness-quorum", required_argument, NULL, O_QUORUM },
        { NULL, 0, NULL, 0 },
    };
    vt_note_verifier *wkeys[VT_CLI_WITNESS_MAX] = { NULL };
    size_t nw = 0, quorum = 0;
    const char *sub = argv[1], *log = NULL, *keyarg = NULL, *state = NULL, *from = NULL;
    vt_note_verifier *v = NULL;
    vt_checkpoint cur, old;
    vt_buf note, oldnote, entry;
    uint64_t index = 0;
    bool json = false;
    vt_err err = { 0 };
    vt_status rc;
    int ch, ex = VT_EXIT_USAGE;

    vt_buf_init(&note);
    vt_buf_init(&oldnote);
    vt_buf_init(&entry);
    optind = 2;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case O_LOG: log = optarg; break;
        case O_KEY: keyarg = optarg; break;
        case O_STATE: state = optarg; break;
        case O_FROM: from = optarg; break;
        case O_JSON: json = true; break;
        case O_WKEY:
            if (vt_cli_log_witness_key(wkeys, &nw, optarg, &err) != VT_OK) {
                ex = vt_cli_usage_error("%s", err.msg);
                goto out;
            }
            break;
        case O_QUORUM:
            if (vt_cli_log_witness_quorum(&quorum, optarg, &err) != VT_OK) {
                ex = vt_cli_usage_error("%s", err.msg);
                goto out;
            }
            break;
        case 'h': tlog_usage(stdout); return VT_EXIT_OK;
        default: tlog_usage(stderr); return VT_EXIT_USAGE;
        }
    }
    if (log == NULL || keyarg == NULL) {
        ex = vt_cli_usage_error("log %s: --log URL and --log-key KEY are required", sub);
        goto out;
    }
    if (quorum > nw) {
        ex = vt_cli_usage_error("log %s: --witness-quorum %zu with %zu --witness-key", sub, quorum, nw);
        goto out;
    }
    if (quorum == 0)
        quorum = nw;
    if (strcmp(sub, "prove") == 0 ? optind + 1 != argc : optind != argc)
        return vt_cli_usage_error("log %s: unexpected arguments (see veritee log --help)", sub);
    if ((strcmp(sub, "consistency") == 0 && from == NULL) || (strcmp(sub, "monitor") == 0 && state == NULL))
        return vt_cli_usage_error("log %s: %s is required", sub, from == NULL ? "--from FILE" : "--state FILE");
    rc = vt_cli_log_key(&v, keyarg, &err);
    if (rc != VT_OK) {
        ex = vt_cli_fail(rc == VT_E_CRYPTO ? VT_E_FORMAT : rc, &err);
        goto out;
    }
    rc = vt_cli_log_checkpoint(&cur, &note, log, v, &err);
    if (rc != VT_OK) {
        fprintf(stderr, "  FAIL checkpoint   %s\n", err.msg);
        ex = vt_cli_fail(rc, &err);
        goto out;
    }
    if (nw > 0 && vt_cli_log_cosigned(NULL, NULL, 0, json ? stderr : stdout, &note, wkeys, nw, quorum, &err) != VT_OK) {
        fprintf(stderr, "  FAIL cosigned     %s\n", err.msg);
        ex = VT_EXIT_REJECTED;
        goto out;
    }
    if (strcmp(sub, "checkpoint") == 0) {
        if (json) {
            char hex[65];
            json_t *o;
            vt_hex_encode(hex, cur.root, 32);
            o = json_pack("{s:s, s:I, s:s, s:s%}", "origin", cur.origin, "size", (json_int_t)cur.size, "root", hex,
                          "note", (const char *)note.data, note.len);
            vt_cli_print_json(o);
            json_decref(o);
        } else {
            print_cp("checkpoint", &cur);
        }
        ex = VT_EXIT_OK;
    } else if (strcmp(sub, "prove") == 0) {
        rc = vt_cli_load_token(&entry, argv[optind], &err);
        if (rc != VT_OK) {
            ex = vt_cli_fail(rc, &err);
            goto out;
        }
        print_cp("checkpoint", &cur);
        rc = vt_cli_log_prove(&index, log, &cur, entry.data, entry.len, &err);
        if (rc != VT_OK) {
            fprintf(stderr, "  FAIL inclusion    %s\n", err.msg);
            ex = VT_EXIT_REJECTED;
            goto out;
        }
        printf("  ok   inclusion   entry %llu of %llu (RFC 9162 proof verified)\n", (unsigned long long)index,
               (unsigned long long)cur.size);
        ex = VT_EXIT_OK;
    } else if (strcmp(sub, "consistency") == 0 || strcmp(sub, "monitor") == 0) {
        const char *path = from != NULL ? from : state;
        struct stat sb;
        /* A first run only when nothing is at the path: a link to what is absent (a volume not
         * mounted) or a file that cannot be looked at is an error, not a reason to trust afresh. */
        bool first = strcmp(sub, "monitor") == 0 && lstat(path, &sb) != 0 && errno == ENOENT;
        if (!first) {
            rc = read_cp(&old, &oldnote, path, v, &err);
            if (rc != VT_OK) {
                fprintf(stderr, "  FAIL %s: %s\n", path, err.msg);
                ex = rc == VT_E_CRYPTO ? VT_EXIT_REJECTED : vt_cli_fail(rc, &err);
                goto out;
            }
            rc = vt_cli_log_consistent(log, &old, &cur, &err);
            if (rc != VT_OK) {
                fprintf(stderr, "  FAIL consistency  the log's checkpoint of %llu entries is NOT consistent with "
                                "the one of %llu entries in %s: %s\n",
                        (unsigned long long)cur.size, (unsigned long long)old.size, path, err.msg);
                ex = VT_EXIT_REJECTED;
                goto out;
            }
        }
        print_cp("checkpoint", &cur);
        if (!first)
            printf("  ok   consistency extends the tree of %llu entries in %s\n", (unsigned long long)old.size, path);
        if (state != NULL) {
            rc = vt_file_write(state, note.data, note.len, 0644, &err);
            if (rc != VT_OK) {
                ex = vt_cli_fail(rc, &err);
                goto out;
            }
        }
        ex = VT_EXIT_OK;
    } else {
        ex = vt_cli_usage_error("log: unknown subcommand '%s'", sub);
    }
out:
    for (size_t i = 0; i < nw; i++)
        vt_note_verifier_free(wkeys[i]);
    vt_note_verifier_free(v);
    vt_buf_free(&note);
    vt_buf_free(&oldnote);
    vt_buf_free(&entry);
    return ex;
}
