/*  test_config.c: the INI configuration (proto/hny_config.c): defaults,
    a full file, every error path with its FILE:LINE, API keys, the sample
    configuration hny_config_describe prints, and the packaging sample (its
    path is argv[1]) loading as it ships. Per-type values are compared with
    the backend table (honyaku/backends.h), never restated. */

#include "honyaku/config.h"
#include "honyaku/util.h"

#include "hny_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char s_dir [] = "/tmp/test_config.XXXXXX";
static char s_path [512];

/* Write text to DIR/name and return the path (static buffer). */
static const char *
s_write (const char *name, const char *text, mode_t mode)
{
    snprintf (s_path, sizeof s_path, "%s/%s", s_dir, name);
    FILE *f = fopen (s_path, "w");
    if (!f) {
        perror (s_path);
        exit (2);
    }
    fputs (text, f);
    fclose (f);
    chmod (s_path, mode);
    return s_path;
}

static int
s_streq (const char *a, const char *b)
{
    return a && b && strcmp (a, b) == 0;
}

/* 1 when the profile holds its type's defaults from the backend table for
   the per-type options (url, max_texts, max_bytes, concurrency,
   timeout_ms) that the file left unset; set names those it set. */
static int
s_type_defaults (const hny_profile_t *p, const char *set)
{
    const hny_backend_traits_t *t = p ? hny_backends_find (p->type) : NULL;
    if (!t)
        return 0;
    int url = strstr (set, "url") || (p->url ? t->url && strcmp (p->url, t->url) == 0 : !t->url);
    return url && (strstr (set, "max_texts") || p->max_texts == t->max_texts)
        && (strstr (set, "max_bytes") || p->max_bytes == t->max_bytes)
        && (strstr (set, "concurrency") || p->concurrency == t->concurrency)
        && (strstr (set, "timeout_ms") || p->timeout_ms == t->timeout_ms);
}

static void
s_test_defaults (void)
{
    hny_config_t *config = hny_config_new_default ();
    hny_daemon_conf_t *d = hny_config_daemon (config);
    CHECK (d->state == NULL && d->front == NULL && d->back == NULL);
    CHECK (d->workers == -1);
    CHECK (d->heartbeat_ms == 1000);
    CHECK (d->lease_ms == 60000);
    CHECK (d->max_article_bytes == 8388608);
    CHECK (d->max_jobs_in_flight == 64);
    CHECK (s_streq (d->log_level, "info"));
    CHECK (d->default_backend == NULL);
    CHECK (d->worker_credit == 8);
    CHECK (d->worker_backends == NULL);
    CHECK (hny_config_path (config) == NULL);
    CHECK (hny_config_profile_count (config) == 1);
    const hny_profile_t *p = hny_config_profile (config, 0);
    CHECK (p && s_streq (p->name, "pseudo") && s_streq (p->type, "pseudo"));
    CHECK (s_type_defaults (p, ""));
    CHECK (p && p->retries == 5 && p->rate == 0 && p->chars_per_minute == 0);
    CHECK (p && p->url == NULL && p->key_file == NULL);
    CHECK (hny_config_profile (config, 1) == NULL);
    CHECK (hny_config_profile_find (config, "pseudo") == p);
    CHECK (hny_config_profile_find (config, "nope") == NULL);
    CHECK (hny_config_profile_find (config, NULL) == NULL);
    hny_config_destroy (&config);
    CHECK (config == NULL);
    hny_config_destroy (&config);
}

