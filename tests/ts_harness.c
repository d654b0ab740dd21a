/*  ts_harness.c: hny-testserver for the backend tests (see ts_harness.h). */
#include "ts_harness.h"

#include <honyaku/util.h>

#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* The largest answer is GET /_stats: at most 1000 violations kept, each
   under 512 bytes, and a few counters per API. */
#define S_ANSWER_MAX (4 * 1024 * 1024)

static pid_t s_server = 0;              /* its pid while it runs */
static int s_curl = 0;                  /* curl_global_init done */
static char s_url[64] = "";             /* http://127.0.0.1:PORT */

int
ts_server_start (const char *path, const char *key, const char *const *args)
{
    if (!s_curl && curl_global_init (CURL_GLOBAL_DEFAULT) == CURLE_OK)
        s_curl = 1;
    const char *argv[32] = { path, "--port", "0", "--key", key };
    size_t argc = 5;
    for (size_t i = 0; args && args[i]; i++) {
        if (argc + 1 >= sizeof argv / sizeof argv[0]) {
            fprintf (stderr, "too many arguments for %s\n", path);
            return -1;
        }
        argv[argc++] = args[i];
    }
    argv[argc] = NULL;

    int fds[2];
    if (pipe (fds) != 0) {
        perror ("pipe");
        return -1;
    }
    s_server = fork ();
    if (s_server < 0) {
        perror ("fork");
        s_server = 0;
        close (fds[0]);
        close (fds[1]);
        return -1;
    }
    if (s_server == 0) {
        dup2 (fds[1], 1);
        close (fds[0]);
        close (fds[1]);
        execv (path, (char *const *) argv);
        _exit (127);
    }
    close (fds[1]);
    FILE *out = fdopen (fds[0], "r");
    char line[64] = "";
    int port = 0;
    if (!out || !fgets (line, sizeof line, out) || sscanf (line, "PORT=%d", &port) != 1) {
        fprintf (stderr, "no PORT= line from %s\n", path);
        if (out)
            fclose (out);
        else
            close (fds[0]);
        return -1;
    }
    fclose (out);
    snprintf (s_url, sizeof s_url, "http://127.0.0.1:%d", port);
    return 0;
}

void
ts_server_stop (void)
{
    if (s_server > 0) {
        kill (s_server, SIGTERM);
        waitpid (s_server, NULL, 0);
        s_server = 0;
    }
    if (s_curl) {
        curl_global_cleanup ();
        s_curl = 0;
    }
}

const char *
ts_server_url (void)
{
    return s_url;
}

static size_t
s_curl_write (char *data, size_t size, size_t nmemb, void *arg)
{
    hny_buf_add (arg, data, size * nmemb);
    return size * nmemb;
}

json_t *
ts_call (const char *method, const char *path, const char *body, const char *header)
{
    CURL *curl = curl_easy_init ();
    if (!curl)
        return NULL;
    char url[256];
    snprintf (url, sizeof url, "%s%s", s_url, path);
    hny_buf_t answer = HNY_BUF_INIT (S_ANSWER_MAX);
    struct curl_slist *headers = curl_slist_append (NULL, "Content-Type: application/json");
    if (header)
        headers = curl_slist_append (headers, header);
    curl_easy_setopt (curl, CURLOPT_URL, url);
    curl_easy_setopt (curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt (curl, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, s_curl_write);
    curl_easy_setopt (curl, CURLOPT_WRITEDATA, &answer);
    curl_easy_setopt (curl, CURLOPT_CUSTOMREQUEST, method);
    if (body)
        curl_easy_setopt (curl, CURLOPT_POSTFIELDS, body);
    CURLcode rc = curl_easy_perform (curl);
    curl_slist_free_all (headers);
    curl_easy_cleanup (curl);
    json_t *root = rc == CURLE_OK && answer.data && !answer.toobig
                       ? json_loads (answer.data, 0, NULL) : NULL;
    hny_buf_free (&answer);
    return root;
}

int64_t
ts_api_stat (const char *api, const char *name)
{
    json_t *stats = ts_call ("GET", "/_stats", NULL, NULL);
    int64_t n = json_integer_value (json_object_get (
        json_object_get (json_object_get (stats, "per_api"), api), name));
    json_decref (stats);
    return n;
}

int
ts_no_violations (void)
{
    json_t *stats = ts_call ("GET", "/_stats", NULL, NULL);
    json_t *violations = json_object_get (stats, "violations");
    int none = stats && json_array_size (violations) == 0
               && json_integer_value (json_object_get (stats, "violations_dropped")) == 0;
    if (!none) {
        fprintf (stderr, "violations recorded:%s\n", stats ? "" : " (no answer from /_stats)");
        size_t i;
        json_t *v;
        json_array_foreach (violations, i, v)
            fprintf (stderr, "  %s\n", json_string_value (v));
    }
    json_decref (stats);
    return none;
}

hny_profile_t
ts_profile (const char *name, const char *type, const char *key_env)
{
    hny_profile_t profile;
    memset (&profile, 0, sizeof profile);
    profile.name = (char *) name;
    profile.type = (char *) type;
    profile.url = s_url;
    profile.key_env = (char *) key_env;
    profile.timeout_ms = 5000;
    return profile;
}

hny_backend_t *
ts_backend (const hny_profile_t *profile, hny_http_t *http)
{
    char *error = NULL;
    hny_backend_t *be = hny_backend_new (profile, http, &error);
    if (!be)
        fprintf (stderr, "backend %s: %s\n", profile->name, error);
    free (error);
    return be;
}

static void
s_on_done (hny_batch_t *batch, void *arg)
{
    (void) batch;
    (*(int *) arg)++;
}

int
ts_translate (hny_http_t *http, hny_backend_t *be, const char *json, const char *from,
              const char *to, const char *job, hny_batch_t **batch)
{
    char *reason = NULL;
    *batch = hny_batch_new (json, strlen (json), from, to, job, &reason);
    if (!*batch) {
        fprintf (stderr, "batch refused: %s\n", reason);
        free (reason);
        abort ();
    }
    int done = 0;
    int rc = 0;
    if (hny_backend_translate (be, *batch, s_on_done, &done) != 0) {
        fprintf (stderr, "job %s: the backend did not take the batch\n", job);
        rc = -1;
    }
    int64_t deadline = hny_clock_mono_ms () + 15000;
    while (done == 0 && hny_clock_mono_ms () < deadline) {
        hny_http_wait (http, NULL, 0, 100, NULL);
        hny_http_run (http);
    }
    if (done != 1) {
        fprintf (stderr, "job %s: the backend called back %d times\n", job, done);
        rc = -1;
    }
    return rc;
}

int
ts_write_file (const char *path, const char *text)
{
    FILE *f = fopen (path, "w");
    if (!f)
        return -1;
    int rc = fputs (text, f) < 0 ? -1 : 0;
    return fclose (f) != 0 ? -1 : rc;
}
