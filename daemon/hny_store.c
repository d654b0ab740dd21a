/*  hny_store.c: honyakud's SQLite store (see hny_store.h).

    Statements are prepared once and cached by their SQL text; s_run binds
    arguments from a tiny format string ('i' int64, 's' text or NULL, 'b'
    blob) so that each operation is one line of SQL and one call. */
#include "hny_store.h"
#include "hny_ckpt.h"
#include "hny_tmnew.h"
#include "hny_zpool.h"

#include <honyaku/proto.h>
#include <honyaku/util.h>

#include <assert.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <xxhash.h>
#include <zstd.h>

#define S_STMT_MAX      128     /* distinct SQL statements cached (this file has fewer) */
#define S_TM_KEYS_MAX   64      /* (languages, profile) ids cached */
#define S_RETIRE_NOW    4096    /* segments a retired job deletes at once; more are swept */
/* zstd level of records: its first "fast" level. On the harness's records
   (zstd -b) 1.5 x level 1's speed both ways for a tenth less ratio (4.1 x
   against 4.5 x), and a record is compressed once per job on honyakud's
   one thread and read back for every TM hit on it. */
#define S_RECORD_LEVEL  (-1)

/* SQLite's page cache, in KiB (a negative cache_size): a fixed 8 MiB,
   filled within the first few thousand articles, where SQLite's default
   of 2 MiB was full of a pass's dirty pages. A pass dirties 250-400 pages
   (1-1.6 MiB: the TM's entries land on random leaves); in 2 MiB SQLite
   spilled some of them into the WAL before the COMMIT, which wrote them
   again, and read the hot pages of the indexes back from the file time and
   again (pwrite and pread per article, bench/README.md). */
#define S_CACHE_KIB   "-8192"

/* The TM's filter (s_tm_filter_*): a Bloom filter of the hashes in the
   tm table, so that a lookup of a source never seen skips the index. The
   index is keyed by random hashes and outgrows SQLite's page cache early
   (31 entries an article), so such a lookup reads a leaf from the file
   more often the larger the store: a cost per article that grew with the
   store (bench/README.md, "What changed: the store's growth"). 2^25 bits
   (4 MiB, allocated once) and 4 probes answer "maybe" for 0.02 % of
   unseen sources at 1 million entries, 0.9 % at 3 million (100,000
   articles), 23 % at 10 million; a "maybe" is only the lookup it would
   have been, so a fuller filter is slower, never wrong. */
#define S_TM_FILTER_BITS    (1u << 25)
#define S_TM_FILTER_PROBES  4

/* The TM's recent entries (table tm_new, hny_tmnew.h). A merge into tm
   starts once S_TM_MERGE_AT are kept (about 4,200 articles of 31
   segments) and takes one slice of the hash space per commit, in hash
   order: S_TM_SLICES commits, some 2,000 entries each, during which the
   loop keeps a few hundred articles more in tm_new (the index holds
   196,608). The larger a merge, the more of its entries share a leaf of
   tm: at 100,000 articles (some 18,000 leaves) 131,072 entries write
   about 18,000 leaves, 4 an article where one at a time wrote 31.
   Merges of 65,536 read a third more pages an article by then
   (bench/README.md). Its cost is the index's fixed 6 MiB. */
#define S_TM_MERGE_AT       131072
#define S_TM_SLICES         64

struct _hny_store_t {
    sqlite3 *db;
    int in_tx;                  /* a transaction is open */
    int poisoned;               /* a write in the open transaction failed */
    int full;                   /* the last failure was SQLITE_FULL */
    char error [256];           /* the last failure */
    uint64_t generation;        /* transactions undone so far */
    int truncate_wal;           /* hny_store_trim: empty the WAL after the commit */
    struct {
        const char *sql;        /* the literal it was prepared from */
        sqlite3_stmt *stmt;
    } cache [S_STMT_MAX];
    size_t cached;
    struct {
        char *from, *to, *profile;
        int64_t id;             /* tm_keys.id; 0: no such row (yet) */
    } tm_keys [S_TM_KEYS_MAX];  /* only what is committed or in the open transaction */
    size_t tm_key_count;
    hny_zpool_t *zpool;         /* records' compressors (contexts are reused: one costs
                                   more than a record), the pipeline's on a helper thread */
    ZSTD_DCtx *zd;
    uint64_t *tm_filter;        /* S_TM_FILTER_BITS: every hash the tm table may hold */
    hny_tmnew_t *tm_new;        /* tm_new's rows by key: exactly the table's, one row a key */
    int64_t tm_new_last;        /* the largest id given in tm_new */
    int64_t tm_merge_upto;      /* rows of id <= this are being merged into tm; 0: no merge */
    unsigned tm_merge_slice;    /* the merge's next slice, < S_TM_SLICES */
    size_t tm_merge_at;         /* S_TM_MERGE_AT, or a test's (hny_store_set_tm_merge_at) */
    int wal_pages;              /* frames in the WAL after the last commit */
    int wal_limit;              /* ... checkpointed once it holds this many (s_wal_limit) */
    hny_ckpt_t *ckpt;           /* the checkpointer thread; NULL: the loop checkpoints */
    int ckpt_asked;             /* the thread was asked for the WAL as it is */
};

/* The WAL is checkpointed once it holds wal_limit pages: a checkpoint
   copies each page once however often commits rewrote it (the hot pages
   of the indexes on random hashes are in most commits), so a larger WAL
   copies and syncs fewer pages per article. It is also room taken from
   the disk, and a checkpoint needs room in the database for the pages it
   copies: a WAL that fills a small disk could never be checkpointed
   (PROTOCOL.md 14). So it takes at most a share of the free room, between
   1 MiB and 8 MiB, reckoned again after every checkpoint. */
#define S_WAL_PAGES_MIN     256     /* 1 MiB of 4 KiB pages: the WAL of a nearly full disk */
#define S_WAL_PAGES_MAX     2048    /* 8 MiB */
#define S_WAL_DISK_SHARE    8       /* the WAL takes at most 1/8 of the free room */

/* The TM: the source's XXH3-64 (s_text_hash) under the id of its
   languages and profile (tm_keys); a place (job, para, idx) or the text. */
#define S_TM_COLUMNS                                                    \
    "(hash INTEGER NOT NULL, tmkey INTEGER NOT NULL,"                   \
    " job INTEGER, para INTEGER, idx INTEGER, src TEXT, tgt TEXT,"      \
    " origin TEXT, PRIMARY KEY (hash, tmkey)) WITHOUT ROWID;"

/* Schema 6: the TM's recent machine entries, in the order they came (a
   commit's rows share a page), at most one row a key; found through an
   index in memory (hny_tmnew.h) and merged into tm by slices; the merge
   under way in tm_merge's one row (rows up to `upto` are being merged,
   `slice` is the next slice; 0, 0: none). */
/* Copy rows of tm_new into tm (machine entries: origin NULL); the caller
   appends which rows. */
#define S_TM_NEW_COPY                                                   \
    "INSERT OR REPLACE INTO tm (hash, tmkey, job, para, idx, src, tgt, origin)" \
    " SELECT hash, tmkey, job, para, idx, src, tgt, NULL FROM tm_new"

#define S_TM_NEW_SCHEMA                                                 \
    "CREATE TABLE IF NOT EXISTS tm_new ("                               \
    "  id INTEGER PRIMARY KEY, hash INTEGER NOT NULL, tmkey INTEGER NOT NULL," \
    "  job INTEGER, para INTEGER, idx INTEGER, src TEXT, tgt TEXT);"    \
    "CREATE TABLE IF NOT EXISTS tm_merge ("                             \
    "  one INTEGER PRIMARY KEY CHECK (one = 1),"                        \
    "  upto INTEGER NOT NULL, slice INTEGER NOT NULL);"

/* Schema 5. Finished jobs keep their row and compressed record; the TM
   points into records (job, para, idx) or, for entries made before schema
   4 or with no segment to point at, holds its text. records.json is the
   record's JSON text (schema 3 and before) or its zstd frame (a BLOB).
   Schema 5: human TM entries (tm.origin not NULL: where they came from,
   their text held, under the profile HNY_STORE_TM_HUMAN) and the count of
   their hits (stats.tm_human_hits). Schema 6: tm_new and tm_merge
   (S_TM_NEW_SCHEMA). Schema 7: sources and translated, a small translate
   job's segments in a row and its translations in a row a RESULT
   (s_sources_*; its segments table then holds neither its pending nor its
   translated segments, so a honyakud before 7 must not open it). */
static const char *s_schema =
    "CREATE TABLE IF NOT EXISTS jobs ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  key TEXT NOT NULL UNIQUE,"
    "  hash TEXT NOT NULL,"
    "  from_lang TEXT NOT NULL, to_lang TEXT NOT NULL,"
    "  backend TEXT NOT NULL, format TEXT NOT NULL, lenient INTEGER NOT NULL,"
    "  source TEXT, metadata TEXT, prepared TEXT,"
    "  state TEXT NOT NULL, error TEXT, error_code INTEGER NOT NULL DEFAULT 0,"
    "  created INTEGER NOT NULL, updated INTEGER NOT NULL,"
    "  chars_billed INTEGER NOT NULL DEFAULT 0, requests INTEGER NOT NULL DEFAULT 0,"
    "  seg_total INTEGER, seg_done INTEGER, seg_failed INTEGER);"
    "CREATE INDEX IF NOT EXISTS jobs_state ON jobs (state);"
    "CREATE TABLE IF NOT EXISTS contents ("
    "  job INTEGER PRIMARY KEY, data BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS segments ("
    "  job INTEGER NOT NULL, para INTEGER NOT NULL, idx INTEGER NOT NULL,"
    "  src TEXT NOT NULL, tgt TEXT, tm INTEGER NOT NULL DEFAULT 0,"
    "  state TEXT NOT NULL DEFAULT 'pending',"
    "  code INTEGER NOT NULL DEFAULT 0, class TEXT, reason TEXT, backend TEXT, qa TEXT,"
    "  PRIMARY KEY (job, para, idx)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS tasks ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  kind TEXT NOT NULL, job INTEGER NOT NULL, payload TEXT,"
    "  state TEXT NOT NULL DEFAULT 'queued', worker TEXT,"
    "  lease_deadline INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0,"
    "  losses INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS tm_keys ("
    "  id INTEGER PRIMARY KEY, from_lang TEXT NOT NULL, to_lang TEXT NOT NULL,"
    "  profile TEXT NOT NULL, UNIQUE (from_lang, to_lang, profile));"
    "CREATE TABLE IF NOT EXISTS tm " S_TM_COLUMNS
    S_TM_NEW_SCHEMA
    "CREATE TABLE IF NOT EXISTS records ("
    "  job INTEGER PRIMARY KEY, json NOT NULL);"
    "CREATE TABLE IF NOT EXISTS stats ("
    "  profile TEXT PRIMARY KEY, tm_hits INTEGER NOT NULL DEFAULT 0,"
    "  tm_misses INTEGER NOT NULL DEFAULT 0, chars_billed INTEGER NOT NULL DEFAULT 0,"
    "  requests INTEGER NOT NULL DEFAULT 0, segments INTEGER NOT NULL DEFAULT 0,"
    "  tm_human_hits INTEGER NOT NULL DEFAULT 0,"
    "  prompt_tokens INTEGER NOT NULL DEFAULT 0, completion_tokens INTEGER NOT NULL DEFAULT 0,"
    "  usage_count INTEGER NOT NULL DEFAULT -1, usage_limit INTEGER NOT NULL DEFAULT -1,"
    "  usage_at INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS sources ("
    "  job INTEGER PRIMARY KEY, count INTEGER NOT NULL, data BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS translated ("
    "  job INTEGER NOT NULL, para INTEGER NOT NULL, idx INTEGER NOT NULL, data BLOB NOT NULL,"
    "  PRIMARY KEY (job, para, idx)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS probe (pad BLOB);"
    "CREATE TABLE IF NOT EXISTS sweep (job INTEGER PRIMARY KEY);";

/* Align jobs' own row (hny_store.h), made whatever the version says, so
   that it composes with every upgrade of the tables above. */
static const char *s_align_schema =
    "CREATE TABLE IF NOT EXISTS aligns ("
    "  job INTEGER PRIMARY KEY, src_bytes INTEGER NOT NULL, target_source TEXT,"
    "  src_prepared TEXT, tgt_prepared TEXT, links INTEGER NOT NULL DEFAULT -1);"
    /* the backend profile of an align job that translates its source
       (a table of its own: older aligns tables need no new column) */
    "CREATE TABLE IF NOT EXISTS align_backends (job INTEGER PRIMARY KEY, profile TEXT NOT NULL);";

/* ------------------------------------------------------------- plumbing */

/* Note a failure: its text, whether the disk is full, and that the open
   transaction (if any) must not commit. */
static void
s_failed (hny_store_t *self, const char *what)
{
    int code = sqlite3_extended_errcode (self->db) & 0xff;
    self->full = code == SQLITE_FULL;
    snprintf (self->error, sizeof self->error, "%.60s: %s", what, sqlite3_errmsg (self->db));
    hny_error ("store: %s", self->error);
    if (self->in_tx)
        self->poisoned = 1;
}

static sqlite3_stmt *
s_stmt (hny_store_t *self, const char *sql)
{
    /* By address first: the literals are this file's, so that is the
       usual hit, and it costs no string compare per cached statement. */
    for (size_t i = 0; i < self->cached; i++)
        if (self->cache [i].sql == sql)
            return self->cache [i].stmt;
    for (size_t i = 0; i < self->cached; i++)
        if (strcmp (self->cache [i].sql, sql) == 0)
            return self->cache [i].stmt;
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v3 (self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL) != SQLITE_OK) {
        s_failed (self, sql);
        return NULL;
    }
    assert (self->cached < S_STMT_MAX);
    self->cache [self->cached].sql = sql;
    self->cache [self->cached].stmt = stmt;
    self->cached++;
    return stmt;
}