static void
s_test_full (void)
{
    const char *path = s_write ("full.conf",
        "; a full configuration\n"
        "[daemon]\n"
        "state = /var/lib/honyaku\n"
        "front = ipc:///run/honyaku/front\n"
        "back = tcp://127.0.0.1:5556   ; inline comment\n"
        "workers = 3\n"
        "heartbeat_ms = 250\n"
        "lease_ms = 5000\n"
        "max_article_bytes = 1048576\n"
        "max_jobs_in_flight = 4\n"
        "log_level = debug\n"
        "default_backend = deepl\n"
        "\n"
        "[worker]\n"
        "credit = 2\n"
        "backends = deepl, apertium,pseudo\n"
        "\n"
        "[backend.deepl]\n"
        "type = deepl\n"
        "key_env = DEEPL_KEY\n"
        "rate = 2.5\n"
        "chars_per_minute = 100000\n"
        "fallback = apertium\n"
        "glossary = /etc/honyaku/glossary.tsv\n"
        "\n"
        "# type comes from the name\n"
        "[backend.apertium]\n"
        "url = http://127.0.0.1:2737\n"
        "max_bytes = 4096\n"
        "\n"
        "[backend.llama]\n"
        "timeout_ms = 1000\n"
        "type = openai\n"
        "url = http://127.0.0.1:8080\n"
        "model = some-model\n"
        "retries = 2\n"
        "concurrency = 1\n"
        "max_bytes = 2048\n"
        "\n"
        "[backend.g]\n"
        "type = google\n"
        "[backend.lt]\n"
        "type = libretranslate\n", 0644);
    char *error = NULL;
    hny_config_t *config = hny_config_load (path, &error);
    CHECK (config && !error);
    if (!config) {
        fprintf (stderr, "  %s\n", error);
        free (error);
        return;
    }
    CHECK (s_streq (hny_config_path (config), path));
    hny_daemon_conf_t *d = hny_config_daemon (config);
    CHECK (s_streq (d->state, "/var/lib/honyaku"));
    CHECK (s_streq (d->front, "ipc:///run/honyaku/front"));
    CHECK (s_streq (d->back, "tcp://127.0.0.1:5556"));
    CHECK (d->workers == 3 && d->heartbeat_ms == 250 && d->lease_ms == 5000);
    CHECK (d->max_article_bytes == 1048576 && d->max_jobs_in_flight == 4);
    CHECK (s_streq (d->log_level, "debug") && s_streq (d->default_backend, "deepl"));
    CHECK (d->worker_credit == 2 && s_streq (d->worker_backends, "deepl, apertium,pseudo"));

    /* File order, then the built-in pseudo. */
    CHECK (hny_config_profile_count (config) == 6);
    const char *order [] = { "deepl", "apertium", "llama", "g", "lt", "pseudo" };
    for (size_t i = 0; i < 6; i++) {
        const hny_profile_t *p = hny_config_profile (config, i);
        CHECK (p && s_streq (p->name, order [i]));
    }
    const hny_profile_t *p = hny_config_profile_find (config, "deepl");
    CHECK (s_streq (p->type, "deepl") && s_type_defaults (p, ""));
    CHECK (p->url && strstr (p->url, "deepl"));
    CHECK (p->rate == 2.5 && p->chars_per_minute == 100000 && p->retries == 5);
    CHECK (s_streq (p->key_env, "DEEPL_KEY") && s_streq (p->fallback, "apertium"));
    CHECK (s_streq (p->glossary, "/etc/honyaku/glossary.tsv"));
    p = hny_config_profile_find (config, "apertium");
    CHECK (s_streq (p->type, "apertium") && s_streq (p->url, "http://127.0.0.1:2737"));
    CHECK (p->max_bytes == 4096 && s_type_defaults (p, "url max_bytes"));
    p = hny_config_profile_find (config, "llama");
    CHECK (s_streq (p->type, "openai") && s_streq (p->model, "some-model"));
    CHECK (p->timeout_ms == 1000 && p->retries == 2 && p->concurrency == 1 && p->max_bytes == 2048);
    CHECK (s_type_defaults (p, "url timeout_ms concurrency max_bytes"));
    p = hny_config_profile_find (config, "g");
    CHECK (s_streq (p->type, "google") && p->url && s_type_defaults (p, ""));
    p = hny_config_profile_find (config, "lt");
    CHECK (s_streq (p->type, "libretranslate") && p->url == NULL && s_type_defaults (p, ""));
    /* Flags may override daemon fields. */
    d->workers = 0;
    CHECK (hny_config_daemon (config)->workers == 0);
    hny_config_destroy (&config);

    /* pseudo overridden in the file keeps its place there. */
    path = s_write ("pseudo.conf",
        "[backend.pseudo]\nmax_texts = 2\n[backend.apertium]\nurl = http://x\n", 0644);
    config = hny_config_load (path, &error);
    CHECK (config && hny_config_profile_count (config) == 2);
    if (config) {
        CHECK (s_streq (hny_config_profile (config, 0)->name, "pseudo"));
        CHECK (hny_config_profile (config, 0)->max_texts == 2);
        CHECK (s_type_defaults (hny_config_profile (config, 0), "max_texts"));
    }
    hny_config_destroy (&config);

    /* An empty file is the defaults; an empty section declares a profile. */
    path = s_write ("empty.conf", "", 0644);
    config = hny_config_load (path, &error);
    CHECK (config && hny_config_profile_count (config) == 1);
    hny_config_destroy (&config);
    path = s_write ("bare.conf", "[backend.apertium]\n[daemon]\n", 0644);
    config = hny_config_load (path, &error);
    CHECK (config && hny_config_profile_count (config) == 2
           && hny_config_profile_find (config, "apertium"));
    hny_config_destroy (&config);
}

