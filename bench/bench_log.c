/* The verifier's transparency log: durable appends per second through the
 * sequencer (group commit: one SQLite transaction, one fsync and one signed
 * checkpoint per batch) from many concurrent submitters, next to the limit
 * measured in the same run: a plain SQLite insert loop of rows of the same
 * size, in transactions of the same size, with the same durability (WAL,
 * synchronous=FULL).  Beside them, the gateway's side of a receipt: its durable
 * queue (src/gateway/receipt_queue.c) with two request threads writing and one
 * sink thread doing the group-commit fdatasync, reading batches of 256 and
 * acknowledging them (the cursor written durably), as it does around each
 * upload.  With BENCH_LOG_DB=postgresql://… (bench/bench_pg.sh) the log runs on
 * that database instead, beside a plain libpq insert loop of the same rows (one
 * statement per row, as the store makes them, in transactions of the same size). */
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "bench_common.h"
#include "gateway/receipt_queue.h"
#include "verifier/log.h"

/* A receipt token with every built-in auditor on (bench_gateway.sh's audited gateway) is
 * about 2.9 KB.  Every entry is distinct, with a time-sortable id as the gateway makes
 * them: identical entries would share one leaf hash, and the log's index on the leaf
 * would then grow at one end instead of taking a random page per entry as it does. */
#define ENTRY_LEN 2900
#define SUBMITTERS 8
#define BULK 512 /* entries per bulk submission (a gateway's batched receipts) */

static vf_log *lg;
static atomic_long appended;
static atomic_bool stop_flag;

static void *submit(void *arg)
{
    static uint8_t data[SUBMITTERS][BULK][ENTRY_LEN];
    static char refs[SUBMITTERS][BULK][48];
    vf_log_entry e[BULK];
    uint64_t idx[BULK];
    long t = (long)(intptr_t)arg;

    if (vt_random(data[t], sizeof(data[t]), NULL) != VT_OK)
        abort();
    while (!atomic_load(&stop_flag)) {
        for (int k = 0; k < BULK; k++) {
            uint8_t id[16];
            char hex[33];
            if (vt_sortable_id(id, sizeof(id), NULL) != VT_OK)
                abort();
            vt_hex_encode(hex, id, sizeof(id));
            snprintf(refs[t][k], sizeof(refs[t][k]), "rcpt-%s", hex);
            memcpy(data[t][k], id, sizeof(id)); /* a distinct entry, so a distinct leaf hash */
            e[k] = (vf_log_entry){ .kind = "receipt", .ref = refs[t][k], .data = data[t][k], .len = ENTRY_LEN };
        }
        if (vf_log_append_many(lg, idx, e, BULK, NULL) != VT_OK)
            abort();
        atomic_fetch_add(&appended, BULK);
    }
    return NULL;
}

static double log_rate(const char *dir, const char *db_url, double secs)
{
    char url[600];
    pthread_t th[SUBMITTERS];
    vt_err err = { 0 };
    double t0, t;

    if (db_url != NULL)
        snprintf(url, sizeof(url), "%s", db_url);
    else
        snprintf(url, sizeof(url), "sqlite:%s/log.db", dir);
    atomic_store(&stop_flag, false);
    atomic_store(&appended, 0);
    if (vf_log_open(&lg, url, dir, "bench.example/log", NULL, &err) != VT_OK) {
        fprintf(stderr, "bench_log: %s\n", err.msg);
        exit(1);
    }
    t0 = bench_now();
    for (long i = 0; i < SUBMITTERS; i++)
        pthread_create(&th[i], NULL, submit, (void *)(intptr_t)i);
    usleep((useconds_t)(secs * 1e6));
    atomic_store(&stop_flag, true);
    for (int i = 0; i < SUBMITTERS; i++)
        pthread_join(th[i], NULL);
    t = bench_now() - t0;
    vf_log_close(lg);
    return (double)atomic_load(&appended) / t;
}

/* Plain inserts of ENTRY_LEN-byte rows, `batch` per transaction. */
static double sqlite_rate(const char *dir, int batch, double secs)
{
    char path[600];
    sqlite3 *db;
    sqlite3_stmt *st;
    uint8_t row[ENTRY_LEN];
    long n = 0;
    double t0, t;

    memset(row, 'x', sizeof(row));
    snprintf(path, sizeof(path), "%s/plain.db", dir);
    if (sqlite3_open(path, &db) != SQLITE_OK ||
        sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                         "CREATE TABLE t (idx INTEGER PRIMARY KEY, data BLOB NOT NULL);", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "INSERT INTO t (idx, data) VALUES (?1, ?2)", -1, &st, NULL) != SQLITE_OK)
        abort();
    t0 = bench_now();
    do {
        sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
        for (int i = 0; i < batch; i++, n++) {
            sqlite3_bind_int64(st, 1, n);
            sqlite3_bind_blob(st, 2, row, sizeof(row), SQLITE_STATIC);
            if (sqlite3_step(st) != SQLITE_DONE)
                abort();
            sqlite3_reset(st);
        }
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
        t = bench_now() - t0;
    } while (t < secs);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return (double)n / t;
}

/* Plain inserts of ENTRY_LEN-byte rows into PostgreSQL, one prepared statement per row,
 * `batch` per transaction, into a table of its own (dropped first). */