/* Prepare (from the cache) and bind; the caller steps and then resets. */
static sqlite3_stmt *
s_bindv (hny_store_t *self, const char *sql, const char *fmt, va_list args)
{
    sqlite3_stmt *stmt = s_stmt (self, sql);
    if (!stmt)
        return NULL;
    sqlite3_reset (stmt);
    sqlite3_clear_bindings (stmt);
    int n = 1;
    for (const char *f = fmt; *f; f++, n++) {
        int rc = SQLITE_OK;
        if (*f == 'i')
            rc = sqlite3_bind_int64 (stmt, n, va_arg (args, int64_t));
        else if (*f == 's') {
            const char *s = va_arg (args, const char *);
            rc = s ? sqlite3_bind_text (stmt, n, s, -1, SQLITE_STATIC) : sqlite3_bind_null (stmt, n);
        }
        else if (*f == 'b') {
            const void *data = va_arg (args, const void *);
            size_t size = va_arg (args, size_t);
            rc = sqlite3_bind_blob64 (stmt, n, data ? data : "", size, SQLITE_STATIC);
        }
        else
            assert (!"bad bind format");
        if (rc != SQLITE_OK) {
            s_failed (self, sql);
            return NULL;
        }
    }
    return stmt;
}

static sqlite3_stmt *
s_query (hny_store_t *self, const char *sql, const char *fmt, ...)
{
    va_list args;
    va_start (args, fmt);
    sqlite3_stmt *stmt = s_bindv (self, sql, fmt, args);
    va_end (args);
    return stmt;
}

/* Run a statement that returns no rows. In a poisoned transaction it is
   not run at all: SQLite may have rolled the transaction back already (a
   full disk can), and a write now would commit on its own, out of its
   pass (a job "done" without its record). */
static int
s_run (hny_store_t *self, const char *sql, const char *fmt, ...)
{
    if (self->in_tx && (self->poisoned || sqlite3_get_autocommit (self->db))) {
        self->poisoned = 1;
        return -1;
    }
    va_list args;
    va_start (args, fmt);
    sqlite3_stmt *stmt = s_bindv (self, sql, fmt, args);
    va_end (args);
    if (!stmt)
        return -1;
    int rc = sqlite3_step (stmt);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        s_failed (self, sql);
        sqlite3_reset (stmt);
        return -1;
    }
    sqlite3_reset (stmt);
    return 0;
}

/* Step a query: 1 row, 0 done (and reset), -1 error (and reset). */
static int
s_step (hny_store_t *self, sqlite3_stmt *stmt)
{
    int rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc != SQLITE_DONE)
        s_failed (self, sqlite3_sql (stmt));
    sqlite3_reset (stmt);
    return rc == SQLITE_DONE ? 0 : -1;
}

static char *
s_col_str (sqlite3_stmt *stmt, int col)
{
    const unsigned char *text = sqlite3_column_text (stmt, col);
    return text ? hny_strdup ((const char *) text) : NULL;
}

/* A column's bytes (as text, or as a blob), copied with a NUL after them
   (caller owns); *size their count. */
static void *
s_col_copy (sqlite3_stmt *stmt, int col, int text, size_t *size)
{
    const void *bytes = text ? (const void *) sqlite3_column_text (stmt, col)
                             : sqlite3_column_blob (stmt, col);
    *size = (size_t) sqlite3_column_bytes (stmt, col);
    char *copy = hny_malloc (*size + 1);
    if (*size)
        memcpy (copy, bytes, *size);
    copy [*size] = 0;
    return copy;
}

static int
s_exec (hny_store_t *self, const char *sql)
{
    if (sqlite3_exec (self->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
        s_failed (self, sql);
        return -1;
    }
    return 0;
}

/* The TM key of a source text: XXH3-64 as a signed integer. Two sources
   may share a key (the newer entry replaces the older); a hit is used only
   when its source is the one asked for, so a collision costs a miss, never
   a wrong target. */
static int64_t
s_text_hash (const char *text, size_t len)
{
    return (int64_t) XXH3_64bits (text, len);
}

int64_t
hny_store_text_hash (const char *src)
{
    return s_text_hash (src, strlen (src));
}

/* The SQL function hny_text_hash(text), for the upgrade of the TM. */
static void
s_sql_text_hash (sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void) argc;
    const unsigned char *text = sqlite3_value_text (argv [0]);
    size_t len = (size_t) sqlite3_value_bytes (argv [0]);
    sqlite3_result_int64 (ctx, s_text_hash (text ? (const char *) text : "", text ? len : 0));
}

/* 1 when table has the column (0 also when the table is missing). */
static int
s_has_column (hny_store_t *self, const char *table, const char *column)
{
    char *sql = hny_sprintf ("SELECT 1 FROM pragma_table_info('%s') WHERE name='%s'", table, column);
    sqlite3_stmt *stmt = NULL;
    int found = sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) == SQLITE_OK
             && sqlite3_step (stmt) == SQLITE_ROW;
    sqlite3_finalize (stmt);
    free (sql);
    return found;
}

/* ------------------------------------------------------------- TM keys */

static void
s_tm_keys_forget (hny_store_t *self)
{
    for (size_t i = 0; i < self->tm_key_count; i++) {
        free (self->tm_keys [i].from);
        free (self->tm_keys [i].to);
        free (self->tm_keys [i].profile);
    }
    self->tm_key_count = 0;
}

/* The id of a TM's languages and profile in tm_keys, made when create is
   set and it is missing: 1 (*id set), 0 missing, -1 error. Ids are cached
   (a handful of profiles and pairs), and so is a missing row (id 0): every
   lookup asks for the pair's human entries, which most stores never have,
   and rows are only ever added here (or at open) and never deleted. The
   cache is dropped with a rolled back pass, whose new ids SQLite may give
   again. */
static int
s_tm_key (hny_store_t *self, const char *from, const char *to, const char *profile, int create,
          int64_t *id)
{
    size_t at = self->tm_key_count;
    for (size_t i = 0; i < self->tm_key_count; i++)
        if (strcmp (self->tm_keys [i].profile, profile) == 0 && strcmp (self->tm_keys [i].from, from) == 0
        &&  strcmp (self->tm_keys [i].to, to) == 0) {
            if (self->tm_keys [i].id > 0) {
                *id = self->tm_keys [i].id;
                return 1;
            }
            if (!create)
                return 0;
            at = i;             /* known missing: make it below */
            break;
        }
    int rc = 0;
    if (at == self->tm_key_count) {
        sqlite3_stmt *stmt = s_query (self, "SELECT id FROM tm_keys WHERE from_lang=? AND to_lang=? AND profile=?",
                                      "sss", from, to, profile);
        rc = stmt ? s_step (self, stmt) : -1;
        if (rc == 1) {
            *id = sqlite3_column_int64 (stmt, 0);
            sqlite3_reset (stmt);
        }
    }
    if (rc == 0 && create) {
        if (s_run (self, "INSERT INTO tm_keys (from_lang, to_lang, profile) VALUES (?,?,?)", "sss",
                   from, to, profile))
            return -1;
        *id = sqlite3_last_insert_rowid (self->db);
        rc = 1;
    }
    if (rc < 0)
        return rc;
    if (at < self->tm_key_count)
        self->tm_keys [at].id = rc == 1 ? *id : 0;
    else if (self->tm_key_count < S_TM_KEYS_MAX) {
        self->tm_keys [at].from = hny_strdup (from);
        self->tm_keys [at].to = hny_strdup (to);
        self->tm_keys [at].profile = hny_strdup (profile);
        self->tm_keys [at].id = rc == 1 ? *id : 0;
        self->tm_key_count++;
    }
    return rc;
}

/* ------------------------------------------------------------- TM filter */

/* The filter's bits of a hash: probe i at h1 + i * h2 (the two halves of
   the XXH3 hash, already uniform; h2 odd so that the probes differ). */
#define S_TM_FILTER_BIT(hash, i)                                        \
    (((uint32_t) (hash) + (i) * ((uint32_t) ((uint64_t) (hash) >> 32) | 1u)) & (S_TM_FILTER_BITS - 1))

/* Note a hash the tm table holds (or may: a rolled back or deleted entry
   keeps its bits, which costs a lookup, never a hit). */
static void
s_tm_filter_add (hny_store_t *self, int64_t hash)
{
    for (uint32_t i = 0; i < S_TM_FILTER_PROBES; i++) {
        uint32_t bit = S_TM_FILTER_BIT (hash, i);
        self->tm_filter [bit / 64] |= (uint64_t) 1 << (bit % 64);
    }
}

/* 0: no entry of this hash is in the tm table; 1: there may be. */
static int
s_tm_filter_may (hny_store_t *self, int64_t hash)
{
    for (uint32_t i = 0; i < S_TM_FILTER_PROBES; i++) {
        uint32_t bit = S_TM_FILTER_BIT (hash, i);
        if (!(self->tm_filter [bit / 64] & ((uint64_t) 1 << (bit % 64))))
            return 0;
    }
    return 1;
}

/* Fill the filter from the tm table (at open: one pass over the table,
   0.1 s per million entries from the OS's cache, 0.5 s from the disk).
   Every later entry passes through s_tm_filter_add before it is written. */
static int
s_tm_filter_fill (hny_store_t *self)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (self->db, "SELECT hash FROM tm", -1, &stmt, NULL) != SQLITE_OK)
        return -1;
    int rc;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        s_tm_filter_add (self, sqlite3_column_int64 (stmt, 0));
    sqlite3_finalize (stmt);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* ------------------------------------------------------------- TM: recent entries */

/* Read tm_new into its index and the merge under way from tm_merge: at
   open (filter: its hashes into the TM's filter too), and after a
   rollback (which may have undone rows the index had been given, or
   removals; their hashes are in the filter since their puts). 0; 1 when
   the index cannot hold every row (the table was written by hand): the
   caller flushes; -1 error. */
static int
s_tm_new_load (hny_store_t *self, int filter)
{
    hny_tmnew_clear (self->tm_new);
    self->tm_new_last = 0;
    self->tm_merge_upto = 0;
    self->tm_merge_slice = 0;
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (self->db, "SELECT upto, slice FROM tm_merge WHERE one=1", -1, &stmt, NULL)
        != SQLITE_OK)
        return -1;
    int rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW) {
        self->tm_merge_upto = sqlite3_column_int64 (stmt, 0);
        int64_t slice = sqlite3_column_int64 (stmt, 1);
        self->tm_merge_slice = slice >= 0 && slice < S_TM_SLICES ? (unsigned) slice : 0;
    }
    sqlite3_finalize (stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return -1;
    if (sqlite3_prepare_v2 (self->db, "SELECT id, hash, tmkey FROM tm_new ORDER BY id", -1, &stmt, NULL)
        != SQLITE_OK)
        return -1;
    int over = 0;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64 (stmt, 0), hash = sqlite3_column_int64 (stmt, 1);
        if (filter)
            s_tm_filter_add (self, hash);
        if (hny_tmnew_set (self->tm_new, hash, sqlite3_column_int64 (stmt, 2), id))
            over = 1;
        self->tm_new_last = id;
    }
    sqlite3_finalize (stmt);
    return rc != SQLITE_DONE ? -1 : over;
}

/* Keep the merge's state in its row (in the open transaction). */
static int
s_tm_merge_save (hny_store_t *self)
{
    return s_run (self, "INSERT OR REPLACE INTO tm_merge (one, upto, slice) VALUES (1,?,?)", "ii",
                  self->tm_merge_upto, (int64_t) self->tm_merge_slice);
}

/* Every row of tm_new into tm, in key order (the newest of a key last,
   so that it wins), then none left: the export's first page, and a full
   index. */
static int
s_tm_flush (hny_store_t *self)
{
    /* The index holds every row (one a key): none, nothing to do, and
       nothing written (an export of a store that takes no writes). */
    if (!hny_tmnew_size (self->tm_new) && !self->tm_merge_upto)
        return 0;
    if (s_run (self, S_TM_NEW_COPY " ORDER BY hash, tmkey, id", "")
    ||  s_run (self, "DELETE FROM tm_new", ""))
        return -1;
    hny_tmnew_clear (self->tm_new);
    self->tm_merge_upto = 0;
    self->tm_merge_slice = 0;
    return s_tm_merge_save (self);
}

void
hny_store_set_tm_merge_at (hny_store_t *self, size_t entries)
{
    self->tm_merge_at = entries ? entries : 1;
}

int
hny_store_tm_flush (hny_store_t *self)
{
    if (self->in_tx)
        return s_tm_flush (self);
    if (hny_store_begin (self))
        return -1;
    int rc = s_tm_flush (self);
    return hny_store_commit (self) || rc ? -1 : 0;
}

/* One step of the merge, in the transaction about to commit: start one
   once S_TM_MERGE_AT entries are kept (it takes every row there is now),
   then write one slice of it into tm in key order; after the last slice
   the merged rows go. A key given a newer row since the merge began is
   not in the merge: its index entry names the newer row (see
   s_tm_new_put). */
static int
s_tm_merge_step (hny_store_t *self)
{
    if (!self->tm_merge_upto) {
        if (hny_tmnew_size (self->tm_new) < self->tm_merge_at)
            return 0;
        self->tm_merge_upto = self->tm_new_last;
        self->tm_merge_slice = 0;
    }
    hny_tmnew_entry_t *list = NULL;
    size_t n = hny_tmnew_slice (self->tm_new, self->tm_merge_upto, self->tm_merge_slice, S_TM_SLICES,
                                &list);
    int rc = 0;
    for (size_t i = 0; !rc && i < n; i++)
        rc = s_run (self, S_TM_NEW_COPY " WHERE id=?", "i", list [i].id);
    free (list);
    if (rc)
        return -1;
    if (++self->tm_merge_slice == S_TM_SLICES) {
        if (s_run (self, "DELETE FROM tm_new WHERE id<=?", "i", self->tm_merge_upto))
            return -1;
        hny_tmnew_drop_upto (self->tm_new, self->tm_merge_upto);
        self->tm_merge_upto = 0;
        self->tm_merge_slice = 0;
    }
    return s_tm_merge_save (self);
}

/* Keep a machine entry in tm_new (one row a key): a key of the merge's
   rows gets a new row (the old one goes, the merge skips the key), any
   other known key has its row rewritten, a new key gets a row. */
static int
s_tm_new_put (hny_store_t *self, int64_t hash, int64_t key, int64_t job, int para, int idx,
              const char *src, const char *tgt)
{
    int64_t old = hny_tmnew_get (self->tm_new, hash, key);
    if (old > self->tm_merge_upto)
        return s_run (self, "UPDATE tm_new SET job=NULLIF(?1,0), para=CASE WHEN ?1>0 THEN ?2 END,"
                            " idx=CASE WHEN ?1>0 THEN ?3 END, src=?4, tgt=?5 WHERE id=?6", "iiissi",
                      job, (int64_t) para, (int64_t) idx, src, tgt, old);
    if (old && s_run (self, "DELETE FROM tm_new WHERE id=?", "i", old))
        return -1;
    /* A place (job > 0) or the text: the other columns stay NULL, as in tm. */
    if (s_run (self, "INSERT INTO tm_new (hash, tmkey, job, para, idx, src, tgt) VALUES"
                     " (?1, ?2, NULLIF(?3,0), CASE WHEN ?3>0 THEN ?4 END, CASE WHEN ?3>0 THEN ?5 END, ?6, ?7)",
               "iiiiiss", hash, key, job, (int64_t) para, (int64_t) idx, src, tgt))
        return -1;
    self->tm_new_last = sqlite3_last_insert_rowid (self->db);
    s_tm_filter_add (self, hash);
    /* A full index (a pass that kept some 130,000 entries while a merge
       went on): everything goes to tm now, this row too. */
    if (hny_tmnew_set (self->tm_new, hash, key, self->tm_new_last))
        return s_tm_flush (self);
    return 0;
}