/* Load text that must fail with an error starting "PATH:LINE: " and containing what. */
static void
s_expect_error (const char *text, int line, const char *what)
{
    const char *path = s_write ("bad.conf", text, 0644);
    char *error = NULL;
    hny_config_t *config = hny_config_load (path, &error);
    CHECK (config == NULL);
    CHECK (error != NULL);
    if (error) {
        char prefix [600];
        if (line > 0)
            snprintf (prefix, sizeof prefix, "%s:%d: ", path, line);
        else
            snprintf (prefix, sizeof prefix, "%s: ", path);
        int ok = strncmp (error, prefix, strlen (prefix)) == 0 && strstr (error, what);
        if (!ok)
            fprintf (stderr, "  got '%s', wanted prefix '%s' and '%s'\n", error, prefix, what);
        CHECK (ok);
    }
    free (error);
    hny_config_destroy (&config);
}

static void
s_test_errors (void)
{
    s_expect_error ("[daemon]\nworkers = 2\nwrokers = 3\n", 3, "unknown key 'wrokers'");
    s_expect_error ("[daemon]\n\n[demon]\nworkers = 3\n", 3, "unknown section [demon]");
    s_expect_error ("[daemon]\nlease_ms = 10s\n", 2, "not an integer");
    s_expect_error ("[daemon]\nlease_ms =\n", 2, "not an integer");
    s_expect_error ("[daemon]\nworkers = 99999999999999999999\n", 2, "not an integer");
    s_expect_error ("[daemon]\nworkers = -2\n", 2, "out of range");
    s_expect_error ("[worker]\ncredit = 0\n", 2, "out of range");
    s_expect_error ("[backend.x]\nrate = fast\n", 2, "not a number");
    s_expect_error ("[backend.x]\nrate = -1\n", 2, "out of range");
    s_expect_error ("[backend.x]\ntype = babelfish\n", 2, "unknown backend type 'babelfish'");
    s_expect_error ("[daemon]\n\n[backend.mine]\nurl = http://x\n", 3, "needs a type");
    /* Past the type's limits (the API's): at the profile's section. */
    s_expect_error ("[daemon]\n[backend.d]\ntype = deepl\nmax_texts = 51\n", 2,
                    "max_texts 51 is more than type deepl takes (50)");
    s_expect_error ("[backend.g]\nmax_bytes = 102400\ntype = google\n", 1,
                    "max_bytes 102400 is more than type google takes (100000)");
    s_expect_error ("[backend.apertium]\nmax_texts = 3\n", 1, "more than type apertium takes");
    s_expect_error ("[backend.pseudo]\ntype = deepl\n", 1, "must be of type pseudo");
    s_expect_error ("[daemon]\nworkers = 1\nworkers = 2\n", 3, "set twice");
    s_expect_error ("workers = 1\n", 1, "outside any section");
    s_expect_error ("[daemon]\nlog_level = loud\n", 2, "not error, warn, info or debug");
    s_expect_error ("[daemon]\ndefault_backend = deepl\n", 2, "no profile 'deepl'");
    s_expect_error ("[backend.a]\ntype = pseudo\nfallback = b\n", 1, "no profile 'b'");
    s_expect_error ("[backend.a]\ntype = pseudo\nfallback = a\n", 1, "falls back on itself");
    s_expect_error ("[worker]\nbackends = pseudo, deepl\n", 2, "no profile 'deepl'");
    s_expect_error ("[worker]\nbackends = pseudo, a b\n", 2, "not a profile name");
    s_expect_error ("[daemon]\nthis line has no equals sign\n", 2, "syntax error");
    s_expect_error ("[backend.a/b]\ntype = pseudo\n", 1, "profile name");
    s_expect_error ("[backend.]\n", 1, "profile name");
    s_expect_error ("[backend.aligned]\ntype = pseudo\n", 1, "reserved for the records of align jobs");
    char long_line [600];
    memset (long_line, 'x', sizeof long_line);
    memcpy (long_line, "[daemon]\nstate = ", 17);
    memcpy (long_line + sizeof long_line - 2, "\n", 2);
    s_expect_error (long_line, 2, "line longer than");

    /* Missing file and directory. */
    char *error = NULL;
    char missing [600];
    snprintf (missing, sizeof missing, "%s/missing.conf", s_dir);
    hny_config_t *config = hny_config_load (missing, &error);
    CHECK (!config && error && strstr (error, "missing.conf: cannot open"));
    free (error);
    error = NULL;
    config = hny_config_load (s_dir, &error);
    CHECK (!config && error && strstr (error, "directory"));
    free (error);
}

