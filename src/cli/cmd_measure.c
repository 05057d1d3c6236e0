/* veritee measure: the digest of a model, auditor set, runtime or config. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

enum { O_JSON = 256, O_THREADS, O_CHECK };

static void measure_usage(FILE *f)
{
    fprintf(f, "usage: veritee measure [--json] [--threads N] [--check MANIFEST] PATH...\n\n"
               "Measures each PATH (a file, or a directory such as a model's safetensors/GGUF shards):\n"
               "every file is hashed in 4 MiB chunks on all cores, and a root digest covers the sorted\n"
               "relative paths, sizes and file digests (format veritee-measure-v1, docs/formats/measure.md).\n"
               "Symbolic links are refused.\n\n"
               "  --json            print the root and the per-file manifest as JSON\n"
               "  --threads N       hashing threads (default: all CPUs)\n"
               "  --check MANIFEST  re-measure one PATH and compare with a manifest from --json;\n"
               "                    names every file that differs (exit 1 on any difference)\n");
}

/* Compares a fresh measurement with a saved manifest; prints every difference. */
static int check_manifest(const vt_measurement *m, const char *manifest)
{
    json_error_t jerr;
    json_t *doc = json_load_file(manifest, JSON_REJECT_DUPLICATES, &jerr), *files;
    const char *root;
    char hex[65];
    size_t idx;
    json_t *f;
    int bad = 0;

    if (doc == NULL)
        return vt_cli_usage_error("measure: %s: %s (line %d)", manifest, jerr.text, jerr.line);
    root = json_string_value(json_object_get(doc, "root"));
    files = json_object_get(doc, "files");
    if (root == NULL || !json_is_array(files)) {
        json_decref(doc);
        return vt_cli_usage_error("measure: %s is not a veritee measure manifest", manifest);
    }
    json_array_foreach(files, idx, f) {
        const char *p = json_string_value(json_object_get(f, "path"));
        const char *d = json_string_value(json_object_get(f, "digest"));
        const vt_measure_entry *e = NULL;
        for (size_t i = 0; p != NULL && i < m->file_count; i++)
            if (strcmp(m->files[i].path, p) == 0)
                e = &m->files[i];
        if (e == NULL) {
            printf("MISSING  %s\n", p != NULL ? p : "(no path)");
            bad = 1;
            continue;
        }
        vt_hex_encode(hex, e->digest, 32);
        if (d == NULL || strcmp(hex, d) != 0) {
            printf("CHANGED  %s\n", p);
            bad = 1;
        }
    }
    for (size_t i = 0; i < m->file_count; i++) {
        bool listed = false;
        json_array_foreach(files, idx, f) {
            const char *p = json_string_value(json_object_get(f, "path"));
            if (p != NULL && strcmp(p, m->files[i].path) == 0)
                listed = true;
        }
        if (!listed) {
            printf("ADDED    %s\n", m->files[i].path);
            bad = 1;
        }
    }
    vt_hex_encode(hex, m->root, 32);
    if (strcmp(hex, root) != 0)
        bad = 1;
    printf("%s  root %s\n", bad ? "MISMATCH" : "OK", hex);
    json_decref(doc);
    return bad ? VT_EXIT_REJECTED : VT_EXIT_OK;
}

int vt_cmd_measure(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "json", no_argument, NULL, O_JSON },
        { "threads", required_argument, NULL, O_THREADS },
        { "check", required_argument, NULL, O_CHECK },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    vt_measure_opts o;
    const char *check = NULL;
    bool json = false;
    int ch, ex = VT_EXIT_OK;

    memset(&o, 0, sizeof(o));
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case O_JSON: json = true; break;
        case O_THREADS: {
            char *end;
            long n = strtol(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || n < 1 || n > 64)
                return vt_cli_usage_error("measure: --threads takes 1 to 64");
            o.threads = (unsigned)n;
            break;
        }
        case O_CHECK: check = optarg; break;
        case 'h': measure_usage(stdout); return VT_EXIT_OK;
        default: measure_usage(stderr); return VT_EXIT_USAGE;
        }
    }
    if (optind >= argc)
        return vt_cli_usage_error("measure: name at least one PATH");
    if (check != NULL && argc - optind != 1)
        return vt_cli_usage_error("measure: --check takes exactly one PATH");
    if (json && argc - optind > 1)
        printf("[\n");
    for (int i = optind; i < argc; i++) {
        vt_measurement *m = NULL;
        vt_err err = { 0 };
        vt_status rc = vt_measure_path(&m, argv[i], &o, &err);
        char hex[65], *text = NULL;

        if (rc != VT_OK) {
            ex = vt_cli_fail(rc, &err);
            break;
        }
        if (check != NULL) {
            ex = check_manifest(m, check);
        } else if (json) {
            if (vt_measurement_to_json(&text, m, &err) != VT_OK) {
                vt_measurement_free(m);
                ex = vt_cli_fail(VT_E_NOMEM, &err);
                break;
            }
            printf("%s%s\n", text, argc - optind > 1 && i + 1 < argc ? "," : "");
            free(text);
        } else {
            vt_hex_encode(hex, m->root, 32);
            printf("%s  %s  (%zu files, %llu bytes, %s)\n", hex, argv[i], m->file_count,
                   (unsigned long long)m->total_bytes, VT_MEASURE_FORMAT);
            for (size_t f = 0; f < m->file_count; f++) {
                vt_hex_encode(hex, m->files[f].digest, 32);
                printf("  %s  %s\n", hex, m->files[f].path);
            }
        }
        vt_measurement_free(m);
    }
    if (json && argc - optind > 1 && ex == VT_EXIT_OK)
        printf("]\n");
    return ex;
}