/* ------------------------------------------------------------- life cycle */

/* Schema 4 over 3: the raw articles move to their own table (a row that
   loses 4 KiB when its article is prepared left its page mostly empty),
   jobs keep the counts of segments they drop, the TM is keyed by a 64-bit
   hash under an id of languages and profile (entries kept their text: they
   point at no record), and finished jobs drop their segments, which their
   records hold. */
static int
s_upgrade_4 (hny_store_t *self)
{
    if (s_has_column (self, "jobs", "content")
    &&  s_exec (self, "INSERT OR REPLACE INTO contents (job, data)"
                      " SELECT id, content FROM jobs WHERE content IS NOT NULL;"
                      " ALTER TABLE jobs DROP COLUMN content"))
        return -1;
    if (!s_has_column (self, "jobs", "seg_total")
    &&  s_exec (self, "ALTER TABLE jobs ADD COLUMN seg_total INTEGER;"
                      " ALTER TABLE jobs ADD COLUMN seg_done INTEGER;"
                      " ALTER TABLE jobs ADD COLUMN seg_failed INTEGER"))
        return -1;
    /* Older entries first, so that the newest wins a shared key. */
    if (s_has_column (self, "tm", "from_lang")
    &&  s_exec (self, "INSERT OR IGNORE INTO tm_keys (from_lang, to_lang, profile)"
                      " SELECT DISTINCT from_lang, to_lang, profile FROM tm;"
                      " CREATE TABLE tm_4 " S_TM_COLUMNS
                      " INSERT OR REPLACE INTO tm_4 (hash, tmkey, src, tgt)"
                      " SELECT hny_text_hash (t.src), k.id, t.src, t.tgt FROM tm t JOIN tm_keys k"
                      " ON k.from_lang=t.from_lang AND k.to_lang=t.to_lang AND k.profile=t.profile"
                      " ORDER BY t.created, t.rowid;"
                      " DROP TABLE tm; ALTER TABLE tm_4 RENAME TO tm"))
        return -1;
    return s_exec (self, "UPDATE jobs SET"
                         " seg_total=(SELECT count(*) FROM segments s WHERE s.job=jobs.id),"
                         " seg_done=(SELECT count(*) FROM segments s WHERE s.job=jobs.id AND s.state='done'),"
                         " seg_failed=(SELECT count(*) FROM segments s WHERE s.job=jobs.id AND s.state='failed'),"
                         " metadata=NULL, prepared=NULL WHERE state IN ('done','failed') AND seg_total IS NULL;"
                         " DELETE FROM segments WHERE job IN"
                         " (SELECT id FROM jobs WHERE state IN ('done','failed'))");
}

/* Schema 5 over 4: the TM's origin column (every entry so far is a
   machine's: NULL) and the count of human hits per profile. Two columns
   added in place: no row is rewritten. */
static int
s_upgrade_5 (hny_store_t *self)
{
    if (!s_has_column (self, "tm", "origin")
    &&  s_exec (self, "ALTER TABLE tm ADD COLUMN origin TEXT"))
        return -1;
    if (!s_has_column (self, "stats", "tm_human_hits")
    &&  s_exec (self, "ALTER TABLE stats ADD COLUMN tm_human_hits INTEGER NOT NULL DEFAULT 0"))
        return -1;
    return 0;
}

/* Bring an older schema up to this one in one transaction. Each step
   looks at what is there, so what an earlier version did is skipped:
   2 added segments.backend (the profile used, when not the job's), 3 the
   probe table, tasks.losses and the LLM and usage columns of stats, 4 is
   s_upgrade_4, 5 s_upgrade_5, 6 the TM's recent entries (new tables), 7
   the sources and translated tables.
   Missing tables are made as s_schema says. */