static void
s_test_keys (void)
{
    hny_profile_t profile = { .name = "p", .type = "deepl" };
    char *error = NULL;
    char *key = hny_profile_key (&profile, &error);
    CHECK (s_streq (key, "") && !error);
    hny_secret_free (&key);
    CHECK (key == NULL);
    hny_secret_free (&key);

    char path [600];
    snprintf (path, sizeof path, "%s", s_write ("key", "  s3cret-key \t\nsecond line\n", 0600));
    profile.key_file = path;
    profile.key_env = "HNY_TEST_KEY_ENV";       /* the file wins */
    setenv ("HNY_TEST_KEY_ENV", "from-env", 1);
    key = hny_profile_key (&profile, &error);
    CHECK (s_streq (key, "s3cret-key"));
    hny_secret_free (&key);

    /* World-readable: loads, with a warning. */
    s_write ("key", "k2", 0644);
    key = hny_profile_key (&profile, &error);
    CHECK (s_streq (key, "k2"));
    hny_secret_free (&key);

    s_write ("key", "\n\nlater", 0600);
    key = hny_profile_key (&profile, &error);
    CHECK (!key && error && strstr (error, "empty"));
    free (error);

    char big [5000];
    memset (big, 'k', sizeof big - 1);
    big [sizeof big - 1] = 0;
    s_write ("key", big, 0600);
    key = hny_profile_key (&profile, &error);
    CHECK (!key && error && strstr (error, "larger than"));
    CHECK (error && !strstr (error, "kkkk"));      /* never the key itself */
    free (error);

    snprintf (path, sizeof path, "%s/no-such-key", s_dir);
    key = hny_profile_key (&profile, &error);
    CHECK (!key && error && strstr (error, "no-such-key"));
    free (error);

    profile.key_file = NULL;
    key = hny_profile_key (&profile, &error);
    CHECK (s_streq (key, "from-env"));
    hny_secret_free (&key);
    unsetenv ("HNY_TEST_KEY_ENV");
    key = hny_profile_key (&profile, &error);
    CHECK (!key && error && strstr (error, "HNY_TEST_KEY_ENV"));
    free (error);
}

/* The sample hny_config_describe prints names every option and type, and
   loads as a configuration of its own. */
