/*  ts_harness.h: the scaffolding of the backend tests that run against
    hny-testserver (tests/testserver): start and stop the server, talk to
    its control API (/_stats, /_faults, /_quota, /_reset) and to its API
    paths, and run a backend's batch through the HTTP engine to its end.

    Used by test_backends_api and test_deepl_api. It checks nothing itself:
    what could go wrong comes back as a return value (and a line on
    stderr), and the test decides what that means with its own CHECK.
    One server per program; not thread-safe. Nothing here prints an API
    key. */
#ifndef TS_HARNESS_H
#define TS_HARNESS_H

#include "hny_backend.h"
#include "hny_http.h"

#include <honyaku/config.h>

#include <jansson.h>
#include <stdint.h>

/* Start the server at path on a free port with "--key key" and the extra
   arguments args (a NULL-terminated list; NULL for none). Its first line
   of output, "PORT=n", is the handshake. Also initialises libcurl, which
   ts_call uses. Returns 0, or -1 with the reason on stderr (ts_server_stop
   is still to be called). */
int ts_server_start (const char *path, const char *key, const char *const *args);

/* Stop the server (SIGTERM, then wait for it) and clean up libcurl. Does
   nothing when no server is running; safe after a failed start. */
void ts_server_stop (void);

/* The running server's base URL, "http://127.0.0.1:PORT"; "" before
   ts_server_start. Borrowed: valid until the next start. */
const char *ts_server_url (void);

/* One request to the server, 5 s at most: method ("GET", "POST",
   "DELETE"...), path below the base URL, body (sent as JSON; NULL: none)
   and one more header line (NULL: none), e.g. the API's Authorization.
   Returns the answer parsed as JSON (caller owns), or NULL when the
   request failed or the answer is not JSON. */
json_t *ts_call (const char *method, const char *path, const char *body, const char *header);

/* The counter per_api.API.NAME of GET /_stats (e.g. "deepl", "requests");
   0 when it is absent or the server did not answer. */
int64_t ts_api_stat (const char *api, const char *name);

/* 1 when GET /_stats answers and lists no contract violation (none kept,
   none dropped). Else 0, after printing "violations recorded:" and each
   violation kept on stderr. */
int ts_no_violations (void);

/* A profile against the server: name, type, its url (ts_server_url), the
   API key from the environment variable key_env, a 5 s timeout, every
   other field zero. The strings are borrowed, not copied. */
hny_profile_t ts_profile (const char *name, const char *type, const char *key_env);

/* hny_backend_new for profile on http. NULL when refused, with the reason
   on stderr. */
hny_backend_t *ts_backend (const hny_profile_t *profile, hny_http_t *http);

/* Make a batch of json (from -> to, job id job), hand it to be, and run
   http until be calls back, 15 s at most (also when be did not take the
   batch). A batch that hny_batch_new refuses is the test's own mistake:
   the reason goes to stderr and the program aborts. *batch is set in any
   case (caller owns). Returns 0 when be took the batch and called back
   exactly once, else -1 with what went wrong on stderr. */
int ts_translate (hny_http_t *http, hny_backend_t *be, const char *json, const char *from,
                  const char *to, const char *job, hny_batch_t **batch);

/* Write text to path (created or emptied). Returns 0, or -1 when it
   could not be opened or written. */
int ts_write_file (const char *path, const char *text);

#endif