static int
s_upgrade (hny_store_t *self)
{
    int ok = s_exec (self, "BEGIN") == 0
          && (s_has_column (self, "segments", "backend")
              || s_exec (self, "ALTER TABLE segments ADD COLUMN backend TEXT") == 0)
          && s_exec (self, s_schema) == 0
          && (s_has_column (self, "tasks", "losses")
              || s_exec (self, "ALTER TABLE tasks ADD COLUMN losses INTEGER NOT NULL DEFAULT 0") == 0)
          && (s_has_column (self, "stats", "usage_at")
              || s_exec (self, "ALTER TABLE stats ADD COLUMN prompt_tokens INTEGER NOT NULL DEFAULT 0;"
                               " ALTER TABLE stats ADD COLUMN completion_tokens INTEGER NOT NULL DEFAULT 0;"
                               " ALTER TABLE stats ADD COLUMN usage_count INTEGER NOT NULL DEFAULT -1;"
                               " ALTER TABLE stats ADD COLUMN usage_limit INTEGER NOT NULL DEFAULT -1;"
                               " ALTER TABLE stats ADD COLUMN usage_at INTEGER NOT NULL DEFAULT 0") == 0)
          && s_upgrade_4 (self) == 0
          && s_upgrade_5 (self) == 0;
    char *sql = hny_sprintf ("PRAGMA user_version=%d; COMMIT;", HNY_STORE_SCHEMA_VERSION);
    if (ok)
        ok = s_exec (self, sql) == 0;
    free (sql);
    if (!ok) {
        sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    /* Free pages go back to the file system only with auto_vacuum, which
       an existing file gets by a VACUUM (a copy of the whole file, once).
       Without it the store works all the same; it just does not shrink. */
    sqlite3_stmt *stmt = NULL;
    int mode = sqlite3_prepare_v2 (self->db, "PRAGMA auto_vacuum", -1, &stmt, NULL) == SQLITE_OK
            && sqlite3_step (stmt) == SQLITE_ROW ? sqlite3_column_int (stmt, 0) : -1;
    sqlite3_finalize (stmt);
    if (mode == 0) {
        hny_info ("store: upgraded to schema %d; compacting the file (once)", HNY_STORE_SCHEMA_VERSION);
        if (sqlite3_exec (self->db, "VACUUM", NULL, NULL, NULL) != SQLITE_OK)
            hny_warn ("store: cannot compact the file (%s): it will not shrink by itself",
                      sqlite3_errmsg (self->db));
    }
    return 0;
}

/* Reckon the WAL's checkpoint threshold (wal_limit) from the room left
   on the database's file system, and cut the WAL file back to it after
   a checkpoint (journal_size_limit): from S_WAL_PAGES_MIN to
   S_WAL_PAGES_MAX pages, at most a S_WAL_DISK_SHARE'th of the free room.
   Outside a transaction. */
static void
s_wal_limit (hny_store_t *self)
{
    int64_t page = 4096, room = -1;
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (self->db, "PRAGMA page_size", -1, &stmt, NULL) == SQLITE_OK
    &&  sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_int64 (stmt, 0) > 0)
        page = sqlite3_column_int64 (stmt, 0);
    sqlite3_finalize (stmt);
    const char *path = sqlite3_db_filename (self->db, "main");
    struct statvfs fs;
    if (path && *path && statvfs (path, &fs) == 0)
        room = (int64_t) fs.f_bavail * (int64_t) fs.f_frsize;
    /* Unknown room (no file): the small WAL, as for a nearly full disk. */
    int64_t pages = room < 0 ? S_WAL_PAGES_MIN : room / S_WAL_DISK_SHARE / page;
    pages = pages < S_WAL_PAGES_MIN ? S_WAL_PAGES_MIN : pages > S_WAL_PAGES_MAX ? S_WAL_PAGES_MAX : pages;
    if (pages == self->wal_limit)
        return;
    self->wal_limit = (int) pages;
    char *sql = hny_sprintf ("PRAGMA journal_size_limit=%lld", (long long) (pages * page));
    if (sqlite3_exec (self->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        hny_debug ("store: %s: %s", sql, sqlite3_errmsg (self->db));
    free (sql);
}

/* SQLite's note after each commit: the WAL's size (in place of its
   automatic checkpoint, which would run inside the COMMIT). */
static int
s_on_wal (void *arg, sqlite3 *db, const char *name, int pages)
{
    (void) db;
    (void) name;
    ((hny_store_t *) arg)->wal_pages = pages;
    return SQLITE_OK;
}

hny_store_t *
hny_store_new (const char *path, char **error)
{
    assert (path && error);
    *error = NULL;
    hny_store_t *self = hny_calloc (1, sizeof *self);
    self->zpool = hny_zpool_new (S_RECORD_LEVEL);
    self->zd = ZSTD_createDCtx ();
    if (!self->zpool || !self->zd
    ||  sqlite3_open_v2 (path, &self->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                                            | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        *error = hny_sprintf ("%s: %s", path, self->db ? sqlite3_errmsg (self->db) : "cannot open");
        hny_store_destroy (&self);
        return NULL;
    }
    sqlite3_busy_timeout (self->db, 5000);
    sqlite3_create_function_v2 (self->db, "hny_text_hash", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                                NULL, s_sql_text_hash, NULL, NULL, NULL);
    int version = -1;
    sqlite3_stmt *stmt = NULL;
    /* auto_vacuum first: a new file takes it only before its first table
       and before it is put in WAL mode (an older file ignores it until
       the VACUUM of its upgrade). The WAL's size is kept in bounds by
       hny_store_checkpoint (s_wal_limit): left to SQLite's 1000 pages and
       no journal_size_limit it can hold most of a small disk, and a
       checkpoint needs room in the database for what it copies, so a full
       disk could never be recovered (section 14). Until the wal hook is
       set below, SQLite's own checkpoint stays at 1 MiB. */
    if (s_exec (self, "PRAGMA auto_vacuum=INCREMENTAL; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                      " PRAGMA foreign_keys=OFF; PRAGMA cache_size=" S_CACHE_KIB ";"
                      " PRAGMA wal_autocheckpoint=256; PRAGMA journal_size_limit=1048576;")
    ||  sqlite3_prepare_v2 (self->db, "PRAGMA user_version", -1, &stmt, NULL) != SQLITE_OK
    ||  sqlite3_step (stmt) != SQLITE_ROW)
        *error = hny_sprintf ("%s: %s", path, sqlite3_errmsg (self->db));
    else
        version = sqlite3_column_int (stmt, 0);
    sqlite3_finalize (stmt);
    if (!*error && version > HNY_STORE_SCHEMA_VERSION)
        *error = hny_sprintf ("%s: schema version %d is newer than this honyakud (%d)",
                              path, version, HNY_STORE_SCHEMA_VERSION);
    if (!*error && version >= 1 && version < HNY_STORE_SCHEMA_VERSION) {
        if (s_upgrade (self))
            *error = hny_sprintf ("%s: cannot upgrade the schema: %s", path, sqlite3_errmsg (self->db));
    }
    else if (!*error && version < HNY_STORE_SCHEMA_VERSION) {
        char *sql = hny_sprintf ("BEGIN; %s PRAGMA user_version=%d; COMMIT;",
                                 s_schema, HNY_STORE_SCHEMA_VERSION);
        if (s_exec (self, sql))
            *error = hny_sprintf ("%s: cannot create the schema: %s", path, sqlite3_errmsg (self->db));
        free (sql);
    }
    if (!*error && s_exec (self, s_align_schema))
        *error = hny_sprintf ("%s: cannot create the aligns table: %s", path, sqlite3_errmsg (self->db));
    /* jobs by hash: a SUBMIT of content done before under another key
       reuses that job's segments (hny_store_job_done_by_hash). An index
       needs no new schema version: an older honyakud ignores it. */
    if (!*error && s_exec (self, "CREATE INDEX IF NOT EXISTS jobs_hash ON jobs (hash)"))
        *error = hny_sprintf ("%s: cannot index jobs by hash: %s", path, sqlite3_errmsg (self->db));
    /* segments.qa (the flags of the checks, PROTOCOL.md 12.2) is added
       whatever the version: a nullable column that an older honyakud
       never names, so the schema version need not change for it. */
    if (!*error && !s_has_column (self, "segments", "qa")
    &&  s_exec (self, "ALTER TABLE segments ADD COLUMN qa TEXT"))
        *error = hny_sprintf ("%s: cannot add segments.qa: %s", path, sqlite3_errmsg (self->db));
    self->tm_filter = hny_calloc (S_TM_FILTER_BITS / 64, sizeof *self->tm_filter);
    self->tm_new = hny_tmnew_new ();
    self->tm_merge_at = S_TM_MERGE_AT;
    int over = 0;
    if (!*error && (s_tm_filter_fill (self) || (over = s_tm_new_load (self, 1)) < 0))
        *error = hny_sprintf ("%s: cannot read the TM: %s", path, sqlite3_errmsg (self->db));
    /* More recent entries than the index holds: only a hand could have
       written them; they go to tm at once. */
    if (!*error && over && hny_store_tm_flush (self))
        *error = hny_sprintf ("%s: cannot merge the TM's recent entries: %s", path, self->error);
    if (*error) {
        hny_store_destroy (&self);
        return NULL;
    }
    /* Checkpoints are the caller's (hny_store_checkpoint), after a pass
       sent its messages, not inside the COMMIT that precedes them. */
    sqlite3_wal_hook (self->db, s_on_wal, self);
    s_wal_limit (self);
    /* The checkpointer needs a file (not an in-memory store); without
       it the loop checkpoints as before. */
    const char *file = sqlite3_db_filename (self->db, "main");
    if (file && *file) {
        char *why = NULL;
        self->ckpt = hny_ckpt_new (file, &why);
        if (!self->ckpt) {
            hny_warn ("store: %s: checkpoints stay in the loop", why);
            free (why);
        }
    }
    return self;
}

/* The loop's own passive checkpoint (outside a transaction), then the
   WAL's next limit. */
static int
s_checkpoint_here (hny_store_t *self)
{
    int log = 0, done = 0;
    int rc = sqlite3_wal_checkpoint_v2 (self->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
    if (rc != SQLITE_OK) {
        hny_debug ("store: checkpoint: %s", sqlite3_errmsg (self->db));
        return -1;
    }
    /* Frames it could not copy (a reader holds them) wait for the next. */
    self->wal_pages = log > done ? log - done : 0;
    s_wal_limit (self);
    return 1;
}

int
hny_store_checkpoint (hny_store_t *self)
{
    if (self->in_tx)
        return 0;
    if (self->wal_pages < self->wal_limit) {
        self->ckpt_asked = 0;           /* started over: a new WAL */
        return 0;
    }
    /* At its limit the WAL goes to the checkpointer thread, which copies
       it while the loop goes on. SQLite starts the WAL over (and the wal
       hook reports it small again) only at a commit that finds every
       frame copied; the loop's commits meanwhile add frames, so once the
       thread is done the loop copies those few itself, or asks the
       thread again while they are many. Twice the limit means the thread
       did not keep up (or fails): the loop then waits for it and copies
       the rest, so the WAL stays within a quarter of the free room. A
       small disk (the least limit, under 8 MiB free) keeps the loop's
       own checkpoint at the limit: there, room for a second WAL's worth
       is not certain (section 14). */
    if (self->ckpt && self->wal_limit > S_WAL_PAGES_MIN && self->wal_pages < 2 * self->wal_limit) {
        if (hny_ckpt_busy (self->ckpt))
            return 0;
        if (!self->ckpt_asked || self->wal_pages - hny_ckpt_copied (self->ckpt) > self->wal_limit / 8) {
            hny_ckpt_ask (self->ckpt);
            self->ckpt_asked = 1;
            s_wal_limit (self);
            return 1;
        }
    }
    else if (self->ckpt)
        hny_ckpt_wait (self->ckpt);
    self->ckpt_asked = 0;
    return s_checkpoint_here (self);
}

void
hny_store_destroy (hny_store_t **self_p)
{
    assert (self_p);
    hny_store_t *self = *self_p;
    if (!self)
        return;
    if (self->in_tx)
        hny_store_commit (self);
    for (size_t i = 0; i < self->cached; i++)
        sqlite3_finalize (self->cache [i].stmt);
    s_tm_keys_forget (self);
    hny_ckpt_destroy (&self->ckpt);     /* its connection closes before the last one */
    free (self->tm_filter);
    hny_tmnew_destroy (&self->tm_new);
    sqlite3_close (self->db);
    ZSTD_freeDCtx (self->zd);
    hny_zpool_destroy (&self->zpool);
    free (self);
    *self_p = NULL;
}

int
hny_store_begin (hny_store_t *self)
{
    if (self->in_tx)
        return 0;
    if (s_exec (self, "BEGIN IMMEDIATE"))
        return -1;
    self->in_tx = 1;
    self->poisoned = 0;
    return 0;
}

/* Copy the WAL into the database and cut it to nothing: the most room we
   can give back. A statement left open would pin its snapshot and stop
   the checkpoint halfway, so every cached one is reset first. */
static void
s_wal_truncate (hny_store_t *self)
{
    if (self->ckpt)
        hny_ckpt_wait (self->ckpt);     /* it would refuse while one runs */
    for (size_t i = 0; i < self->cached; i++)
        sqlite3_reset (self->cache [i].stmt);
    int wal = -1, copied = -1;
    if (sqlite3_wal_checkpoint_v2 (self->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, &wal, &copied) != SQLITE_OK)
        hny_debug ("store: checkpoint: %s (%d of %d pages copied)", sqlite3_errmsg (self->db), copied, wal);
}

int
hny_store_commit (hny_store_t *self)
{
    if (!self->in_tx)
        return 0;
    /* The TM's merge goes a slice further in every commit (a failure
       spoils the transaction as any write's would). */
    if (!self->poisoned)
        s_tm_merge_step (self);
    if (!self->poisoned && s_exec (self, "COMMIT") == 0) {
        self->in_tx = 0;
        if (self->truncate_wal)
            s_wal_truncate (self);
        self->truncate_wal = 0;
        return 0;
    }
    hny_store_rollback (self);
    return -1;
}

void
hny_store_rollback (hny_store_t *self)
{
    if (!self->in_tx)
        return;
    self->in_tx = 0;
    self->poisoned = 0;
    self->truncate_wal = 0;
    self->generation++;
    s_tm_keys_forget (self);    /* ids made in the undone pass may be given again */
    /* SQLite may have rolled back already (a full disk can do that). */
    if (!sqlite3_get_autocommit (self->db)
    &&  sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL) != SQLITE_OK)
        hny_error ("store: ROLLBACK: %s", sqlite3_errmsg (self->db));
    /* The TM's index may name rows the rollback undid, or miss rows it
       brought back: it is read again (some 100,000 rows at most). */
    int rc = s_tm_new_load (self, 0);
    if (rc < 0)
        hny_error ("store: the TM's recent entries: %s", sqlite3_errmsg (self->db));
    else if (rc > 0)
        hny_warn ("store: more recent TM entries than the index holds; the next open merges them");
}

int
hny_store_full (hny_store_t *self)
{
    return self->full;
}

const char *
hny_store_error (hny_store_t *self)
{
    return self->error;
}

/* The value of a PRAGMA that returns one integer, or -1. */
static int64_t
s_pragma_int (hny_store_t *self, const char *sql)
{
    sqlite3_stmt *stmt = s_query (self, sql, "");
    if (!stmt || s_step (self, stmt) != 1)
        return -1;
    int64_t value = sqlite3_column_int64 (stmt, 0);
    sqlite3_reset (stmt);
    return value;
}

int
hny_store_set_max_bytes (hny_store_t *self, int64_t bytes)
{
    int64_t pages = 0;
    if (bytes > 0) {
        int64_t page = s_pragma_int (self, "PRAGMA page_size");
        pages = bytes / (page > 0 ? page : 4096);
        if (pages < 16)
            pages = 16;
    }
    /* 2^31-2 pages is SQLite's own limit: "no cap". */
    char *sql = hny_sprintf ("PRAGMA max_page_count=%lld", (long long) (pages ? pages : 2147483646));
    int rc = s_exec (self, sql);
    free (sql);
    return rc;
}

int
hny_store_probe (hny_store_t *self)
{
    if (self->in_tx)
        return -1;
    /* An empty WAL is the most room a full disk can get back from us. */
    s_wal_truncate (self);
    if (hny_store_begin (self))
        return -1;
    /* Room for 64 KiB of new pages is room for the next pass. */
    s_run (self, "INSERT INTO probe (pad) VALUES (zeroblob(65536))", "");
    s_run (self, "DELETE FROM probe", "");
    if (hny_store_commit (self))
        return -1;
    self->full = 0;
    self->error [0] = 0;
    return 0;
}

int
hny_store_in_transaction (hny_store_t *self)
{
    return self->in_tx;
}

uint64_t
hny_store_generation (hny_store_t *self)
{
    return self->generation;
}

int
hny_store_trim (hny_store_t *self, int max_pages)
{
    if (self->in_tx && (self->poisoned || sqlite3_get_autocommit (self->db)))
        return -1;              /* as s_run: nothing runs in an undone pass */
    self->truncate_wal = self->in_tx;
    int64_t free_pages = s_pragma_int (self, "PRAGMA freelist_count");
    /* Without auto_vacuum (a store whose upgrade could not compact it)
       the pages stay free inside the file, for the next jobs. */
    if (free_pages <= 0 || s_pragma_int (self, "PRAGMA auto_vacuum") != 2)
        return free_pages < 0 ? -1 : 0;
    /* Moving pages writes them to the WAL, which a nearly full disk may
       not take: under a savepoint, such a failure costs the trim only,
       not the pass (unless SQLite undid the whole transaction itself). */
    char *sql = hny_sprintf ("SAVEPOINT trim; PRAGMA incremental_vacuum(%d); RELEASE trim",
                             max_pages > 0 ? max_pages : 1);
    int rc = sqlite3_exec (self->db, sql, NULL, NULL, NULL);
    free (sql);
    if (rc != SQLITE_OK) {
        if (self->in_tx && sqlite3_get_autocommit (self->db)) {
            s_failed (self, "PRAGMA incremental_vacuum");
            return -1;
        }
        hny_warn ("store: cannot give free pages back (%s): tried again after the next job",
                  sqlite3_errmsg (self->db));
        sqlite3_exec (self->db, "ROLLBACK TO trim; RELEASE trim", NULL, NULL, NULL);
        self->truncate_wal = 0;
        return -1;
    }
    return s_pragma_int (self, "PRAGMA freelist_count") > 0;
}

int
hny_store_resume (hny_store_t *self)
{
    if (s_run (self, "UPDATE tasks SET state='queued', worker=NULL, lease_deadline=0 "
                     "WHERE state='leased'", ""))
        return -1;
    int put_back = sqlite3_changes (self->db);
    if (s_run (self, "UPDATE jobs SET state='queued' WHERE state='preparing'", ""))
        return -1;
    return put_back;
}

/* ------------------------------------------------------------- jobs */

void
hny_job_row_clear (hny_job_row_t *row)
{
    if (!row)
        return;
    free (row->key);
    free (row->hash);
    free (row->from);
    free (row->to);
    free (row->backend);
    free (row->format);
    free (row->source);
    free (row->metadata);
    free (row->prepared);
    free (row->error);
    memset (row, 0, sizeof *row);
}

#define S_JOB_COLS "id, key, hash, from_lang, to_lang, backend, format, lenient, source, " \
                   "metadata, prepared, state, error, error_code, created, updated, "     \
                   "chars_billed, requests, seg_total, seg_done, seg_failed"

/* An integer column that may be NULL: -1 then. */
static int
s_col_count (sqlite3_stmt *stmt, int col)
{
    return sqlite3_column_type (stmt, col) == SQLITE_NULL ? -1 : sqlite3_column_int (stmt, col);
}

static void
s_job_from (sqlite3_stmt *stmt, hny_job_row_t *row)
{
    row->id = sqlite3_column_int64 (stmt, 0);
    row->key = s_col_str (stmt, 1);
    row->hash = s_col_str (stmt, 2);
    row->from = s_col_str (stmt, 3);
    row->to = s_col_str (stmt, 4);
    row->backend = s_col_str (stmt, 5);
    row->format = s_col_str (stmt, 6);
    row->lenient = sqlite3_column_int (stmt, 7);
    row->source = s_col_str (stmt, 8);
    row->metadata = s_col_str (stmt, 9);
    row->prepared = s_col_str (stmt, 10);
    int state = hny_job_state_parse ((const char *) sqlite3_column_text (stmt, 11));
    row->state = state < 0 ? HNY_JOB_FAILED : (hny_job_state_t) state;
    row->error = s_col_str (stmt, 12);
    row->error_code = sqlite3_column_int (stmt, 13);
    row->created = sqlite3_column_int64 (stmt, 14);
    row->updated = sqlite3_column_int64 (stmt, 15);
    row->chars_billed = sqlite3_column_int64 (stmt, 16);
    row->requests = sqlite3_column_int64 (stmt, 17);
    row->seg_total = s_col_count (stmt, 18);
    row->seg_done = s_col_count (stmt, 19);
    row->seg_failed = s_col_count (stmt, 20);
}

int
hny_store_job_insert (hny_store_t *self, const hny_job_row_t *row, const void *content,
                      size_t size, int64_t *id)
{
    int64_t now = hny_clock_wall_ms ();
    if (s_run (self, "INSERT INTO jobs (key, hash, from_lang, to_lang, backend, format, lenient,"
                     " source, metadata, state, created, updated)"
                     " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
               "ssssssisssii", row->key, row->hash, row->from, row->to, row->backend,
               row->format ? row->format : "auto", (int64_t) row->lenient, row->source,
               row->metadata, hny_job_state_name (row->state), now, now))
        return -1;
    *id = sqlite3_last_insert_rowid (self->db);
    return s_run (self, "INSERT INTO contents (job, data) VALUES (?,?)", "ib", *id, content, size);
}

static int
s_job_one (hny_store_t *self, sqlite3_stmt *stmt, hny_job_row_t *row)
{
    if (!stmt)
        return -1;
    int rc = s_step (self, stmt);
    if (rc == 1) {
        s_job_from (stmt, row);
        sqlite3_reset (stmt);
    }
    return rc;
}

int
hny_store_job_by_key (hny_store_t *self, const char *key, hny_job_row_t *row)
{
    return s_job_one (self, s_query (self, "SELECT " S_JOB_COLS " FROM jobs WHERE key=?", "s", key),
                      row);
}

int
hny_store_job_get (hny_store_t *self, int64_t id, hny_job_row_t *row)
{
    return s_job_one (self, s_query (self, "SELECT " S_JOB_COLS " FROM jobs WHERE id=?", "i", id),
                      row);
}

int
hny_store_job_set_state (hny_store_t *self, int64_t id, hny_job_state_t state, const char *error,
                         int error_code)
{
    int64_t now = hny_clock_wall_ms ();
    const char *name = hny_job_state_name (state);
    if (error)
        return s_run (self, "UPDATE jobs SET state=?, error=?, error_code=?, updated=? WHERE id=?",
                      "ssiii", name, error, (int64_t) error_code, now, id);
    return s_run (self, "UPDATE jobs SET state=?, updated=? WHERE id=?", "sii", name, now, id);
}

int
hny_store_job_content (hny_store_t *self, int64_t id, uint8_t **data, size_t *size)
{
    sqlite3_stmt *stmt = s_query (self, "SELECT data FROM contents WHERE job=?", "i", id);
    if (!stmt)
        return -1;
    int rc = s_step (self, stmt);
    if (rc != 1)
        return rc;
    *data = s_col_copy (stmt, 0, 0, size);
    sqlite3_reset (stmt);
    return 1;
}

int
hny_store_job_set_prepared (hny_store_t *self, int64_t id, const char *prepared, hny_job_state_t state)
{
    if (s_run (self, "UPDATE jobs SET prepared=?, state=?, updated=? WHERE id=?", "ssii",
               prepared, hny_job_state_name (state), hny_clock_wall_ms (), id))
        return -1;
    return hny_store_job_content_drop (self, id);
}

int
hny_store_job_content_drop (hny_store_t *self, int64_t id)
{
    return s_run (self, "DELETE FROM contents WHERE job=?", "i", id);
}

int
hny_store_job_done_by_hash (hny_store_t *self, const char *hash, int64_t *id, int *segments,
                            char **prepared)
{
    sqlite3_stmt *stmt = s_query (self, "SELECT id, prepared, seg_total FROM jobs WHERE hash=? AND state='done'"
                                        " ORDER BY id DESC LIMIT 1", "s", hash);
    int rc = stmt ? s_step (self, stmt) : -1;
    if (rc == 1) {
        *id = sqlite3_column_int64 (stmt, 0);
        *prepared = s_col_str (stmt, 1);
        *segments = sqlite3_column_type (stmt, 2) == SQLITE_NULL ? -1 : sqlite3_column_int (stmt, 2);
        sqlite3_reset (stmt);
    }
    return rc;
}

int
hny_store_job_add_billing (hny_store_t *self, int64_t id, int64_t chars, int64_t requests)
{
    return s_run (self, "UPDATE jobs SET chars_billed=chars_billed+?, requests=requests+? WHERE id=?",
                  "iii", chars, requests, id);
}

int
hny_store_jobs_active (hny_store_t *self, int (*fn) (const hny_job_row_t *row, void *arg), void *arg)
{
    /* Collect first: fn may run other statements on this connection. */
    sqlite3_stmt *stmt = s_query (self, "SELECT " S_JOB_COLS " FROM jobs"
                                        " WHERE state NOT IN ('done','failed') ORDER BY id", "");
    if (!stmt)
        return -1;
    hny_job_row_t *rows = NULL;
    size_t count = 0, alloc = 0;
    int rc;
    while ((rc = s_step (self, stmt)) == 1) {
        if (count == alloc) {
            alloc = alloc ? alloc * 2 : 16;
            rows = hny_realloc (rows, alloc * sizeof *rows);
        }
        memset (&rows [count], 0, sizeof rows [count]);
        s_job_from (stmt, &rows [count++]);
    }
    for (size_t i = 0; i < count; i++) {
        if (rc == 0 && fn (&rows [i], arg) != 0)
            rc = -1;
        hny_job_row_clear (&rows [i]);
    }
    free (rows);
    return rc;
}

json_t *
hny_store_job_counts (hny_store_t *self)
{
    sqlite3_stmt *stmt = s_query (self, "SELECT state, count(*) FROM jobs GROUP BY state", "");
    if (!stmt)
        return NULL;
    json_t *counts = json_object ();
    int rc;
    while ((rc = s_step (self, stmt)) == 1)
        json_object_set_new (counts, (const char *) sqlite3_column_text (stmt, 0),
                             json_integer (sqlite3_column_int64 (stmt, 1)));
    if (rc < 0)
        json_decref (counts);
    return rc < 0 ? NULL : counts;
}

json_t *
hny_store_job_list (hny_store_t *self, int64_t after, int limit, const char *state, int *more)
{
    sqlite3_stmt *stmt = state
        ? s_query (self, "SELECT id, key, state, from_lang, to_lang, updated FROM jobs"
                         " WHERE id>? AND state=? ORDER BY id LIMIT ?",
                   "isi", after, state, (int64_t) limit + 1)
        : s_query (self, "SELECT id, key, state, from_lang, to_lang, updated FROM jobs"
                         " WHERE id>? ORDER BY id LIMIT ?",
                   "ii", after, (int64_t) limit + 1);
    if (!stmt)
        return NULL;
    json_t *jobs = json_array ();
    *more = 0;
    int rc;
    while ((rc = s_step (self, stmt)) == 1) {
        if ((int) json_array_size (jobs) == limit) {
            *more = 1;
            sqlite3_reset (stmt);
            rc = 0;
            break;
        }
        char id [24];
        snprintf (id, sizeof id, "%lld", (long long) sqlite3_column_int64 (stmt, 0));
        const char *job_state = (const char *) sqlite3_column_text (stmt, 2);
        json_t *item = json_pack ("{s:s, s:s, s:s, s:s, s:s}", "job", id,
                                  "key", (const char *) sqlite3_column_text (stmt, 1),
                                  "state", job_state,
                                  "from", (const char *) sqlite3_column_text (stmt, 3),
                                  "to", (const char *) sqlite3_column_text (stmt, 4));
        /* A final job is not updated again: its last update is when it
           became final (hny_store_job_set_state). */
        hny_job_state_t st = hny_job_state_parse (job_state);
        if (st == HNY_JOB_DONE || st == HNY_JOB_FAILED)
            json_object_set_new (item, "finished", json_integer (sqlite3_column_int64 (stmt, 5)));
        json_array_append_new (jobs, item);
    }
    if (rc < 0)
        json_decref (jobs);
    return rc < 0 ? NULL : jobs;
}

/* ------------------------------------------------------------- segments */

void
hny_segment_row_clear (hny_segment_row_t *row)
{
    if (!row)
        return;
    free (row->src);
    free (row->tgt);
    free (row->reason);
    free (row->backend);
    free (row->qa);
    memset (row, 0, sizeof *row);
}

int
hny_store_segment_add (hny_store_t *self, int64_t job, int para, int idx, const char *src)
{
    return s_run (self, "INSERT OR REPLACE INTO segments (job, para, idx, src) VALUES (?,?,?,?)",
                  "iiis", job, (int64_t) para, (int64_t) idx, src);
}

int
hny_store_segment_add_done (hny_store_t *self, int64_t job, int para, int idx, const char *src,
                            const char *tgt, int tm)
{
    return s_run (self, "INSERT OR REPLACE INTO segments (job, para, idx, src, tgt, tm, state)"
                        " VALUES (?,?,?,?,?,?,'done')",
                  "iiissi", job, (int64_t) para, (int64_t) idx, src, tgt, (int64_t) tm);
}

/* hny_store_segment_pair of a job with sources: its translation there. */
static int s_translated_pair (hny_store_t *self, int64_t job, int para, int idx, char **src,
                              char **tgt);

int
hny_store_segment_pair (hny_store_t *self, int64_t job, int para, int idx, char **src, char **tgt)
{
    sqlite3_stmt *stmt = s_query (self, "SELECT src, tgt FROM segments WHERE job=? AND para=? AND idx=?"
                                        " AND state='done' AND tgt IS NOT NULL",
                                  "iii", job, (int64_t) para, (int64_t) idx);
    if (!stmt)
        return -1;
    int rc = s_step (self, stmt);
    if (rc == 1) {
        *src = s_col_str (stmt, 0);
        *tgt = s_col_str (stmt, 1);
        sqlite3_reset (stmt);
    }
    return rc == 0 ? s_translated_pair (self, job, para, idx, src, tgt) : rc;
}

int
hny_store_segment_done (hny_store_t *self, int64_t job, int para, int idx, const char *src,
                        const char *tgt, const char *warning, const char *qa, const char *backend)
{
    assert (src);
    /* One statement either way: a new row (a job with sources), or the
       pending row's columns, a NULL leaving its column as it is. */
    return s_run (self, "INSERT INTO segments (job, para, idx, src, tgt, tm, state, class, reason, qa, backend)"
                        " VALUES (?5, ?6, ?7, ?8, ?1, 0, 'done', CASE WHEN ?2 IS NULL THEN NULL ELSE 'warning' END,"
                        " ?2, ?3, ?4)"
                        " ON CONFLICT (job, para, idx) DO UPDATE SET tgt=excluded.tgt, tm=0, state='done',"
                        " class=CASE WHEN excluded.reason IS NULL THEN class ELSE 'warning' END,"
                        " reason=coalesce(excluded.reason, reason), qa=coalesce(excluded.qa, qa),"
                        " backend=coalesce(excluded.backend, backend)",
                  "ssssiiis", tgt, warning, qa, backend, job, (int64_t) para, (int64_t) idx, src);
}

int
hny_store_segment_fail (hny_store_t *self, int64_t job, int para, int idx, const char *src, int code,
                        hny_err_class_t err_class, const char *reason)
{
    assert (src);
    return s_run (self, "INSERT INTO segments (job, para, idx, src, state, code, class, reason)"
                        " VALUES (?4, ?5, ?6, ?7, 'failed', ?1, ?2, ?3)"
                        " ON CONFLICT (job, para, idx) DO UPDATE SET state='failed', code=excluded.code,"
                        " class=excluded.class, reason=excluded.reason",
                  "issiiis", (int64_t) code, hny_err_class_name (err_class), reason, job,
                  (int64_t) para, (int64_t) idx, src);
}

/* ---------------------------------------------------------- sources

   A small job's segments besides its rows (schema 7, hny_store.h
   "segments"): its sources, one row of every segment's source in (para,
   idx) order, and its translations, a row per RESULT (keyed by its first
   segment) of the translated segments with what came with each. Both are
   lists of entries, little-endian: para (int32), idx (uint32), then each
   of the entry's strings as its length (uint32; 0xFFFFFFFF: NULL) and its
   bytes. A row that does not parse so (lengths past its end, sources out
   of order, a count that differs) is damaged: its readers fail rather
   than guess. */

#define S_ENTRY_HEAD 8          /* para, idx */
#define S_ENTRY_NULL 0xFFFFFFFFu
#define S_ENTRY_STRS 4          /* strings of an entry at most */
#define S_SOURCE_STRS 1         /* a source: src */
#define S_DONE_STRS 4           /* a translation: tgt, warning, qa, backend */

typedef struct {
    int para, idx;
    const char *s [S_ENTRY_STRS];   /* into the row's copy; not NUL-terminated; NULL */
    size_t len [S_ENTRY_STRS];
} s_entry_t;

/* A job's sources and translations, as read. */
typedef struct {
    char **blobs;               /* the rows' bytes (owned) */
    size_t blob_count;
    s_entry_t *srcs;            /* sources, in order (owned) */
    size_t src_count;
    s_entry_t *dones;           /* translations, sorted by (para, idx) (owned) */
    size_t done_count;
} s_sources_t;

static void
s_put_u32 (char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p [i] = (char) (v >> (8 * i));
}

static uint32_t
s_get_u32 (const char *p)
{
    const unsigned char *u = (const unsigned char *) p;
    return (uint32_t) u [0] | (uint32_t) u [1] << 8 | (uint32_t) u [2] << 16 | (uint32_t) u [3] << 24;
}

static int
s_key_cmp (int para_a, int idx_a, int para_b, int idx_b)
{
    if (para_a != para_b)
        return para_a < para_b ? -1 : 1;
    return idx_a < idx_b ? -1 : idx_a > idx_b;
}

/* Append an entry of n strings (NULLs allowed), whole or not at all: 0,
   or -1 (list unchanged, and still usable) when it would pass list's
   cap or a string is too long for its length field. */
static int
s_entry_add (hny_buf_t *list, int para, int idx, int n, const char *const *strs)
{
    size_t lens [S_ENTRY_STRS], need = S_ENTRY_HEAD;
    for (int k = 0; k < n; k++) {
        lens [k] = strs [k] ? strlen (strs [k]) : 0;
        if (lens [k] >= S_ENTRY_NULL)
            return -1;
        need += 4 + lens [k];
    }
    if (need > hny_buf_room (list))
        return -1;
    char head [4];
    s_put_u32 (head, (uint32_t) para);
    hny_buf_add (list, head, 4);
    s_put_u32 (head, (uint32_t) idx);
    hny_buf_add (list, head, 4);
    for (int k = 0; k < n; k++) {
        s_put_u32 (head, strs [k] ? (uint32_t) lens [k] : S_ENTRY_NULL);
        hny_buf_add (list, head, 4);
        if (strs [k])
            hny_buf_add (list, strs [k], lens [k]);
    }
    return 0;
}

/* Parse a row's bytes (kept by srcs) into entries of n strings appended
   to *items; ordered: each after the one before. 0, or -1 damaged. */
static int
s_entries_parse (const char *data, size_t size, int n, int ordered, s_entry_t **items, size_t *count,
                 size_t *alloc)
{
    size_t at = 0, first = *count;
    while (at < size) {
        if (size - at < S_ENTRY_HEAD)
            return -1;
        if (*count == *alloc) {
            *alloc = *alloc ? 2 * *alloc : 64;
            *items = hny_realloc (*items, *alloc * sizeof **items);
        }
        s_entry_t *e = &(*items) [*count];
        memset (e, 0, sizeof *e);
        e->para = (int) (int32_t) s_get_u32 (data + at);
        e->idx = (int) s_get_u32 (data + at + 4);
        at += S_ENTRY_HEAD;
        if (e->idx < 0)
            return -1;
        for (int k = 0; k < n; k++) {
            if (size - at < 4)
                return -1;
            uint32_t len = s_get_u32 (data + at);
            at += 4;
            if (len == S_ENTRY_NULL)
                continue;
            if (len > size - at)
                return -1;
            e->s [k] = data + at;
            e->len [k] = len;
            at += len;
        }
        if (ordered && *count > first && s_key_cmp (e [-1].para, e [-1].idx, e->para, e->idx) >= 0)
            return -1;
        (*count)++;
    }
    return 0;
}

int
hny_store_sources_add (hny_buf_t *list, int para, int idx, const char *src)
{
    return s_entry_add (list, para, idx, S_SOURCE_STRS, &src);
}

int
hny_store_sources_put (hny_store_t *self, int64_t job, const hny_buf_t *list, int count)
{
    return s_run (self, "INSERT OR REPLACE INTO sources (job, count, data) VALUES (?,?,?)", "iib",
                  job, (int64_t) count, (const void *) list->data, list->len);
}

int
hny_store_translated_add (hny_buf_t *list, int para, int idx, const char *tgt, const char *warning,
                          const char *qa, const char *backend)
{
    const char *strs [S_DONE_STRS] = { tgt, warning, qa, backend };
    return s_entry_add (list, para, idx, S_DONE_STRS, strs);
}

int
hny_store_translated_put (hny_store_t *self, int64_t job, const hny_buf_t *list)
{
    /* keyed by its first segment: a segment is translated once */
    if (list->len < S_ENTRY_HEAD)
        return 0;
    int para = (int) (int32_t) s_get_u32 (list->data), idx = (int) s_get_u32 (list->data + 4);
    return s_run (self, "INSERT OR REPLACE INTO translated (job, para, idx, data) VALUES (?,?,?,?)",
                  "iiib", job, (int64_t) para, (int64_t) idx, (const void *) list->data, list->len);
}

static void
s_sources_clear (s_sources_t *srcs)
{
    for (size_t i = 0; i < srcs->blob_count; i++)
        free (srcs->blobs [i]);
    free (srcs->blobs);
    free (srcs->srcs);
    free (srcs->dones);
    memset (srcs, 0, sizeof *srcs);
}

/* Keep a copy of the statement's blob column col in srcs; its bytes. */
static const char *
s_blob_keep (s_sources_t *srcs, sqlite3_stmt *stmt, int col, size_t *size)
{
    *size = (size_t) sqlite3_column_bytes (stmt, col);
    char *copy = hny_malloc (*size ? *size : 1);
    if (*size)
        memcpy (copy, sqlite3_column_blob (stmt, col), *size);
    srcs->blobs = hny_realloc (srcs->blobs, (srcs->blob_count + 1) * sizeof *srcs->blobs);
    srcs->blobs [srcs->blob_count++] = copy;
    return copy;
}

static int
s_done_cmp (const void *a, const void *b)
{
    const s_entry_t *x = a, *y = b;
    return s_key_cmp (x->para, x->idx, y->para, y->idx);
}

/* A job's sources and (with dones) its translations: 1 (*srcs filled;
   clear it), 0 the job has no sources, -1 error (a damaged row says so
   in the store's error). */
static int
s_sources_get (hny_store_t *self, int64_t job, s_sources_t *srcs, int dones)
{
    memset (srcs, 0, sizeof *srcs);
    sqlite3_stmt *stmt = s_query (self, "SELECT count, data FROM sources WHERE job=?", "i", job);
    int rc = stmt ? s_step (self, stmt) : -1;
    if (rc != 1)
        return rc;
    int64_t count = sqlite3_column_int64 (stmt, 0);
    size_t size, alloc = 0;
    const char *data = s_blob_keep (srcs, stmt, 1, &size);
    sqlite3_reset (stmt);
    int ok = s_entries_parse (data, size, S_SOURCE_STRS, 1, &srcs->srcs, &srcs->src_count, &alloc) == 0
          && srcs->src_count == (size_t) count;
    /* Its translations, in any order: sorted here. */
    if (ok && !dones)
        return 1;
    stmt = ok ? s_query (self, "SELECT data FROM translated WHERE job=?", "i", job) : NULL;
    alloc = 0;
    while (ok && stmt && (rc = s_step (self, stmt)) == 1) {
        data = s_blob_keep (srcs, stmt, 0, &size);
        ok = s_entries_parse (data, size, S_DONE_STRS, 0, &srcs->dones, &srcs->done_count, &alloc) == 0;
    }
    if (stmt && rc == 1)
        sqlite3_reset (stmt);
    if (ok && (!stmt || rc < 0)) {
        s_sources_clear (srcs);
        return -1;
    }
    for (size_t i = 0; ok && i < srcs->done_count; i++)
        ok = srcs->dones [i].s [0] != NULL;         /* a translation has its target */
    if (!ok) {
        s_sources_clear (srcs);
        snprintf (self->error, sizeof self->error, "the sources of job %lld are damaged", (long long) job);
        hny_error ("store: %s", self->error);
        return -1;
    }
    if (srcs->done_count > 1)
        qsort (srcs->dones, srcs->done_count, sizeof *srcs->dones, s_done_cmp);
    return 1;
}

/* The entry of (para, idx) among items [0, count) in (para, idx) order:
   a job's sources, or its translations once sorted; NULL when none. */
static const s_entry_t *
s_entry_find (const s_entry_t *items, size_t count, int para, int idx)
{
    size_t lo = 0, hi = count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int cmp = s_key_cmp (items [mid].para, items [mid].idx, para, idx);
        if (cmp == 0)
            return &items [mid];
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static int
s_translated_pair (hny_store_t *self, int64_t job, int para, int idx, char **src, char **tgt)
{
    /* most jobs asked about are done: their record answers, not this */
    sqlite3_stmt *stmt = s_query (self, "SELECT 1 FROM translated WHERE job=? LIMIT 1", "i", job);
    int rc = stmt ? s_step (self, stmt) : -1;
    if (rc != 1)
        return rc;
    sqlite3_reset (stmt);
    s_sources_t srcs;
    if ((rc = s_sources_get (self, job, &srcs, 1)) != 1)
        return rc;
    const s_entry_t *e = s_entry_find (srcs.srcs, srcs.src_count, para, idx);
    const s_entry_t *d = s_entry_find (srcs.dones, srcs.done_count, para, idx);
    rc = e && d;
    if (rc) {
        *src = hny_strndup (e->s [0], e->len [0]);
        *tgt = hny_strndup (d->s [0], d->len [0]);
    }
    s_sources_clear (&srcs);
    return rc;
}

struct _hny_store_srcs_t {
    hny_store_t *store;         /* borrowed */
    int64_t job;                /* whose sources srcs holds; 0: none read */
    int has;                    /* the job has a sources row (srcs filled) */
    s_sources_t srcs;
};

hny_store_srcs_t *
hny_store_srcs_new (hny_store_t *store)
{
    hny_store_srcs_t *self = hny_calloc (1, sizeof *self);
    self->store = store;
    return self;
}

void
hny_store_srcs_destroy (hny_store_srcs_t **self_p)
{
    hny_store_srcs_t *self = *self_p;
    if (!self)
        return;
    if (self->has)
        s_sources_clear (&self->srcs);
    free (self);
    *self_p = NULL;
}

int
hny_store_srcs_get (hny_store_srcs_t *self, int64_t job, int para, int idx, char **src)
{
    hny_store_t *store = self->store;
    if (job != self->job) {
        if (self->has)
            s_sources_clear (&self->srcs);
        self->job = 0;
        self->has = s_sources_get (store, job, &self->srcs, 0);
        if (self->has < 0) {
            self->has = 0;
            return -1;
        }
        self->job = job;
    }
    /* A job with a sources row has every source there; any other (an
       align job translating its source, a job of an older store) has its
       segments' rows. */
    if (self->has) {
        const s_entry_t *e = s_entry_find (self->srcs.srcs, self->srcs.src_count, para, idx);
        if (e)
            *src = hny_strndup (e->s [0], e->len [0]);
        return e != NULL;
    }
    sqlite3_stmt *stmt = s_query (store, "SELECT src FROM segments WHERE job=? AND para=? AND idx=?",
                                  "iii", job, (int64_t) para, (int64_t) idx);
    int rc = stmt ? s_step (store, stmt) : -1;
    if (rc == 1) {
        *src = s_col_str (stmt, 0);
        sqlite3_reset (stmt);
    }
    return rc;
}

/* Source entry e as a segment row (caller clears it): pending, or done
   with translation d (NULL: none). */
static void
s_entry_row (int64_t job, const s_entry_t *e, const s_entry_t *d, hny_segment_row_t *row)
{
    *row = (hny_segment_row_t) { .job = job, .para = e->para, .idx = e->idx,
                                 .src = hny_strndup (e->s [0], e->len [0]),
                                 .state = HNY_SEG_PENDING, .err_class = -1 };
    if (!d)
        return;
    row->state = HNY_SEG_DONE;
    row->tgt = hny_strndup (d->s [0], d->len [0]);
    if (d->s [1]) {
        row->err_class = HNY_CLASS_WARNING;
        row->reason = hny_strndup (d->s [1], d->len [1]);
    }
    row->qa = d->s [2] ? hny_strndup (d->s [2], d->len [2]) : NULL;
    row->backend = d->s [3] ? hny_strndup (d->s [3], d->len [3]) : NULL;
}

/* The statement's current row as a segment row (caller clears it). */
static void
s_row_read (sqlite3_stmt *stmt, int64_t job, hny_segment_row_t *row)
{
    int state = hny_seg_state_parse ((const char *) sqlite3_column_text (stmt, 5));
    *row = (hny_segment_row_t) {
        .job = job,
        .para = sqlite3_column_int (stmt, 0),
        .idx = sqlite3_column_int (stmt, 1),
        .src = s_col_str (stmt, 2),
        .tgt = s_col_str (stmt, 3),
        .tm = sqlite3_column_int (stmt, 4),
        .state = state < 0 ? HNY_SEG_PENDING : (hny_seg_state_t) state,
        .code = sqlite3_column_int (stmt, 6),
        .err_class = hny_err_class_parse ((const char *) sqlite3_column_text (stmt, 7)),
        .reason = s_col_str (stmt, 8),
        .backend = s_col_str (stmt, 9),
        .qa = s_col_str (stmt, 10),
    };
}

/* Give the rows of a segments query to fn; returns the number given, or -1. */
static int
s_segment_rows (hny_store_t *self, int64_t job, sqlite3_stmt *stmt,
                int (*fn) (const hny_segment_row_t *row, void *arg), void *arg)
{
    if (!stmt)
        return -1;
    int rc, count = 0;
    while ((rc = s_step (self, stmt)) == 1) {
        hny_segment_row_t row;
        s_row_read (stmt, job, &row);
        int stop = fn (&row, arg);
        hny_segment_row_clear (&row);
        count++;
        if (stop) {
            sqlite3_reset (stmt);
            return -1;
        }
    }
    return rc < 0 ? -1 : count;
}

/* The union of a job's sources (with their translations) and the rows
   of a segments query (both in (para, idx) order), after (para, idx) and
   at most limit of it (-1: no limit), to fn: a row where there is one,
   else the source, done when translated, pending when not. Returns the
   number given, or -1. */
static int
s_segment_union (hny_store_t *self, int64_t job, const s_sources_t *srcs, sqlite3_stmt *stmt,
                 int para, int idx, int limit, int (*fn) (const hny_segment_row_t *row, void *arg),
                 void *arg)
{
    if (!stmt)
        return -1;
    /* the rows first: a callback may use the store (its statement too) */
    hny_segment_row_t *rows = NULL;
    size_t nrows = 0, alloc = 0;
    int rc;
    while ((rc = s_step (self, stmt)) == 1) {
        if (nrows == alloc) {
            alloc = alloc ? 2 * alloc : 64;
            rows = hny_realloc (rows, alloc * sizeof *rows);
        }
        s_row_read (stmt, job, &rows [nrows++]);
    }
    size_t i = 0, j = 0;
    while (i < srcs->src_count && s_key_cmp (srcs->srcs [i].para, srcs->srcs [i].idx, para, idx) <= 0)
        i++;
    int count = 0, stop = rc < 0;
    while (!stop && (limit < 0 || count < limit) && (i < srcs->src_count || j < nrows)) {
        const s_entry_t *e = i < srcs->src_count ? &srcs->srcs [i] : NULL;
        int cmp = !e ? 1 : j == nrows ? -1 : s_key_cmp (e->para, e->idx, rows [j].para, rows [j].idx);
        if (cmp < 0) {
            hny_segment_row_t row;
            s_entry_row (job, e, s_entry_find (srcs->dones, srcs->done_count, e->para, e->idx), &row);
            stop = fn (&row, arg);
            hny_segment_row_clear (&row);
            i++;
        }
        else {
            stop = fn (&rows [j++], arg);
            i += cmp == 0;
        }
        count++;
    }
    for (size_t k = 0; k < nrows; k++)
        hny_segment_row_clear (&rows [k]);
    free (rows);
    return stop ? -1 : count;
}

#define S_SEG_COLS "para, idx, src, tgt, tm, state, code, class, reason, backend, qa"

int
hny_store_segments (hny_store_t *self, int64_t job,
                    int (*fn) (const hny_segment_row_t *row, void *arg), void *arg)
{
    s_sources_t srcs;
    int has = s_sources_get (self, job, &srcs, 1);
    if (has < 0)
        return -1;
    sqlite3_stmt *stmt = s_query (self, "SELECT " S_SEG_COLS " FROM segments WHERE job=?"
                                        " ORDER BY para, idx", "i", job);
    if (!has)
        return s_segment_rows (self, job, stmt, fn, arg) < 0 ? -1 : 0;
    int rc = s_segment_union (self, job, &srcs, stmt, INT_MIN, 0, -1, fn, arg);
    s_sources_clear (&srcs);
    return rc < 0 ? -1 : 0;
}

int
hny_store_segments_page (hny_store_t *self, int64_t job, int para, int idx, int limit,
                         int (*fn) (const hny_segment_row_t *row, void *arg), void *arg)
{
    s_sources_t srcs;
    int has = s_sources_get (self, job, &srcs, 1);
    if (has < 0)
        return -1;
    /* the union's first limit are within the first limit of each side */
    sqlite3_stmt *stmt = s_query (self, "SELECT " S_SEG_COLS " FROM segments WHERE job=?"
                                        " AND (para>? OR (para=? AND idx>?)) ORDER BY para, idx LIMIT ?",
                                  "iiiii", job, (int64_t) para, (int64_t) para, (int64_t) idx,
                                  (int64_t) limit);
    if (!has)
        return s_segment_rows (self, job, stmt, fn, arg);
    int rc = s_segment_union (self, job, &srcs, stmt, para, idx, limit, fn, arg);
    s_sources_clear (&srcs);
    return rc;
}

/* A context being gathered: the nearest segments first, each cut to
   what is left of the budget. */
typedef struct {
    char **parts;
    int *paras;
    size_t count, used, budget;
} s_context_t;

/* Take src (of paragraph para) before what was taken; 1 when the budget
   is spent (take no more). */
static int
s_context_take (s_context_t *c, int para, const char *src, size_t len)
{
    size_t room = c->budget - c->used;
    const char *from = src;
    if (len + 1 > room) {
        /* The tail of the farthest one that fits, from a character. */
        from = src + len - (room > 1 ? room - 1 : 0);
        while (from < src + len && ((unsigned char) *from & 0xC0) == 0x80)
            from++;
    }
    c->parts = hny_realloc (c->parts, (c->count + 1) * sizeof *c->parts);
    c->paras = hny_realloc (c->paras, (c->count + 1) * sizeof *c->paras);
    c->parts [c->count] = hny_strndup (from, (size_t) (src + len - from));
    c->paras [c->count++] = para;
    c->used += (size_t) (src + len - from) + 1;
    return c->used >= c->budget;
}

#define S_CONTEXT_SEGMENTS 256    /* segments a context looks back over at most */

int
hny_store_context (hny_store_t *self, int64_t job, int para, int idx, size_t max, char **out)
{
    *out = NULL;
    if (para < 0 || max == 0)
        return 0;               /* the title has nothing before it */
    s_sources_t srcs;
    int has = s_sources_get (self, job, &srcs, 0);
    if (has < 0)
        return -1;
    /* The title, from the sources (their first, para -1) or its row; the
       context is sources only (has above read no translations). */
    char *title = NULL;
    int rc = 0;
    if (has) {
        if (srcs.src_count && srcs.srcs [0].para == -1)
            title = hny_strndup (srcs.srcs [0].s [0], srcs.srcs [0].len [0]);
    }
    else {
        sqlite3_stmt *stmt = s_query (self, "SELECT src FROM segments WHERE job=? AND para=-1", "i", job);
        if (!stmt)
            return -1;
        rc = s_step (self, stmt);
        if (rc == 1) {
            title = s_col_str (stmt, 0);
            sqlite3_reset (stmt);
        }
        else if (rc < 0)
            return -1;
    }
    s_context_t c = { .budget = max };
    if (title && strlen (title) + 1 >= c.budget) {
        free (title);           /* a title that fills the cap says little */
        title = NULL;
    }
    if (title)
        c.budget -= strlen (title) + 1;
    /* The nearest segments first, until the budget is spent. */
    rc = 0;
    if (has) {
        size_t end = 0;
        while (end < srcs.src_count && s_key_cmp (srcs.srcs [end].para, srcs.srcs [end].idx, para, idx) < 0)
            end++;
        for (size_t k = end, seen = 0; k-- > 0 && seen < S_CONTEXT_SEGMENTS && srcs.srcs [k].para >= 0; seen++)
            if (c.used >= c.budget
            ||  s_context_take (&c, srcs.srcs [k].para, srcs.srcs [k].s [0], srcs.srcs [k].len [0]))
                break;
        s_sources_clear (&srcs);
    }
    else {
        sqlite3_stmt *stmt = s_query (self, "SELECT para, src FROM segments WHERE job=? AND para>=0 AND"
                                            " (para<? OR (para=? AND idx<?)) ORDER BY para DESC, idx DESC LIMIT ?",
                                      "iiiii", job, (int64_t) para, (int64_t) para, (int64_t) idx,
                                      (int64_t) S_CONTEXT_SEGMENTS);
        if (!stmt) {
            free (title);
            return -1;
        }
        while (c.used < c.budget && (rc = s_step (self, stmt)) == 1) {
            const char *src = (const char *) sqlite3_column_text (stmt, 1);
            if (s_context_take (&c, sqlite3_column_int (stmt, 0), src, strlen (src)))
                break;
        }
        if (rc == 1)
            sqlite3_reset (stmt);
    }
    /* title, parts and separators were cut to fit max above */
    hny_buf_t text = HNY_BUF_INIT (max);
    if (title)
        hny_buf_adds (&text, title);
    for (size_t i = c.count; i-- > 0;) {
        if (text.len)
            hny_buf_adds (&text, i + 1 < c.count && c.paras [i] == c.paras [i + 1] ? " " : "\n");
        hny_buf_adds (&text, c.parts [i]);
        free (c.parts [i]);
    }
    free (c.parts);
    free (c.paras);
    free (title);
    if (rc < 0) {
        free (text.data);
        return -1;
    }
    *out = text.len ? text.data : NULL;
    if (!text.len)
        free (text.data);
    return 0;
}

int
hny_store_segments_delete (hny_store_t *self, int64_t job)
{
    if (s_run (self, "DELETE FROM segments WHERE job=?", "i", job)
    ||  s_run (self, "DELETE FROM translated WHERE job=?", "i", job))
        return -1;
    return s_run (self, "DELETE FROM sources WHERE job=?", "i", job);
}

int
hny_store_segments_retire (hny_store_t *self, int64_t job, const hny_retire_t *r)
{
    /* With drop, the record holds the metadata; prepare's output stays
       for a job without failures (small: its metadata, charset, format),
       so that the same content under another key reuses the job's
       segments (hny_store_job_done_by_hash). One write of the row, with
       its final state (as hny_store_job_set_state writes it). */
    if (s_run (self, "UPDATE jobs SET seg_total=?1, seg_done=?2, seg_failed=?3,"
                     " metadata=CASE WHEN ?4 THEN NULL ELSE metadata END,"
                     " prepared=CASE WHEN ?4 AND ?3<>0 THEN NULL ELSE coalesce(?10, prepared) END,"
                     " state=?6, error=coalesce(?7, error),"
                     " error_code=CASE WHEN ?7 IS NULL THEN error_code ELSE ?8 END, updated=?9"
                     " WHERE id=?5",
               "iiiiissiis", (int64_t) r->total, (int64_t) r->done, (int64_t) r->failed,
               (int64_t) (r->drop != 0), job, hny_job_state_name (r->state), r->error,
               (int64_t) r->error_code, hny_clock_wall_ms (), r->prepared))
        return -1;
    int drop = r->drop, total = r->total;
    if (!drop || drop == HNY_RETIRE_NO_ROWS)
        return 0;
    /* A long article's segments go a slice at a time (hny_store_sweep):
       deleting 190,000 rows at once would hold the loop for long. */
    if (total > S_RETIRE_NOW)
        return s_run (self, "INSERT OR IGNORE INTO sweep (job) VALUES (?)", "i", job);
    return hny_store_segments_delete (self, job);
}

int
hny_store_sweep (hny_store_t *self, int limit)
{
    sqlite3_stmt *stmt = s_query (self, "SELECT job FROM sweep ORDER BY job LIMIT 1", "");
    int rc = stmt ? s_step (self, stmt) : -1;
    if (rc != 1)
        return rc;
    int64_t job = sqlite3_column_int64 (stmt, 0);
    sqlite3_reset (stmt);
    if (s_run (self, "DELETE FROM segments WHERE job=?1 AND (para, idx) IN"
                     " (SELECT para, idx FROM segments WHERE job=?1 ORDER BY para, idx LIMIT ?2)",
               "ii", job, (int64_t) limit))
        return -1;
    if (sqlite3_changes (self->db) < limit
    &&  (s_run (self, "DELETE FROM sweep WHERE job=?", "i", job)
         || s_run (self, "DELETE FROM sources WHERE job=?", "i", job)
         || s_run (self, "DELETE FROM translated WHERE job=?", "i", job)))
        return -1;
    return 1;
}

/* hny_store_segment_counts' walk over a job with sources. */
static int
s_count_row (const hny_segment_row_t *row, void *arg)
{
    int *counts = arg;
    counts [0]++;
    counts [1] += row->state == HNY_SEG_DONE;
    counts [2] += row->state == HNY_SEG_FAILED;
    return 0;
}

int
hny_store_segment_counts (hny_store_t *self, int64_t job, int *total, int *done, int *failed)
{
    s_sources_t srcs;
    int has = s_sources_get (self, job, &srcs, 1);
    if (has < 0)
        return -1;
    if (has) {
        /* a small article: its union, walked (the sources read once) */
        int counts [3] = { 0, 0, 0 };
        sqlite3_stmt *rows = s_query (self, "SELECT " S_SEG_COLS " FROM segments WHERE job=?"
                                            " ORDER BY para, idx", "i", job);
        int rc = s_segment_union (self, job, &srcs, rows, INT_MIN, 0, -1, s_count_row, counts);
        s_sources_clear (&srcs);
        if (rc < 0)
            return -1;
        *total = counts [0];
        *done = counts [1];
        *failed = counts [2];
        return 0;
    }
    sqlite3_stmt *stmt = s_query (self, "SELECT count(*), coalesce(sum(state='done'),0),"
                                        " coalesce(sum(state='failed'),0) FROM segments WHERE job=?",
                                  "i", job);
    if (!stmt || s_step (self, stmt) != 1)
        return -1;
    *total = sqlite3_column_int (stmt, 0);
    *done = sqlite3_column_int (stmt, 1);
    *failed = sqlite3_column_int (stmt, 2);
    sqlite3_reset (stmt);
    return 0;
}

/* ------------------------------------------------------------- tasks */

void
hny_task_row_clear (hny_task_row_t *row)
{
    if (!row)
        return;
    free (row->payload);
    memset (row, 0, sizeof *row);
}

int
hny_store_task_add (hny_store_t *self, hny_task_kind_t kind, int64_t job, const char *payload, int64_t *id)
{
    if (s_run (self, "INSERT INTO tasks (kind, job, payload) VALUES (?,?,?)", "sis",
               hny_task_kind_name (kind), job, payload))
        return -1;
    *id = sqlite3_last_insert_rowid (self->db);
    return 0;
}

int
hny_store_task_lease (hny_store_t *self, int64_t id, const char *worker, int64_t deadline, int attempts,
                      int losses)
{
    return s_run (self, "UPDATE tasks SET state='leased', worker=?, lease_deadline=?, attempts=?, losses=?"
                        " WHERE id=?", "siiii", worker, deadline, (int64_t) attempts, (int64_t) losses, id);
}

int
hny_store_task_delete (hny_store_t *self, int64_t id)
{
    return s_run (self, "DELETE FROM tasks WHERE id=?", "i", id);
}

int
hny_store_tasks (hny_store_t *self, int (*fn) (const hny_task_row_t *row, void *arg), void *arg)
{
    sqlite3_stmt *stmt = s_query (self, "SELECT id, kind, job, payload, attempts, state='leased', losses"
                                        " FROM tasks ORDER BY id", "");
    if (!stmt)
        return -1;
    int rc;
    while ((rc = s_step (self, stmt)) == 1) {
        int kind = hny_task_kind_parse ((const char *) sqlite3_column_text (stmt, 1));
        hny_task_row_t row = {
            .id = sqlite3_column_int64 (stmt, 0),
            .kind = kind < 0 ? HNY_TASK_TRANSLATE : (hny_task_kind_t) kind,
            .job = sqlite3_column_int64 (stmt, 2),
            .payload = s_col_str (stmt, 3),
            .attempts = sqlite3_column_int (stmt, 4),
            .leased = sqlite3_column_int (stmt, 5),
            .losses = sqlite3_column_int (stmt, 6),
        };
        int stop = fn (&row, arg);
        hny_task_row_clear (&row);
        if (stop) {
            sqlite3_reset (stmt);
            return -1;
        }
    }
    return rc;
}

/* ------------------------------------------------------------- TM */

/* The entry of src under one key: as hny_store_tm_get. */
static int
s_tm_get_key (hny_store_t *self, int64_t key, const char *src, hny_tm_entry_t *entry)
{
    size_t len = strlen (src);
    int64_t hash = s_text_hash (src, len);
    /* A recent entry (machine, one row a key) is newer than any of tm's. */
    int64_t id = hny_tmnew_get (self->tm_new, hash, key);
    sqlite3_stmt *stmt;
    if (id)
        stmt = s_query (self, "SELECT job, para, idx, src, tgt, NULL FROM tm_new WHERE id=?", "i", id);
    else if (!s_tm_filter_may (self, hash))
        return 0;
    else
        stmt = s_query (self, "SELECT job, para, idx, src, tgt, origin FROM tm WHERE hash=? AND tmkey=?",
                        "ii", hash, key);
    if (!stmt)
        return -1;
    int rc = s_step (self, stmt);
    if (rc != 1)
        return rc;
    if (sqlite3_column_type (stmt, 4) != SQLITE_NULL) {
        /* The text itself: a hit only for the same source. */
        const void *stored = sqlite3_column_text (stmt, 3);
        rc = stored && (size_t) sqlite3_column_bytes (stmt, 3) == len && memcmp (stored, src, len) == 0;
        if (rc) {
            entry->tgt = s_col_str (stmt, 4);
            entry->human = sqlite3_column_type (stmt, 5) != SQLITE_NULL;
        }
    }
    else {
        entry->job = sqlite3_column_int64 (stmt, 0);
        entry->para = sqlite3_column_int (stmt, 1);
        entry->idx = sqlite3_column_int (stmt, 2);
        rc = entry->job > 0;
    }
    sqlite3_reset (stmt);
    return rc;
}

int
hny_store_tm_get (hny_store_t *self, const char *from, const char *to, const char *profile,
                  const char *src, hny_tm_entry_t *entry)
{
    memset (entry, 0, sizeof *entry);
    /* The pair's human entries first (any profile uses them), then the
       profile's own. */
    int64_t key;
    int rc = s_tm_key (self, from, to, HNY_STORE_TM_HUMAN, 0, &key);
    if (rc == 1)
        rc = s_tm_get_key (self, key, src, entry);
    if (rc != 0 || strcmp (profile, HNY_STORE_TM_HUMAN) == 0)
        return rc;
    rc = s_tm_key (self, from, to, profile, 0, &key);
    return rc == 1 ? s_tm_get_key (self, key, src, entry) : rc;
}

int
hny_store_tm_human_known (hny_store_t *self, const char *from, const char *to)
{
    int64_t key;
    return s_tm_key (self, from, to, HNY_STORE_TM_HUMAN, 0, &key);
}

int
hny_store_tm_put_human (hny_store_t *self, const char *from, const char *to, const char *src,
                        const char *tgt, const char *origin)
{
    int64_t key;
    if (s_tm_key (self, from, to, HNY_STORE_TM_HUMAN, 1, &key) != 1)
        return -1;
    int64_t hash = s_text_hash (src, strlen (src));
    /* The machine entries of the same source in the pair's profiles go:
       the human one answers for them now. First tm_new's, which the index
       knows (one a profile; past 16 profiles under one source they are
       all merged into tm instead), then tm's. */
    hny_tmnew_entry_t rows [16];
    size_t n = hny_tmnew_of_hash (self->tm_new, hash, rows, 16);
    if (n > 16) {
        if (s_tm_flush (self))
            return -1;
        n = 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (s_run (self, "DELETE FROM tm_new WHERE id=? AND tmkey IN (SELECT id FROM tm_keys"
                         " WHERE from_lang=? AND to_lang=? AND profile<>?)",
                   "isss", rows [i].id, from, to, HNY_STORE_TM_HUMAN))
            return -1;
        if (sqlite3_changes (self->db) > 0)
            hny_tmnew_delete (self->tm_new, hash, rows [i].tmkey);
    }
    if (s_run (self, "DELETE FROM tm WHERE hash=? AND tmkey IN (SELECT id FROM tm_keys"
                     " WHERE from_lang=? AND to_lang=? AND profile<>?)",
               "isss", hash, from, to, HNY_STORE_TM_HUMAN))
        return -1;
    s_tm_filter_add (self, hash);
    return s_run (self, "INSERT OR REPLACE INTO tm (hash, tmkey, src, tgt, origin) VALUES (?,?,?,?,?)",
                  "iisss", hash, key, src, tgt, origin);
}

int
hny_store_tm_count (hny_store_t *self, const char *from, const char *to, int64_t *human,
                    int64_t *machine)
{
    sqlite3_stmt *stmt = s_query (self, "SELECT count(t.origin), count(*) - count(t.origin) FROM tm t"
                                        " JOIN tm_keys k ON k.id=t.tmkey"
                                        " WHERE (?1 IS NULL OR k.from_lang=?1) AND (?2 IS NULL OR k.to_lang=?2)",
                                  "ss", from, to);
    if (!stmt || s_step (self, stmt) != 1)
        return -1;
    *human = sqlite3_column_int64 (stmt, 0);
    *machine = sqlite3_column_int64 (stmt, 1);
    sqlite3_reset (stmt);
    /* tm_new's machine entries whose key tm does not hold as well (one
       row a key in tm_new; tm may hold an older entry of a key until the
       merge replaces it). */
    stmt = s_query (self, "SELECT count(*) FROM tm_new n JOIN tm_keys k ON k.id=n.tmkey"
                          " WHERE (?1 IS NULL OR k.from_lang=?1) AND (?2 IS NULL OR k.to_lang=?2)"
                          " AND NOT EXISTS (SELECT 1 FROM tm t WHERE t.hash=n.hash AND t.tmkey=n.tmkey)",
                    "ss", from, to);
    if (!stmt || s_step (self, stmt) != 1)
        return -1;
    *machine += sqlite3_column_int64 (stmt, 0);
    sqlite3_reset (stmt);
    return 0;
}

void
hny_tm_row_clear (hny_tm_row_t *row)
{
    free (row->from);
    free (row->to);
    free (row->profile);
    free (row->src);
    free (row->tgt);
    free (row->origin);
    memset (row, 0, sizeof *row);
}

int
hny_store_tm_page (hny_store_t *self, const char *from, const char *to, int which,
                   int64_t after_hash, int64_t after_key, int limit,
                   int (*fn) (const hny_tm_row_t *row, void *arg), void *arg)
{
    if (limit <= 0)
        return 0;
    if (after_hash == INT64_MIN && after_key == INT64_MIN && hny_store_tm_flush (self))
        return -1;
    /* Every row of the page is read before fn runs: fn reads the store
       (records) with statements of its own. */
    sqlite3_stmt *stmt = s_query (self, "SELECT t.hash, t.tmkey, k.from_lang, k.to_lang, k.profile,"
                                        " t.job, t.para, t.idx, t.src, t.tgt, t.origin FROM tm t"
                                        " JOIN tm_keys k ON k.id=t.tmkey"
                                        " WHERE (t.hash, t.tmkey) > (?1, ?2)"
                                        " AND (?3 IS NULL OR k.from_lang=?3) AND (?4 IS NULL OR k.to_lang=?4)"
                                        " AND (?5=0 OR (?5=1)=(t.origin IS NOT NULL))"
                                        " ORDER BY t.hash, t.tmkey LIMIT ?6",
                                  "iissii", after_hash, after_key, from, to, (int64_t) which,
                                  (int64_t) limit);
    if (!stmt)
        return -1;
    hny_tm_row_t *rows = hny_calloc ((size_t) (limit > 0 ? limit : 1), sizeof *rows);
    int n = 0, rc = 0;
    while (n < limit && (rc = s_step (self, stmt)) == 1) {
        hny_tm_row_t *row = &rows [n++];
        row->hash = sqlite3_column_int64 (stmt, 0);
        row->tmkey = sqlite3_column_int64 (stmt, 1);
        row->from = s_col_str (stmt, 2);
        row->to = s_col_str (stmt, 3);
        row->profile = s_col_str (stmt, 4);
        row->job = sqlite3_column_int64 (stmt, 5);
        row->para = sqlite3_column_int (stmt, 6);
        row->idx = sqlite3_column_int (stmt, 7);
        row->src = s_col_str (stmt, 8);
        row->tgt = s_col_str (stmt, 9);
        row->origin = s_col_str (stmt, 10);
    }
    if (n == limit)
        sqlite3_reset (stmt);
    else if (rc < 0)
        n = -1;
    for (int i = 0; i < (n > 0 ? n : limit); i++) {
        if (n > 0 && fn (&rows [i], arg))
            n = -1;
        hny_tm_row_clear (&rows [i]);
    }
    free (rows);
    return n;
}

int
hny_store_tm_put (hny_store_t *self, const char *from, const char *to, const char *profile,
                  const char *src, const char *tgt)
{
    int64_t key;
    if (s_tm_key (self, from, to, profile, 1, &key) != 1)
        return -1;
    return s_tm_new_put (self, s_text_hash (src, strlen (src)), key, 0, 0, 0, src, tgt);
}

int
hny_store_tm_put_ref (hny_store_t *self, const char *from, const char *to, const char *profile,
                      const char *src, int64_t job, int para, int idx)
{
    int64_t key;
    if (s_tm_key (self, from, to, profile, 1, &key) != 1)
        return -1;
    if (job <= 0)
        return -1;
    return s_tm_new_put (self, s_text_hash (src, strlen (src)), key, job, para, idx, NULL, NULL);
}

/* ------------------------------------------------------------- records, stats */

hny_zpool_t *
hny_store_records_zpool (hny_store_t *self)
{
    return self->zpool;
}

int
hny_store_record_put_z (hny_store_t *self, int64_t job, const hny_zpool_item_t *item)
{
    if (!item->z) {
        /* Cannot happen but for memory; the text is kept as it is then. */
        hny_warn ("store: record of job %lld kept uncompressed", (long long) job);
        return s_run (self, "INSERT OR REPLACE INTO records (job, json) VALUES (?,?)", "is", job, item->text);
    }
    return s_run (self, "INSERT OR REPLACE INTO records (job, json) VALUES (?,?)", "ib", job, item->z,
                  item->z_len);
}

int
hny_store_record_put (hny_store_t *self, int64_t job, const char *json)
{
    hny_zpool_item_t item = { .text = json, .len = strlen (json) };
    hny_zpool_compress (self->zpool, &item);        /* on this thread */
    int rc = hny_store_record_put_z (self, job, &item);
    free (item.z);
    return rc;
}

int
hny_store_record_unzip (void *zstd_dctx, const void *z, size_t size, char **out, const char **why)
{
    unsigned long long len = ZSTD_getFrameContentSize (z, size);
    if (len == ZSTD_CONTENTSIZE_ERROR)
        *why = "not a zstd frame";
    else if (len == ZSTD_CONTENTSIZE_UNKNOWN)
        *why = "no size in its frame";
    else if (len > HNY_PROTO_BODY_MAX)
        *why = "larger than a RECORD may be";     /* checked before anything is allocated */
    else {
        char *text = hny_malloc ((size_t) len + 1);
        size_t n = ZSTD_decompressDCtx (zstd_dctx, text, (size_t) len, z, size);
        if (!ZSTD_isError (n) && n == len) {
            text [len] = 0;
            *out = text;
            return 1;
        }
        free (text);
        *why = ZSTD_isError (n) ? ZSTD_getErrorName (n) : "shorter than its frame says";
    }
    return -1;
}

/* The text of a compressed record (*out caller owns, NUL-terminated): 1,
   or -1 when it is damaged or would pass the cap. Such a record is an
   error of its own request, not of the pass: the transaction stays
   good. */
static int
s_record_unzip (hny_store_t *self, int64_t job, const void *z, size_t size, char **out)
{
    const char *why = NULL;
    if (hny_store_record_unzip (self->zd, z, size, out, &why) == 1)
        return 1;
    snprintf (self->error, sizeof self->error, "record of job %lld: %s", (long long) job, why);
    hny_error ("store: %s", self->error);
    return -1;
}

int
hny_store_record_raw (hny_store_t *self, int64_t job, void **data, size_t *size, int *zipped)
{
    sqlite3_stmt *stmt = s_query (self, "SELECT json FROM records WHERE job=?", "i", job);
    if (!stmt)
        return -1;
    int rc = s_step (self, stmt);
    if (rc != 1)
        return rc;
    *zipped = sqlite3_column_type (stmt, 0) == SQLITE_BLOB;
    *data = s_col_copy (stmt, 0, !*zipped, size);
    sqlite3_reset (stmt);
    return 1;
}

int
hny_store_record_get (hny_store_t *self, int64_t job, char **json)
{
    void *data = NULL;
    size_t size = 0;
    int zipped = 0;
    int rc = hny_store_record_raw (self, job, &data, &size, &zipped);
    if (rc != 1)
        return rc;
    /* Schema 3 kept the text; a BLOB is a zstd frame. */
    if (!zipped) {
        *json = data;
        return 1;
    }
    rc = s_record_unzip (self, job, data, size, json);
    free (data);
    return rc;
}

int
hny_store_stats_add (hny_store_t *self, const char *profile, int64_t tm_hits, int64_t tm_misses,
                     int64_t chars_billed, int64_t requests, int64_t segments)
{
    return s_run (self, "INSERT INTO stats (profile, tm_hits, tm_misses, chars_billed, requests, segments)"
                        " VALUES (?,?,?,?,?,?) ON CONFLICT (profile) DO UPDATE SET"
                        " tm_hits=tm_hits+excluded.tm_hits, tm_misses=tm_misses+excluded.tm_misses,"
                        " chars_billed=chars_billed+excluded.chars_billed,"
                        " requests=requests+excluded.requests, segments=segments+excluded.segments",
                  "siiiii", profile, tm_hits, tm_misses, chars_billed, requests, segments);
}

int
hny_store_stats_human_add (hny_store_t *self, const char *profile, int64_t hits)
{
    return s_run (self, "INSERT INTO stats (profile, tm_human_hits) VALUES (?,?) ON CONFLICT (profile)"
                        " DO UPDATE SET tm_human_hits=tm_human_hits+excluded.tm_human_hits",
                  "si", profile, hits);
}

int
hny_store_tokens_add (hny_store_t *self, const char *profile, int64_t prompt, int64_t completion)
{
    return s_run (self, "INSERT INTO stats (profile, prompt_tokens, completion_tokens) VALUES (?,?,?)"
                        " ON CONFLICT (profile) DO UPDATE SET"
                        " prompt_tokens=prompt_tokens+excluded.prompt_tokens,"
                        " completion_tokens=completion_tokens+excluded.completion_tokens",
                  "sii", profile, prompt, completion);
}

int
hny_store_usage_set (hny_store_t *self, const char *profile, int64_t count, int64_t limit)
{
    return s_run (self, "INSERT INTO stats (profile, usage_count, usage_limit, usage_at) VALUES (?,?,?,?)"
                        " ON CONFLICT (profile) DO UPDATE SET usage_count=excluded.usage_count,"
                        " usage_limit=excluded.usage_limit, usage_at=excluded.usage_at",
                  "siii", profile, count, limit, hny_clock_wall_ms ());
}

json_t *
hny_store_stats (hny_store_t *self)
{
    sqlite3_stmt *stmt = s_query (self, "SELECT profile, tm_hits, tm_misses, chars_billed, requests,"
                                        " segments, prompt_tokens, completion_tokens, usage_count,"
                                        " usage_limit, usage_at, tm_human_hits FROM stats ORDER BY profile", "");
    if (!stmt)
        return NULL;
    json_t *out = json_object ();
    int rc;
    while ((rc = s_step (self, stmt)) == 1) {
        json_t *p = json_pack ("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
                               "tm_hits", (json_int_t) sqlite3_column_int64 (stmt, 1),
                               "tm_human_hits", (json_int_t) sqlite3_column_int64 (stmt, 11),
                               "tm_misses", (json_int_t) sqlite3_column_int64 (stmt, 2),
                               "chars_billed", (json_int_t) sqlite3_column_int64 (stmt, 3),
                               "requests", (json_int_t) sqlite3_column_int64 (stmt, 4),
                               "segments", (json_int_t) sqlite3_column_int64 (stmt, 5),
                               "prompt_tokens", (json_int_t) sqlite3_column_int64 (stmt, 6),
                               "completion_tokens", (json_int_t) sqlite3_column_int64 (stmt, 7));
        if (sqlite3_column_int64 (stmt, 8) >= 0)
            json_object_set_new (p, "usage", json_pack ("{s:I, s:I, s:I}",
                                 "character_count", (json_int_t) sqlite3_column_int64 (stmt, 8),
                                 "character_limit", (json_int_t) sqlite3_column_int64 (stmt, 9),
                                 "at", (json_int_t) sqlite3_column_int64 (stmt, 10)));
        json_object_set_new (out, (const char *) sqlite3_column_text (stmt, 0), p);
    }
    if (rc < 0)
        json_decref (out);
    return rc < 0 ? NULL : out;
}

/* ------------------------------------------------------------- align jobs */

void
hny_align_row_clear (hny_align_row_t *row)
{
    free (row->target_source);
    free (row->profile);
    free (row->prepared [0]);
    free (row->prepared [1]);
    memset (row, 0, sizeof *row);
}

int
hny_store_align_insert (hny_store_t *self, const hny_align_row_t *row)
{
    if (row->profile && s_run (self, "INSERT INTO align_backends (job, profile) VALUES (?,?)", "is",
                               row->job, row->profile))
        return -1;
    return s_run (self, "INSERT INTO aligns (job, src_bytes, target_source, src_prepared, tgt_prepared)"
                        " VALUES (?,?,?,?,?)", "iisss", row->job, row->src_bytes,
                  row->target_source, row->prepared [0], row->prepared [1]);
}

int
hny_store_align_get (hny_store_t *self, int64_t job, hny_align_row_t *row)
{
    memset (row, 0, sizeof *row);
    row->links = -1;
    sqlite3_stmt *stmt = s_query (self, "SELECT src_bytes, target_source, src_prepared, tgt_prepared,"
                                        " links, (SELECT profile FROM align_backends b WHERE b.job=a.job)"
                                        " FROM aligns a WHERE job=?", "i", job);
    int rc = stmt ? s_step (self, stmt) : -1;
    if (rc != 1)
        return rc;
    row->job = job;
    row->src_bytes = sqlite3_column_int64 (stmt, 0);
    row->target_source = s_col_str (stmt, 1);
    row->prepared [0] = s_col_str (stmt, 2);
    row->prepared [1] = s_col_str (stmt, 3);
    row->links = sqlite3_column_int64 (stmt, 4);
    row->profile = s_col_str (stmt, 5);
    sqlite3_reset (stmt);
    return 1;
}

int
hny_store_align_set_side (hny_store_t *self, int64_t job, int side, const char *prepared)
{
    assert (side == 0 || side == 1);
    return side == 0 ? s_run (self, "UPDATE aligns SET src_prepared=? WHERE job=?", "si", prepared, job)
                     : s_run (self, "UPDATE aligns SET tgt_prepared=? WHERE job=?", "si", prepared, job);
}

int
hny_store_align_done (hny_store_t *self, int64_t job, int64_t links)
{
    return s_run (self, "UPDATE aligns SET src_prepared=NULL, tgt_prepared=NULL, links=? WHERE job=?",
                  "ii", links, job);
}