static void
s_test_describe (void)
{
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream (&text, &size);
    hny_config_describe (f);
    fclose (f);
    const char *keys [] = { "\n[daemon]\n", "\n[worker]\n", "\n;[backend.NAME]\n",
        "\nstate =\n", "\nfront =\n", "\nback =\n", "\nworkers = -1\n",
        "\nheartbeat_ms = 1000\n", "\nlease_ms = 60000\n", "\nmax_article_bytes = 8388608\n",
        "\nmax_jobs_in_flight = 64\n", "\nlog_level = info\n", "\ndefault_backend =\n",
        "\ncredit = 8\n", "\nbackends =\n", "\n;type =\n", "\n;url =\n", "\n;key_file =\n",
        "\n;key_env =\n", "\n;model =\n", "\n;concurrency =\n", "\n;rate = 0\n",
        "\n;chars_per_minute = 0\n", "\n;max_texts =\n", "\n;max_bytes =\n",
        "\n;timeout_ms =\n", "\n;retries = 5\n", "\n;glossary =\n", "\n;fallback =\n",
        "https://api.deepl.com" };
    for (size_t i = 0; i < sizeof keys / sizeof keys [0]; i++) {
        if (!strstr (text, keys [i]))
            fprintf (stderr, "  describe lacks %s\n", keys [i]);
        CHECK (strstr (text, keys [i]) != NULL);
    }
    /* Every type, with its defaults and limits as the table has them. */
    for (size_t i = 0; i < hny_backends_count (); i++) {
        const hny_backend_traits_t *t = hny_backends_at (i);
        char row [256];
        snprintf (row, sizeof row, "\n;   %-15s %s\n", t->name, t->title);
        CHECK (strstr (text, row) != NULL);
        char texts [32], bytes [48];
        snprintf (texts, sizeof texts, "%d / %d", t->max_texts, t->max_texts_limit);
        snprintf (bytes, sizeof bytes, "%lld / %lld", (long long) t->max_bytes,
                  (long long) t->max_bytes_limit);
        snprintf (row, sizeof row, "\n;   %-15s %-12s %-19s %-12d %d\n", t->name, texts, bytes,
                  t->concurrency, t->timeout_ms);
        if (!strstr (text, row))
            fprintf (stderr, "  describe lacks%s", row);
        CHECK (strstr (text, row) != NULL);
    }
    /* Every comment line fits 78 columns but for a long word (a URL). */
    for (const char *line = text; *line;) {
        size_t len = strcspn (line, "\n");
        if (len > 78 && line [0] == ';' && !memchr (line, '/', len))
            fprintf (stderr, "  line too long: %.*s\n", (int) len, line);
        CHECK (len <= 78 || line [0] != ';' || memchr (line, '/', len));
        line += len + (line [len] == '\n');
    }
    const char *path = s_write ("described.conf", text, 0644);
    char *error = NULL;
    hny_config_t *config = hny_config_load (path, &error);
    if (!config)
        fprintf (stderr, "  %s\n", error);
    CHECK (config != NULL);
    free (error);
    hny_config_destroy (&config);
    free (text);
}

static void
s_test_sample (const char *path)
{
    char *error = NULL;
    hny_config_t *config = hny_config_load (path, &error);
    if (!config)
        fprintf (stderr, "  %s\n", error);
    CHECK (config != NULL);
    if (config) {
        const hny_profile_t *p = hny_config_profile_find (config, "apertium");
        CHECK (p && s_streq (p->type, "apertium") && s_streq (p->url, "http://127.0.0.1:2737"));
        CHECK (hny_config_profile_find (config, "pseudo") != NULL);
        /* The sample states the defaults. */
        hny_daemon_conf_t *d = hny_config_daemon (config);
        CHECK (d->heartbeat_ms == 1000 && d->lease_ms == 60000 && d->worker_credit == 8);
    }
    free (error);
    hny_config_destroy (&config);
}

int
main (int argc, char **argv)
{
    hny_log_init ("test_config", HNY_LOG_ERROR);
    if (!mkdtemp (s_dir)) {
        perror ("mkdtemp");
        return 2;
    }
    s_test_defaults ();
    s_test_full ();
    s_test_errors ();
    s_test_keys ();
    s_test_describe ();
    if (argc > 1)
        s_test_sample (argv [1]);
    else {
        fprintf (stderr, "usage: test_config PATH-OF-packaging/honyaku.conf\n");
        s_failures++;
    }
    /* Clean up the temporary directory. */
    const char *names [] = { "full.conf", "pseudo.conf", "empty.conf", "bare.conf", "bad.conf", "key",
                             "described.conf" };
    for (size_t i = 0; i < sizeof names / sizeof names [0]; i++) {
        snprintf (s_path, sizeof s_path, "%s/%s", s_dir, names [i]);
        unlink (s_path);
    }
    rmdir (s_dir);
    return s_check_done ("test_config");
}
