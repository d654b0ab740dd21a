/*  test_ckpt.c: the store's checkpointer thread (hny_ckpt.h) on a real
    SQLite file in WAL mode: an ask copies the WAL while this connection
    keeps it open, asks merge while one runs, the WAL starts over after
    it, and destroy stops the thread with an ask pending. */
#include "hny_ckpt.h"

#include <honyaku/util.h>

#include "hny_check.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

/* Frames in the WAL as the connection sees them (a checkpoint that copies
   nothing reports them). */
static int
s_wal_frames (sqlite3 *db)
{
    int log = -1, done = -1;
    sqlite3_wal_checkpoint_v2 (db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
    return log;
}

int
main (void)
{
    char dir [] = "/tmp/test_ckpt.XXXXXX";
    CHECK (mkdtemp (dir) != NULL);
    char *path = hny_sprintf ("%s/c.db", dir);
    char *error = NULL;

    /* No such file: a clear error, no thread. */
    char *missing = hny_sprintf ("%s/none/c.db", dir);
    CHECK (hny_ckpt_new (missing, &error) == NULL && error);
    free (error);
    error = NULL;
    free (missing);

    sqlite3 *db = NULL;
    CHECK (sqlite3_open (path, &db) == SQLITE_OK);
    CHECK (sqlite3_exec (db, "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;"
                             " CREATE TABLE t (x BLOB);", NULL, NULL, NULL) == SQLITE_OK);
    for (int i = 0; i < 64; i++)
        CHECK (sqlite3_exec (db, "INSERT INTO t VALUES (zeroblob(16000))", NULL, NULL, NULL)
               == SQLITE_OK);

    hny_ckpt_t *ckpt = hny_ckpt_new (path, &error);
    CHECK (ckpt && !error);
    CHECK (hny_ckpt_runs (ckpt) == 0 && hny_ckpt_copied (ckpt) == 0);
    CHECK (hny_ckpt_ask (ckpt) == 1);
    hny_ckpt_wait (ckpt);
    CHECK (!hny_ckpt_busy (ckpt));
    CHECK (hny_ckpt_runs (ckpt) == 1 && hny_ckpt_failures (ckpt) == 0);
    int frames = s_wal_frames (db);
    CHECK (frames > 64 && hny_ckpt_copied (ckpt) == frames);

    /* Every frame copied: the next write starts the WAL over. */
    CHECK (sqlite3_exec (db, "INSERT INTO t VALUES (1)", NULL, NULL, NULL) == SQLITE_OK);
    CHECK (s_wal_frames (db) < 8);

    /* Asks while one is asked for merge into it. */
    for (int i = 0; i < 64; i++)
        CHECK (sqlite3_exec (db, "INSERT INTO t VALUES (zeroblob(16000))", NULL, NULL, NULL)
               == SQLITE_OK);
    int started = 0;
    for (int i = 0; i < 100; i++)
        started += hny_ckpt_ask (ckpt);
    hny_ckpt_wait (ckpt);
    CHECK (started >= 1 && hny_ckpt_runs (ckpt) == 1 + started);
    CHECK (started < 100);

    /* Destroy with an ask pending: the thread stops, nothing hangs. */
    hny_ckpt_ask (ckpt);
    hny_ckpt_destroy (&ckpt);
    CHECK (ckpt == NULL);
    hny_ckpt_destroy (&ckpt);           /* NULL is allowed */

    sqlite3_close (db);
    char *wal = hny_sprintf ("%s-wal", path), *shm = hny_sprintf ("%s-shm", path);
    unlink (wal);
    unlink (shm);
    unlink (path);
    rmdir (dir);
    free (wal);
    free (shm);
    free (path);
    return s_check_done ("test_ckpt");
}
