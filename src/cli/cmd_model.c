/* veritee model: encrypt and decrypt model weights (format veritee-weights-v1, docs/keys.md). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cli.h"

enum { O_KEY = 256, O_NAME, O_THREADS, O_EXPECT, O_FORCE };

static void model_usage(FILE *f)
{
    fprintf(f, "usage: veritee model keygen KEYFILE\n"
               "       veritee model encrypt --key KEYFILE [--name NAME] [--threads N] IN OUT\n"
               "       veritee model decrypt --key KEYFILE [--name NAME] [--expect DIGEST] [--threads N] IN OUT\n"
               "       veritee model inspect IN\n\n"
               "Encrypts one model file (a safetensors or GGUF shard, any size) in 4 MiB AES-256-GCM\n"
               "segments on all cores, in the format veritee-weights-v1 (docs/keys.md).  The header holds\n"
               "the plaintext's digest as 'veritee measure' prints it for the file; decryption checks every\n"
               "segment and that digest, and writes OUT only when all of it holds.\n\n"
               "  --key KEYFILE    32-byte key: 64 hex characters (or 32 raw bytes), mode 0600;\n"
               "                   'model keygen' writes a fresh one\n"
               "  --name NAME      the name bound into the file (default: the plaintext's base name,\n"
               "                   IN when encrypting, OUT when decrypting); a file decrypted under\n"
               "                   another name is refused, so shards cannot be swapped\n"
               "  --expect DIGEST  also require this plaintext digest (64 hex), e.g. the reference value\n"
               "  --threads N      worker threads (default: all CPUs)\n\n"
               "Exit status: 0 done, 1 the file does not decrypt or authenticate, 2 usage or input error.\n");
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s == NULL ? path : s + 1;
}

static int keygen(int argc, char **argv)
{
    uint8_t key[32];
    char hex[66];
    vt_err err = { 0 };
    vt_status rc;
    int fd;

    if (argc != 1)
        return vt_cli_usage_error("model keygen: name one KEYFILE");
    rc = vt_random(key, sizeof(key), &err);
    if (rc != VT_OK)
        return vt_cli_fail(rc, &err);
    vt_hex_encode(hex, key, 32);
    hex[64] = '\n';
    hex[65] = '\0';
    OPENSSL_cleanse(key, sizeof(key));
    fd = open(argv[0], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        OPENSSL_cleanse(hex, sizeof(hex));
        return vt_cli_usage_error("model keygen: cannot create %s: %s", argv[0], strerror(errno));
    }
    if (write(fd, hex, 65) != 65 || close(fd) != 0) {
        OPENSSL_cleanse(hex, sizeof(hex));
        unlink(argv[0]);
        return vt_cli_usage_error("model keygen: cannot write %s", argv[0]);
    }
    OPENSSL_cleanse(hex, sizeof(hex));
    return VT_EXIT_OK;
}

static int inspect(int argc, char **argv)
{
    vt_weights_header h;
    uint8_t head[VT_WEIGHTS_HEADER_LEN];
    char digest[65], salt[33], prefix[15];
    vt_err err = { 0 };
    vt_status rc;
    ssize_t n;
    int fd;

    if (argc != 1)
        return vt_cli_usage_error("model inspect: name one encrypted file");
    fd = open(argv[0], O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return vt_cli_usage_error("model inspect: cannot open %s: %s", argv[0], strerror(errno));
    n = read(fd, head, sizeof(head));
    close(fd);
    rc = vt_weights_header_parse(&h, head, n < 0 ? 0 : (size_t)n, &err);
    if (rc != VT_OK)
        return vt_cli_fail(rc, &err);
    vt_hex_encode(digest, h.digest, 32);
    vt_hex_encode(salt, h.salt, 16);
    vt_hex_encode(prefix, h.nonce_prefix, 7);
    printf("{\"format\": \"%s\", \"version\": %u, \"alg\": \"AES-256-GCM\", \"segment_size\": %llu,\n"
           " \"size\": %llu, \"encrypted_size\": %llu, \"digest\": \"%s\", \"salt\": \"%s\", \"nonce_prefix\": \"%s\",\n"
           " \"authenticated\": false}\n",
           VT_WEIGHTS_FORMAT, h.version, 1ULL << h.segment_log2, (unsigned long long)h.size,
           (unsigned long long)vt_weights_encrypted_size(h.size), digest, salt, prefix);
    return VT_EXIT_OK;
}

int vt_cmd_model(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "key", required_argument, NULL, O_KEY },
        { "name", required_argument, NULL, O_NAME },
        { "threads", required_argument, NULL, O_THREADS },
        { "expect", required_argument, NULL, O_EXPECT },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *key_path = NULL, *name = NULL, *expect_hex = NULL, *verb;
    uint8_t key[32], expect[32];
    vt_weights_opts o;
    vt_weights_info info;
    vt_err err = { 0 };
    vt_status rc;
    char hex[65];
    bool encrypt;
    int ch;

    memset(&o, 0, sizeof(o));
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        model_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? VT_EXIT_USAGE : VT_EXIT_OK;
    }
    verb = argv[1];
    if (strcmp(verb, "keygen") == 0)
        return keygen(argc - 2, argv + 2);
    if (strcmp(verb, "inspect") == 0)
        return inspect(argc - 2, argv + 2);
    if (strcmp(verb, "encrypt") != 0 && strcmp(verb, "decrypt") != 0)
        return vt_cli_usage_error("model: unknown verb %s (keygen, encrypt, decrypt, inspect)", verb);
    encrypt = strcmp(verb, "encrypt") == 0;
    optind = 1;
    while ((ch = getopt_long(argc - 1, argv + 1, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case O_KEY: key_path = optarg; break;
        case O_NAME: name = optarg; break;
        case O_EXPECT: expect_hex = optarg; break;
        case O_THREADS: {
            char *end;
            long n = strtol(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || n < 1 || n > 64)
                return vt_cli_usage_error("model: --threads takes 1 to 64");
            o.threads = (unsigned)n;
            break;
        }
        case 'h': model_usage(stdout); return VT_EXIT_OK;
        default: model_usage(stderr); return VT_EXIT_USAGE;
        }
    }
    argc -= 1;
    argv += 1;
    if (key_path == NULL)
        return vt_cli_usage_error("model %s: --key KEYFILE is required", verb);
    if (argc - optind != 2)
        return vt_cli_usage_error("model %s: name IN and OUT", verb);
    if (encrypt && expect_hex != NULL)
        return vt_cli_usage_error("model encrypt: --expect is for decrypt");
    if (expect_hex != NULL &&
        (strlen(expect_hex) != 64 || vt_hex_decode(expect, sizeof(expect), expect_hex, 64, &err) != VT_OK))
        return vt_cli_usage_error("model decrypt: --expect takes 64 hex characters");
    if (name == NULL)
        name = base_name(encrypt ? argv[optind] : argv[optind + 1]);
    rc = vt_cli_read_key32(key, key_path, &err);
    if (rc != VT_OK)
        return vt_cli_fail(rc, &err);
    if (encrypt)
        rc = vt_weights_encrypt_file(&info, argv[optind + 1], argv[optind], key, name, &o, &err);
    else
        rc = vt_weights_decrypt_file(&info, argv[optind + 1], argv[optind], key, name, &o, &err);
    OPENSSL_cleanse(key, sizeof(key));
    if (rc == VT_OK && expect_hex != NULL && !vt_ct_equal(expect, info.digest, 32)) {
        unlink(argv[optind + 1]);
        vt_hex_encode(hex, info.digest, 32);
        fprintf(stderr, "veritee: model decrypt: plaintext digest %s is not the expected %s; %s removed\n", hex,
                expect_hex, argv[optind + 1]);
        return VT_EXIT_REJECTED;
    }
    if (rc != VT_OK)
        return vt_cli_fail(rc, &err);
    vt_hex_encode(hex, info.digest, 32);
    printf("%s  %s  (%llu bytes, %llu segments, name \"%s\", %s)\n", hex, argv[optind + 1],
           (unsigned long long)info.size, (unsigned long long)info.segments, name, VT_WEIGHTS_FORMAT);
    return VT_EXIT_OK;
}
