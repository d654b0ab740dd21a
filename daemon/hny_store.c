/*  hny_store.c: honyakud's SQLite store (see hny_store.h).

    Statements are prepared once and cached by their SQL text; s_run binds
    arguments from a tiny format string ('i' int64, 's' text or NULL, 'b'
    blob) so that each operation is one line of SQL and one call. */
#include "hny_store.h"

#include <honyaku/util.h>

#include <assert.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#define S_STMT_MAX 64           /* distinct SQL statements cached */

struct _hny_store_t {
    sqlite3 *db;
    int in_tx;                  /* a transaction is open */
    int poisoned;               /* a write in the open transaction failed */
    int full;                   /* the last failure was SQLITE_FULL */
    char error [256];           /* the last failure */
    struct {
        const char *sql;        /* the literal it was prepared from */
        sqlite3_stmt *stmt;
    } cache [S_STMT_MAX];
    size_t cached;
    int wal_pages;              /* frames in the WAL after the last commit */
};

#define S_WAL_CHECKPOINT_PAGES  256     /* checkpoint once the WAL holds this (1 MiB) */

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
    "  content BLOB);"
    "CREATE INDEX IF NOT EXISTS jobs_state ON jobs (state);"
    "CREATE TABLE IF NOT EXISTS segments ("
    "  job INTEGER NOT NULL, para INTEGER NOT NULL, idx INTEGER NOT NULL,"
    "  src TEXT NOT NULL, tgt TEXT, tm INTEGER NOT NULL DEFAULT 0,"
    "  state TEXT NOT NULL DEFAULT 'pending',"
    "  code INTEGER NOT NULL DEFAULT 0, class TEXT, reason TEXT, backend TEXT,"
    "  PRIMARY KEY (job, para, idx)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS tasks ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  kind TEXT NOT NULL, job INTEGER NOT NULL, payload TEXT,"
    "  state TEXT NOT NULL DEFAULT 'queued', worker TEXT,"
    "  lease_deadline INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0,"
    "  losses INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS tm ("
    "  hash TEXT NOT NULL, from_lang TEXT NOT NULL, to_lang TEXT NOT NULL,"
    "  profile TEXT NOT NULL, src TEXT NOT NULL, tgt TEXT NOT NULL, created INTEGER NOT NULL,"
    "  UNIQUE (hash, from_lang, to_lang, profile));"
    "CREATE TABLE IF NOT EXISTS records ("
    "  job INTEGER PRIMARY KEY, json TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS stats ("
    "  profile TEXT PRIMARY KEY, tm_hits INTEGER NOT NULL DEFAULT 0,"
    "  tm_misses INTEGER NOT NULL DEFAULT 0, chars_billed INTEGER NOT NULL DEFAULT 0,"
    "  requests INTEGER NOT NULL DEFAULT 0, segments INTEGER NOT NULL DEFAULT 0,"
    "  prompt_tokens INTEGER NOT NULL DEFAULT 0, completion_tokens INTEGER NOT NULL DEFAULT 0,"
    "  usage_count INTEGER NOT NULL DEFAULT -1, usage_limit INTEGER NOT NULL DEFAULT -1,"
    "  usage_at INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS probe (pad BLOB);";

/* Align jobs' own row (hny_store.h), made whatever the version says, so
   that it composes with every upgrade of the tables above. */
static const char *s_align_schema =
    "CREATE TABLE IF NOT EXISTS aligns ("
    "  job INTEGER PRIMARY KEY, src_bytes INTEGER NOT NULL, target_source TEXT,"
    "  src_prepared TEXT, tgt_prepared TEXT, links INTEGER NOT NULL DEFAULT -1);";

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
    for (size_t i = 0; i < self->cached; i++)
        if (self->cache [i].sql == sql || strcmp (self->cache [i].sql, sql) == 0)
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