static double pg_rate(const char *url, int batch, double secs)
{
    PGconn *c = PQconnectdb(url);
    PGresult *r;
    uint8_t row[ENTRY_LEN];
    long n = 0;
    double t0, t;

    memset(row, 'x', sizeof(row));
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "bench_log: %s", PQerrorMessage(c));
        exit(1);
    }
    PQclear(PQexec(c, "DROP TABLE IF EXISTS bench_plain"));
    PQclear(PQexec(c, "CREATE TABLE bench_plain (idx BIGINT PRIMARY KEY, data BYTEA NOT NULL)"));
    r = PQprepare(c, "ins", "INSERT INTO bench_plain (idx, data) VALUES ($1::bigint, $2::bytea)", 2, NULL);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        abort();
    PQclear(r);
    t0 = bench_now();
    do {
        PQclear(PQexec(c, "BEGIN"));
        for (int i = 0; i < batch; i++, n++) {
            char num[24];
            const char *v[2] = { num, (const char *)row };
            const int len[2] = { 0, (int)sizeof(row) }, fmt[2] = { 0, 1 };
            snprintf(num, sizeof(num), "%ld", n);
            r = PQexecPrepared(c, "ins", 2, v, len, fmt, 0);
            if (PQresultStatus(r) != PGRES_COMMAND_OK)
                abort();
            PQclear(r);
        }
        PQclear(PQexec(c, "COMMIT"));
        t = bench_now() - t0;
    } while (t < secs);
    PQclear(PQexec(c, "DROP TABLE bench_plain"));
    PQfinish(c);
    return (double)n / t;
}

static vt_gw_rq *rq;
static atomic_long pushed;

static void *rq_push(void *arg)
{
    uint8_t tok[ENTRY_LEN];

    (void)arg;
    memset(tok, 'e', sizeof(tok));
    while (!atomic_load(&stop_flag)) {
        if (vt_gw_rq_push(rq, tok, sizeof(tok), NULL) == VT_OK)
            atomic_fetch_add(&pushed, 1);
        else
            usleep(100); /* full: the sink catches up */
    }
    return NULL;
}

/* Receipts per second through the queue: written, fsynced (group commit), read in batches, acknowledged. */
static double queue_rate(const char *dir, double secs)
{
    char qdir[600];
    vt_gw_rq_opts o = { 0 };
    vt_gw_rq_batch b;
    pthread_t th[2];
    long acked = 0;
    vt_err err = { 0 };
    double t0, t;

    memset(&b, 0, sizeof(b));
    snprintf(qdir, sizeof(qdir), "%s/queue", dir);
    o.dir = qdir;
    o.max_bytes = (uint64_t)64 << 20;
    if (vt_gw_rq_open(&rq, &o, &err) != VT_OK) {
        fprintf(stderr, "bench_log: %s\n", err.msg);
        exit(1);
    }
    atomic_store(&stop_flag, false);
    t0 = bench_now();
    for (int i = 0; i < 2; i++)
        pthread_create(&th[i], NULL, rq_push, NULL);
    do {
        double ts = bench_now(), win;
        if (vt_gw_rq_sync(rq, NULL) != VT_OK) /* group commit, paced as receipt_sink.c does */
            abort();
        win = bench_now() - ts;
        win = win > 0.02 ? win : 0.02;
        ts = bench_now();
        do {
            if (vt_gw_rq_peek(rq, &b, 256, (size_t)512 << 10, NULL) != VT_OK || vt_gw_rq_ack(rq, &b, NULL) != VT_OK)
                abort();
            acked += (long)b.count;
        } while (b.count > 0 && bench_now() - ts < win);
        t = bench_now() - t0;
    } while (t < secs);
    atomic_store(&stop_flag, true);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    vt_gw_rq_batch_clear(&b);
    vt_gw_rq_close(rq);
    return (double)acked / t;
}

int main(void)
{
    const char *s = getenv("BENCH_SECS"), *pg = getenv("BENCH_LOG_DB");
    double secs = s != NULL ? atof(s) : 2, lr, pr, qr, pgr, pgl;
    char dir[] = "/tmp/veritee-bench-log-XXXXXX", cmd[600];

    if (secs <= 0 || mkdtemp(dir) == NULL)
        return 1;
    if (pg != NULL && *pg != '\0') { /* PostgreSQL: its own limit and the log on it */
        pgr = pg_rate(pg, 4096, secs);
        pgl = log_rate(dir, pg, secs);
        printf("== bench_log: durable appends on PostgreSQL, %d-byte entries, %d submitters of %d\n", ENTRY_LEN,
               SUBMITTERS, BULK);
        printf("| measurement | per second | vs limit |\n|---|---:|---:|\n");
        printf("| **limit**: plain libpq insert loop, one statement per row, 4096 rows per transaction | %.0f | 100%% |\n",
               pgr);
        printf("| veritee log append on PostgreSQL | %.0f | **%.0f%%** |\n", pgl, 100.0 * pgl / pgr);
    } else {
        pr = sqlite_rate(dir, 4096, secs);
        lr = log_rate(dir, NULL, secs);
        qr = queue_rate(dir, secs);
        printf("== bench_log: durable appends, %d-byte entries, SQLite WAL synchronous=FULL, %d submitters of %d\n",
               ENTRY_LEN, SUBMITTERS, BULK);
        printf("| measurement | per second | vs limit |\n|---|---:|---:|\n");
        printf("| **limit**: plain SQLite insert loop, 4096 rows per transaction | %.0f | 100%% |\n", pr);
        printf("| veritee log append (entry + stored hashes + signed checkpoint, group commit) | %.0f | **%.0f%%** |\n",
               lr, 100.0 * lr / pr);
        printf("| gateway receipt queue (write; fdatasync paced: at most half the time; batches of 256 read and "
               "acknowledged) | %.0f | %.0f%% |\n",
               qr, 100.0 * qr / pr);
    }
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : 1;
}