static int
s_exec (hny_store_t *self, const char *sql)
{
    if (sqlite3_exec (self->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
        s_failed (self, sql);
        return -1;
    }
    return 0;
}

/* The TM key of a source text: XXH3-128 in hex (the source itself is kept
   beside it and compared, so a collision can never return a wrong target). */
static void
s_text_hash (const char *text, char out [33])
{
    XXH128_hash_t h = XXH3_128bits (text, strlen (text));
    XXH128_canonical_t canon;
    XXH128_canonicalFromHash (&canon, h);
    for (int i = 0; i < 16; i++)
        snprintf (out + 2 * i, 3, "%02x", canon.digest [i]);
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

/* ------------------------------------------------------------- life cycle */

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
    if (sqlite3_open_v2 (path, &self->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                                            | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        *error = hny_sprintf ("%s: %s", path, self->db ? sqlite3_errmsg (self->db) : "cannot open");
        hny_store_destroy (&self);
        return NULL;
    }
    sqlite3_busy_timeout (self->db, 5000);
    int version = -1;
    sqlite3_stmt *stmt = NULL;
    /* The WAL is checkpointed every 256 pages (1 MiB) and cut back to
       1 MiB after: left to SQLite's 1000 pages it can hold most of a
       small disk, and a checkpoint needs room in the database for what it
       copies, so a full disk could never be recovered (section 14). */
    if (s_exec (self, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=OFF;"
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
        /* Version 2 added segments.backend (the profile used, when not the
           job's); version 3 the probe table (hny_store_probe) and
           tasks.losses (leases that ended with their worker). Tables that
           are missing are made as the schema says; columns are added where
           they are missing. */
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
                                   " ALTER TABLE stats ADD COLUMN usage_at INTEGER NOT NULL DEFAULT 0") == 0);
        char *sql = hny_sprintf ("PRAGMA user_version=%d; COMMIT;", HNY_STORE_SCHEMA_VERSION);
        if (!ok || s_exec (self, sql)) {
            *error = hny_sprintf ("%s: cannot upgrade the schema: %s", path, sqlite3_errmsg (self->db));
            sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
        }
        free (sql);
    }
    else if (!*error && version < HNY_STORE_SCHEMA_VERSION) {
        char *sql = hny_sprintf ("BEGIN; %s PRAGMA user_version=%d; COMMIT;", s_schema,
                                 HNY_STORE_SCHEMA_VERSION);
        if (s_exec (self, sql))
            *error = hny_sprintf ("%s: cannot create the schema: %s", path, sqlite3_errmsg (self->db));
        free (sql);
    }
    if (!*error && s_exec (self, s_align_schema))
        *error = hny_sprintf ("%s: cannot create the aligns table: %s", path, sqlite3_errmsg (self->db));
    if (*error) {
        hny_store_destroy (&self);
        return NULL;
    }
    /* Checkpoints are the caller's (hny_store_checkpoint), after a pass
       sent its messages, not inside the COMMIT that precedes them. */
    sqlite3_wal_hook (self->db, s_on_wal, self);
    return self;
}

int
hny_store_checkpoint (hny_store_t *self)
{
    if (self->in_tx || self->wal_pages < S_WAL_CHECKPOINT_PAGES)
        return 0;
    int log = 0, done = 0;
    int rc = sqlite3_wal_checkpoint_v2 (self->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
    if (rc != SQLITE_OK) {
        hny_debug ("store: checkpoint: %s", sqlite3_errmsg (self->db));
        return -1;
    }
    /* Frames it could not copy (a reader holds them) wait for the next. */
    self->wal_pages = log > done ? log - done : 0;
    return 1;
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
    sqlite3_close (self->db);
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

int
hny_store_commit (hny_store_t *self)
{
    if (!self->in_tx)
        return 0;
    if (!self->poisoned && s_exec (self, "COMMIT") == 0) {
        self->in_tx = 0;
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
    /* SQLite may have rolled back already (a full disk can do that). */
    if (!sqlite3_get_autocommit (self->db)
    &&  sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL) != SQLITE_OK)
        hny_error ("store: ROLLBACK: %s", sqlite3_errmsg (self->db));
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

int
hny_store_set_max_bytes (hny_store_t *self, int64_t bytes)
{
    int64_t pages = 0;
    if (bytes > 0) {
        sqlite3_stmt *stmt = s_query (self, "PRAGMA page_size", "");
        int64_t page = stmt && s_step (self, stmt) == 1 ? sqlite3_column_int64 (stmt, 0) : 4096;
        if (stmt)
            sqlite3_reset (stmt);
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
    /* Copying the WAL into the database and truncating it frees the most
       room a full disk can get back from us; a statement left open would
       pin its snapshot and stop the checkpoint halfway. */
    for (size_t i = 0; i < self->cached; i++)
        sqlite3_reset (self->cache [i].stmt);
    int wal = -1, copied = -1;
    if (sqlite3_wal_checkpoint_v2 (self->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, &wal, &copied) != SQLITE_OK)
        hny_debug ("store: checkpoint: %s (%d of %d pages copied)", sqlite3_errmsg (self->db), copied, wal);
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
                   "chars_billed, requests"

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
}

int
hny_store_job_insert (hny_store_t *self, const hny_job_row_t *row, const void *content,
                      size_t size, int64_t *id)
{
    int64_t now = hny_clock_wall_ms ();
    if (s_run (self, "INSERT INTO jobs (key, hash, from_lang, to_lang, backend, format, lenient,"
                     " source, metadata, state, created, updated, content)"
                     " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
               "ssssssisssiib", row->key, row->hash, row->from, row->to, row->backend,
               row->format ? row->format : "auto", (int64_t) row->lenient, row->source,
               row->metadata, hny_job_state_name (row->state), now, now, content, size))
        return -1;
    *id = sqlite3_last_insert_rowid (self->db);
    return 0;
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
    sqlite3_stmt *stmt = s_query (self, "SELECT content FROM jobs WHERE id=? AND content IS NOT NULL",
                                  "i", id);
    if (!stmt)
        return -1;
    int rc = s_step (self, stmt);
    if (rc != 1)
        return rc;
    *size = (size_t) sqlite3_column_bytes (stmt, 0);
    *data = hny_malloc (*size + 1);
    if (*size)
        memcpy (*data, sqlite3_column_blob (stmt, 0), *size);
    (*data) [*size] = 0;
    sqlite3_reset (stmt);
    return 1;
}

int
hny_store_job_set_prepared (hny_store_t *self, int64_t id, const char *prepared)
{
    return s_run (self, "UPDATE jobs SET prepared=?, content=NULL, updated=? WHERE id=?", "sii",
                  prepared, hny_clock_wall_ms (), id);
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
    memset (row, 0, sizeof *row);
}

int
hny_store_segment_add (hny_store_t *self, int64_t job, int para, int idx, const char *src)
{
    return s_run (self, "INSERT OR REPLACE INTO segments (job, para, idx, src) VALUES (?,?,?,?)",
                  "iiis", job, (int64_t) para, (int64_t) idx, src);
}

int
hny_store_segment_fill (hny_store_t *self, int64_t job, int para, int idx, const char *tgt, int tm)
{
    return s_run (self, "UPDATE segments SET tgt=?, tm=?, state='done' WHERE job=? AND para=? AND idx=?",
                  "siiii", tgt, (int64_t) tm, job, (int64_t) para, (int64_t) idx);
}

int
hny_store_segment_set_backend (hny_store_t *self, int64_t job, int para, int idx, const char *backend)
{
    return s_run (self, "UPDATE segments SET backend=? WHERE job=? AND para=? AND idx=?",
                  "siii", backend, job, (int64_t) para, (int64_t) idx);
}

int
hny_store_segment_fail (hny_store_t *self, int64_t job, int para, int idx, int code,
                        hny_err_class_t err_class, const char *reason)
{
    return s_run (self, "UPDATE segments SET state='failed', code=?, class=?, reason=?"
                        " WHERE job=? AND para=? AND idx=?",
                  "issiii", (int64_t) code, hny_err_class_name (err_class), reason, job,
                  (int64_t) para, (int64_t) idx);
}

int
hny_store_segment_warn (hny_store_t *self, int64_t job, int para, int idx, const char *reason)
{
    return s_run (self, "UPDATE segments SET class='warning', reason=? WHERE job=? AND para=? AND idx=?",
                  "siii", reason, job, (int64_t) para, (int64_t) idx);
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
        int state = hny_seg_state_parse ((const char *) sqlite3_column_text (stmt, 5));
        hny_segment_row_t row = {
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
        };
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

#define S_SEG_COLS "para, idx, src, tgt, tm, state, code, class, reason, backend"

int
hny_store_segments (hny_store_t *self, int64_t job,
                    int (*fn) (const hny_segment_row_t *row, void *arg), void *arg)
{
    sqlite3_stmt *stmt = s_query (self, "SELECT " S_SEG_COLS " FROM segments WHERE job=?"
                                        " ORDER BY para, idx", "i", job);
    return s_segment_rows (self, job, stmt, fn, arg) < 0 ? -1 : 0;
}

int
hny_store_segments_page (hny_store_t *self, int64_t job, int para, int idx, int limit,
                         int (*fn) (const hny_segment_row_t *row, void *arg), void *arg)
{
    sqlite3_stmt *stmt = s_query (self, "SELECT " S_SEG_COLS " FROM segments WHERE job=?"
                                        " AND (para>? OR (para=? AND idx>?)) ORDER BY para, idx LIMIT ?",
                                  "iiiii", job, (int64_t) para, (int64_t) para, (int64_t) idx,
                                  (int64_t) limit);
    return s_segment_rows (self, job, stmt, fn, arg);
}

int
hny_store_context (hny_store_t *self, int64_t job, int para, int idx, size_t max, char **out)
{
    *out = NULL;
    if (para < 0 || max == 0)
        return 0;               /* the title has nothing before it */
    char *title = NULL;
    sqlite3_stmt *stmt = s_query (self, "SELECT src FROM segments WHERE job=? AND para=-1", "i", job);
    if (!stmt)
        return -1;
    int rc = s_step (self, stmt);
    if (rc == 1) {
        title = s_col_str (stmt, 0);
        sqlite3_reset (stmt);
    }
    else if (rc < 0)
        return -1;
    size_t budget = max;
    if (title && strlen (title) + 1 >= budget) {
        free (title);           /* a title that fills the cap says little */
        title = NULL;
    }
    if (title)
        budget -= strlen (title) + 1;
    /* The nearest segments first, until the budget is spent. */
    stmt = s_query (self, "SELECT para, src FROM segments WHERE job=? AND para>=0 AND"
                          " (para<? OR (para=? AND idx<?)) ORDER BY para DESC, idx DESC LIMIT 256",
                    "iiii", job, (int64_t) para, (int64_t) para, (int64_t) idx);
    if (!stmt) {
        free (title);
        return -1;
    }
    char **parts = NULL;
    int *paras = NULL;
    size_t count = 0, used = 0;
    while ((rc = s_step (self, stmt)) == 1 && used < budget) {
        const char *src = (const char *) sqlite3_column_text (stmt, 1);
        size_t len = strlen (src), room = budget - used;
        const char *from = src;
        if (len + 1 > room) {
            /* The tail of the farthest one that fits, from a character. */
            from = src + len - (room > 1 ? room - 1 : 0);
            while (*from && ((unsigned char) *from & 0xC0) == 0x80)
                from++;
        }
        parts = hny_realloc (parts, (count + 1) * sizeof *parts);
        paras = hny_realloc (paras, (count + 1) * sizeof *paras);
        parts [count] = hny_strdup (from);
        paras [count++] = sqlite3_column_int (stmt, 0);
        used += strlen (from) + 1;
    }
    if (rc == 1)
        sqlite3_reset (stmt);
    /* title, parts and separators were cut to fit max above */
    hny_buf_t text = HNY_BUF_INIT (max);
    if (title)
        hny_buf_adds (&text, title);
    for (size_t i = count; i-- > 0;) {
        if (text.len)
            hny_buf_adds (&text, i + 1 < count && paras [i] == paras [i + 1] ? " " : "\n");
        hny_buf_adds (&text, parts [i]);
        free (parts [i]);
    }
    free (parts);
    free (paras);
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
    return s_run (self, "DELETE FROM segments WHERE job=?", "i", job);
}

int
hny_store_segment_counts (hny_store_t *self, int64_t job, int *total, int *done, int *failed)
{
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

int
hny_store_tm_get (hny_store_t *self, const char *from, const char *to, const char *profile,
                  const char *src, char **tgt)
{
    char hash [33];
    s_text_hash (src, hash);
    sqlite3_stmt *stmt = s_query (self, "SELECT src, tgt FROM tm WHERE hash=? AND from_lang=?"
                                        " AND to_lang=? AND profile=?",
                                  "ssss", hash, from, to, profile);
    if (!stmt)
        return -1;
    int rc = s_step (self, stmt);
    if (rc != 1)
        return rc;
    const char *stored = (const char *) sqlite3_column_text (stmt, 0);
    rc = stored && strcmp (stored, src) == 0;
    if (rc)
        *tgt = s_col_str (stmt, 1);
    sqlite3_reset (stmt);
    return rc;
}

int
hny_store_tm_put (hny_store_t *self, const char *from, const char *to, const char *profile,
                  const char *src, const char *tgt)
{
    char hash [33];
    s_text_hash (src, hash);
    return s_run (self, "INSERT OR REPLACE INTO tm (hash, from_lang, to_lang, profile, src, tgt, created)"
                        " VALUES (?,?,?,?,?,?,?)",
                  "ssssssi", hash, from, to, profile, src, tgt, hny_clock_wall_ms ());
}

/* ------------------------------------------------------------- records, stats */

int
hny_store_record_put (hny_store_t *self, int64_t job, const char *json)
{
    return s_run (self, "INSERT OR REPLACE INTO records (job, json) VALUES (?,?)", "is", job, json);
}

int
hny_store_record_get (hny_store_t *self, int64_t job, char **json)
{
    sqlite3_stmt *stmt = s_query (self, "SELECT json FROM records WHERE job=?", "i", job);
    if (!stmt)
        return -1;
    int rc = s_step (self, stmt);
    if (rc == 1) {
        *json = s_col_str (stmt, 0);
        sqlite3_reset (stmt);
    }
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
                                        " usage_limit, usage_at FROM stats ORDER BY profile", "");
    if (!stmt)
        return NULL;
    json_t *out = json_object ();
    int rc;
    while ((rc = s_step (self, stmt)) == 1) {
        json_t *p = json_pack ("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
                               "tm_hits", (json_int_t) sqlite3_column_int64 (stmt, 1),
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
    free (row->prepared [0]);
    free (row->prepared [1]);
    memset (row, 0, sizeof *row);
}

int
hny_store_align_insert (hny_store_t *self, const hny_align_row_t *row)
{
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
                                        " links FROM aligns WHERE job=?", "i", job);
    int rc = stmt ? s_step (self, stmt) : -1;
    if (rc != 1)
        return rc;
    row->job = job;
    row->src_bytes = sqlite3_column_int64 (stmt, 0);
    row->target_source = s_col_str (stmt, 1);
    row->prepared [0] = s_col_str (stmt, 2);
    row->prepared [1] = s_col_str (stmt, 3);
    row->links = sqlite3_column_int64 (stmt, 4);
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
