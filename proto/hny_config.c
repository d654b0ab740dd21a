/*  hny_config.c: the INI configuration of honyakud and honyaku-worker
    (include/honyaku/config.h).

    One table (s_options) names every option with its section, type,
    default, limits and description; it drives parsing, the defaults and
    hny_config_describe, which prints the commented sample configuration
    (packaging/honyaku.conf is its output), so that none of them can drift
    apart. Backend profiles take some defaults from their type's row of
    the backend table (honyaku/backends.h) once the whole file is read,
    because "type" may come after the keys it governs.

    libinih does the lexing; we feed it through our own line reader so that
    every error, including one found in a section header or after the file
    was read, names FILE:LINE. */

#include "honyaku/config.h"
#include "honyaku/metrics.h"
#include "honyaku/proto.h"
#include "honyaku/record.h"
#include "honyaku/util.h"

#include <assert.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define S_NAME_MAX      64          /* bytes of a profile name */
#define S_KEY_FILE_MAX  4096        /* bytes of an API key file */
#define S_PSEUDO        "pseudo"

typedef enum { S_DAEMON, S_WORKER, S_BACKEND } s_section_t;
typedef enum { S_T_STR, S_T_INT, S_T_INT64, S_T_DOUBLE, S_T_BOOL } s_type_t;
typedef enum {
    S_CHECK_NONE, S_CHECK_LOG_LEVEL, S_CHECK_TYPE, S_CHECK_NAMES, S_CHECK_ADDRESS
} s_check_t;
/* Which field of the profile's backend type an unset option takes. */
typedef enum {
    S_PT_NONE, S_PT_URL, S_PT_MAX_TEXTS, S_PT_MAX_BYTES, S_PT_CONCURRENCY, S_PT_TIMEOUT
} s_per_type_t;

typedef struct {
    s_section_t section;
    const char *key;
    s_type_t type;
    size_t offset;              /* into hny_daemon_conf_t or hny_profile_t */
    const char *dflt;           /* as written in the file; NULL: unset or per type */
    double min, max;            /* numbers only */
    s_check_t check;
    s_per_type_t per_type;      /* the default comes from the backend table */
    const char *description;    /* sentences, for the sample config */
    const char *before;         /* a paragraph on the options that follow, or NULL */
} s_option_t;

#define D(field) offsetof (hny_daemon_conf_t, field)
#define P(field) offsetof (hny_profile_t, field)
#define S_BIG 9.0e15            /* below 2^53: exact as a double */

static const s_option_t s_options [] = {
    { S_DAEMON, "state", S_T_STR, D (state), NULL, 0, 0, S_CHECK_NONE, S_PT_NONE,
      "State directory (database; ipc sockets unless under systemd). Unset: $STATE_DIRECTORY "
      "(set by systemd's StateDirectory=), else ./honyaku-state.", NULL },
    { S_DAEMON, "front", S_T_STR, D (front), NULL, 0, 0, S_CHECK_NONE, S_PT_NONE,
      "Client endpoint. Unset: ipc://RUN/front, RUN being $RUNTIME_DIRECTORY (set by systemd's "
      "RuntimeDirectory=: /run/honyaku, where the honyaku command looks) or else STATE.", NULL },
    { S_DAEMON, "back", S_T_STR, D (back), NULL, 0, 0, S_CHECK_NONE, S_PT_NONE,
      "Worker endpoint. Unset: ipc://RUN/back.", NULL },
    { S_DAEMON, "socket_group", S_T_STR, D (socket_group), NULL, 0, 0, S_CHECK_NONE, S_PT_NONE,
      "Group whose members may use honyakud through its ipc:// client socket: the front "
      "socket file becomes 0660 and that group's (the back socket stays 0600: workers see "
      "every article). Unset: 0600, honyakud's user alone. A group that does not exist, or "
      "that honyakud's user is not in, stops honyakud at start. The directory of the socket "
      "must let the group through (the unit's RuntimeDirectoryMode=0750 does); honyakud "
      "warns when it does not. The packaged file sets honyaku, the group the package creates: "
      "`adduser USER honyaku` lets USER use the service.", NULL },
    { S_DAEMON, "workers", S_T_INT, D (workers), "-1", -1, 1024, S_CHECK_NONE, S_PT_NONE,
      "Local honyaku-worker processes to supervise; -1 = number of cores, 0 = none.", NULL },
    { S_DAEMON, "heartbeat_ms", S_T_INT, D (heartbeat_ms), "1000", 10, 600000, S_CHECK_NONE,
      S_PT_NONE, "Heartbeat interval in ms; a peer silent for 3 intervals is dead.", NULL },
    { S_DAEMON, "lease_ms", S_T_INT, D (lease_ms), "60000", 100, 86400000, S_CHECK_NONE,
      S_PT_NONE, "How long a worker may hold a task before honyakud re-queues it (ms).", NULL },
    { S_DAEMON, "max_article_bytes", S_T_INT64, D (max_article_bytes), "8388608",
      1, HNY_PROTO_BODY_MAX, S_CHECK_NONE, S_PT_NONE,
      "Largest SUBMIT body accepted, in bytes.", NULL },
    { S_DAEMON, "max_jobs_in_flight", S_T_INT, D (max_jobs_in_flight), "64", 1, 100000,
      S_CHECK_NONE, S_PT_NONE, "Admission (PROTOCOL.md section 8): jobs being prepared or "
      "translated at once; the other accepted jobs wait, queued.", NULL },
    { S_DAEMON, "max_jobs_queued", S_T_INT, D (max_jobs_queued), "10000", 1, 10000000,
      S_CHECK_NONE, S_PT_NONE, "Unfinished jobs (queued, preparing or translating) honyakud "
      "accepts; past it a SUBMIT of a new key is answered 303 (retry later).", NULL },
    { S_DAEMON, "max_store_bytes", S_T_INT64, D (max_store_bytes), "0", 0, S_BIG,
      S_CHECK_NONE, S_PT_NONE, "Cap on the store's size in bytes; 0 = none. Past it (or when "
      "the disk is full) new SUBMITs get 507 until there is room again (PROTOCOL.md 14).", NULL },
    { S_DAEMON, "log_level", S_T_STR, D (log_level), "info", 0, 0, S_CHECK_LOG_LEVEL, S_PT_NONE,
      "error, warn, info or debug.", NULL },
    { S_DAEMON, "default_backend", S_T_STR, D (default_backend), NULL, 0, 0, S_CHECK_NONE,
      S_PT_NONE, "Profile used when SUBMIT names none. Unset: the first [backend.NAME] in this "
      "file, else the built-in \"pseudo\".", NULL },
    { S_DAEMON, "curve_key_file", S_T_STR, D (curve_key_file), NULL, 0, 0, S_CHECK_NONE,
      S_PT_NONE, "honyakud's CURVE key pair (`honyaku keygen --out /etc/honyaku/server`; give "
      "clients and workers server.pub).",
      "Security of tcp:// endpoints (PROTOCOL.md 10.1). ipc:// endpoints need none of this: "
      "their socket files are 0600 (socket_group: the client one 0660). A tcp:// front or back is refused at start unless it uses "
      "CURVE: honyakud's key pair and the allow-list of that side, a file of public keys (Z85, "
      "one per line, an optional label after it, '#' comments). SIGHUP reloads the "
      "allow-lists." },
    { S_DAEMON, "allowed_clients", S_T_STR, D (allowed_clients), NULL, 0, 0, S_CHECK_NONE,
      S_PT_NONE, "Client public keys admitted on a tcp:// front.", NULL },
    { S_DAEMON, "allowed_workers", S_T_STR, D (allowed_workers), NULL, 0, 0, S_CHECK_NONE,
      S_PT_NONE, "Worker public keys admitted on a tcp:// back.", NULL },
    { S_DAEMON, "insecure_tcp_loopback", S_T_BOOL, D (insecure_tcp_loopback), "false", 0, 1,
      S_CHECK_NONE, S_PT_NONE, "true: allow plain TCP on 127.0.0.1, [::1] or localhost "
      "(logged as a warning).", NULL },
    { S_DAEMON, "metrics", S_T_STR, D (metrics), NULL, 0, 0, S_CHECK_ADDRESS, S_PT_NONE,
      "PORT (on 127.0.0.1), HOST:PORT or [IPV6]:PORT, e.g. 127.0.0.1:9469. Unset: no endpoint. "
      "A port already taken stops honyakud at start.",
      "Prometheus: with `metrics` set, honyakud serves GET /metrics over HTTP (the text "
      "exposition format; the same text as `honyaku stats --format prometheus`). No "
      "authentication: keep it on loopback, or give an address only a trusted network reaches." },
    { S_WORKER, "credit", S_T_INT, D (worker_credit), "8", 1, 10000, S_CHECK_NONE, S_PT_NONE,
      "Tasks one worker takes at once.", NULL },
    { S_WORKER, "backends", S_T_STR, D (worker_backends), NULL, 0, 0, S_CHECK_NAMES, S_PT_NONE,
      "Comma list of the profiles a worker serves. Unset: all profiles.", NULL },
    { S_WORKER, "server_key", S_T_STR, D (worker_server_key), NULL, 0, 0, S_CHECK_NONE,
      S_PT_NONE, "honyakud's public key (Z85, or a file holding it, e.g. server.pub).",
      "CURVE towards a tcp:// back endpoint:" },
    { S_WORKER, "key_file", S_T_STR, D (worker_key_file), NULL, 0, 0, S_CHECK_NONE, S_PT_NONE,
      "The worker's own key pair (honyaku keygen's PREFIX.key).", NULL },
    /* The type list of "type" is the backend table's, added when printed. */
    { S_BACKEND, "type", S_T_STR, P (type), NULL, 0, 0, S_CHECK_TYPE, S_PT_NONE,
      "Unset: NAME, when NAME is a type.", NULL },
    { S_BACKEND, "url", S_T_STR, P (url), NULL, 0, 0, S_CHECK_NONE, S_PT_URL,
      "Base URL of the API.", NULL },
    { S_BACKEND, "key_file", S_T_STR, P (key_file), NULL, 0, 0, S_CHECK_NONE, S_PT_NONE,
      "File whose first line is the API key (chmod 600).", NULL },
    { S_BACKEND, "key_env", S_T_STR, P (key_env), NULL, 0, 0, S_CHECK_NONE, S_PT_NONE,
      "Environment variable holding the API key (key_file wins).", NULL },
    { S_BACKEND, "model", S_T_STR, P (model), NULL, 0, 0, S_CHECK_NONE, S_PT_NONE,
      "openai: model name.", NULL },
    { S_BACKEND, "concurrency", S_T_INT, P (concurrency), NULL, 1, 1024, S_CHECK_NONE,
      S_PT_CONCURRENCY, "Requests in flight across all workers: honyakud leases at most this "
      "many translate tasks of the profile at once (a task is one request's worth of "
      "segments).", NULL },
    { S_BACKEND, "rate", S_T_DOUBLE, P (rate), "0", 0, 1e6, S_CHECK_NONE, S_PT_NONE,
      "Requests per second across workers; 0 = unlimited. honyakud's token bucket holds one "
      "second's worth.", NULL },
    { S_BACKEND, "chars_per_minute", S_T_INT64, P (chars_per_minute), "0", 0, S_BIG,
      S_CHECK_NONE, S_PT_NONE, "Characters (code points) per minute across workers; "
      "0 = unlimited. A task never holds more than this.", NULL },
    { S_BACKEND, "max_texts", S_T_INT, P (max_texts), NULL, 1, HNY_BACKENDS_MAX_TEXTS,
      S_CHECK_NONE, S_PT_MAX_TEXTS, "Texts per request.", NULL },
    { S_BACKEND, "max_bytes", S_T_INT64, P (max_bytes), NULL, 1, HNY_PROTO_BODY_MAX,
      S_CHECK_NONE, S_PT_MAX_BYTES, "Request body bytes.", NULL },
    { S_BACKEND, "timeout_ms", S_T_INT, P (timeout_ms), NULL, 1, 3600000, S_CHECK_NONE,
      S_PT_TIMEOUT, "Per HTTP request.", NULL },
    { S_BACKEND, "retries", S_T_INT, P (retries), "5", 1, 100, S_CHECK_NONE, S_PT_NONE,
      "Tries per segment before a transient failure is final.", NULL },
    { S_BACKEND, "retry_base_ms", S_T_INT, P (retry_base_ms), "1000", 1, 600000, S_CHECK_NONE,
      S_PT_NONE, "Delay before the first retry: then x1.6 per try, +-23 % jitter, at most "
      "two minutes, at least the service's Retry-After; also the first pause before a paused "
      "profile is probed (doubling, at most 60 x this). Tests lower it.", NULL },
    { S_BACKEND, "glossary", S_T_STR, P (glossary), NULL, 0, 0, S_CHECK_NONE, S_PT_NONE,
      "TSV file: source term <TAB> target term.", NULL },
    { S_BACKEND, "fallback", S_T_STR, P (fallback), NULL, 0, 0, S_CHECK_NONE, S_PT_NONE,
      "Profile to use while this one is paused (quota gone, bad key): pending segments of "
      "its jobs go there, and the record names that profile on each such segment.", NULL },
    { S_BACKEND, "formality", S_T_STR, P (formality), NULL, 0, 0, S_CHECK_NONE, S_PT_NONE,
      "deepl: default, more, less, prefer_more or prefer_less (prefer_*: also for targets "
      "without formality).", NULL },
    { S_BACKEND, "model_type", S_T_STR, P (model_type), NULL, 0, 0, S_CHECK_NONE, S_PT_NONE,
      "deepl: quality_optimized, prefer_quality_optimized or latency_optimized.", NULL },
};
#define S_OPTION_COUNT (sizeof s_options / sizeof s_options [0])
_Static_assert (S_OPTION_COUNT <= 64, "the set bits of an option are a uint64_t");

struct _hny_config_t {
    char *path;                 /* NULL for the built-in configuration */
    hny_daemon_conf_t daemon;
    hny_profile_t *profiles;    /* in file order; built-in pseudo last */
    size_t count, capacity;
    uint64_t *set;              /* per profile: bit i = s_options[i] given */
    int *line;                  /* per profile: line of its first section header */
};

/* State of one load. */
typedef struct {
    hny_config_t *config;
    FILE *file;
    const char *path;
    int lineno;                 /* line being read */
    bool at_line_start;
    char *error;                /* the first error, "FILE:LINE: ..." */
    s_section_t section;
    bool section_ok;            /* false after an unknown section: its keys are skipped */
    size_t profile;             /* current [backend.NAME] */
    uint64_t daemon_set;        /* bit i = s_options[i] given in [daemon]/[worker] */
    int default_backend_line;
    int worker_backends_line;
} s_load_t;

static void
s_fail (s_load_t *self, int line, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));

static void
s_fail (s_load_t *self, int line, const char *fmt, ...)
{
    if (self->error)
        return;                 /* keep the first: later ones often follow from it */
    char buffer [512];
    va_list args;
    va_start (args, fmt);
    vsnprintf (buffer, sizeof buffer, fmt, args);
    va_end (args);
    if (line > 0)
        self->error = hny_sprintf ("%s:%d: %s", self->path, line, buffer);
    else
        self->error = hny_sprintf ("%s: %s", self->path, buffer);
}

static const char *
s_section_name (s_section_t section)
{
    return section == S_DAEMON ? "daemon" : section == S_WORKER ? "worker" : "backend.NAME";
}

/* Store a value (already validated text) into a struct field. */
static int
s_store (const s_option_t *option, void *base, const char *value, char *why, size_t why_size)
{
    void *field = (char *) base + option->offset;
    char *end = NULL;
    switch (option->type) {
        case S_T_STR: {
            char **string = field;
            free (*string);
            *string = value && *value ? hny_strdup (value) : NULL;
            return 0;
        }
        case S_T_INT:
        case S_T_INT64: {
            errno = 0;
            long long n = strtoll (value, &end, 10);
            if (!*value || *end || errno) {
                snprintf (why, why_size, "'%s' is not an integer", value);
                return -1;
            }
            if ((double) n < option->min || (double) n > option->max) {
                snprintf (why, why_size, "%lld is out of range [%.0f, %.0f]",
                          n, option->min, option->max);
                return -1;
            }
            if (option->type == S_T_INT)
                *(int *) field = (int) n;
            else
                *(int64_t *) field = (int64_t) n;
            return 0;
        }
        case S_T_DOUBLE: {
            errno = 0;
            double d = strtod (value, &end);
            if (!*value || *end || errno || !isfinite (d)) {
                snprintf (why, why_size, "'%s' is not a number", value);
                return -1;
            }
            if (d < option->min || d > option->max) {
                snprintf (why, why_size, "%g is out of range [%g, %g]", d, option->min, option->max);
                return -1;
            }
            *(double *) field = d;
            return 0;
        }
        case S_T_BOOL: {
            static const char *const yes [] = { "true", "yes", "on", "1" };
            static const char *const no [] = { "false", "no", "off", "0" };
            for (size_t i = 0; i < 4; i++) {
                if (strcmp (value, yes [i]) == 0 || strcmp (value, no [i]) == 0) {
                    *(int *) field = strcmp (value, yes [i]) == 0;
                    return 0;
                }
            }
            snprintf (why, why_size, "'%s' is not true or false", value);
            return -1;
        }
    }
    assert (false);
    return -1;
}

/* Set the table defaults of one section into base. */
static void
s_apply_defaults (s_section_t section, void *base)
{
    for (size_t i = 0; i < S_OPTION_COUNT; i++) {
        const s_option_t *option = &s_options [i];
        bool same = option->section == section
                 || (section == S_DAEMON && option->section == S_WORKER);
        if (!same || !option->dflt)
            continue;
        char why [128];
        int rc = s_store (option, base, option->dflt, why, sizeof why);
        assert (rc == 0);       /* the table's own defaults are valid */
        (void) rc;
    }
}

static size_t
s_profile_index (const hny_config_t *self, const char *name)
{
    for (size_t i = 0; i < self->count; i++)
        if (strcmp (self->profiles [i].name, name) == 0)
            return i;
    return SIZE_MAX;
}

static size_t
s_profile_add (hny_config_t *self, const char *name, int line)
{
    if (self->count == self->capacity) {
        self->capacity = self->capacity ? self->capacity * 2 : 8;
        self->profiles = hny_realloc (self->profiles, self->capacity * sizeof *self->profiles);
        self->set = hny_realloc (self->set, self->capacity * sizeof *self->set);
        self->line = hny_realloc (self->line, self->capacity * sizeof *self->line);
    }
    size_t index = self->count++;
    hny_profile_t *profile = &self->profiles [index];
    memset (profile, 0, sizeof *profile);
    profile->name = hny_strdup (name);
    s_apply_defaults (S_BACKEND, profile);
    self->set [index] = 0;
    self->line [index] = line;
    return index;
}

/* Fill in what the type decides: the type from the name when unset, then
   the type's defaults for the options the file left unset. 0, or -1 when
   the type is unknown. */
static int
s_profile_finish (hny_config_t *self, size_t index)
{
    hny_profile_t *profile = &self->profiles [index];
    if (!profile->type && hny_backends_find (profile->name))
        profile->type = hny_strdup (profile->name);
    const hny_backend_traits_t *type = hny_backends_find (profile->type);
    if (!type)
        return -1;
    uint64_t set = self->set [index];
    for (size_t i = 0; i < S_OPTION_COUNT; i++) {
        if (s_options [i].section != S_BACKEND || (set & (UINT64_C (1) << i)))
            continue;
        switch (s_options [i].per_type) {
            case S_PT_NONE:        break;
            case S_PT_URL:
                free (profile->url);
                profile->url = type->url ? hny_strdup (type->url) : NULL;
                break;
            case S_PT_MAX_TEXTS:   profile->max_texts = type->max_texts; break;
            case S_PT_MAX_BYTES:   profile->max_bytes = type->max_bytes; break;
            case S_PT_CONCURRENCY: profile->concurrency = type->concurrency; break;
            case S_PT_TIMEOUT:     profile->timeout_ms = type->timeout_ms; break;
        }
    }
    return 0;
}

/* The type's limits on what a profile may set; 0, or -1 with why. */
static int
s_profile_limits (const hny_profile_t *profile, char *why, size_t why_size)
{
    const hny_backend_traits_t *type = hny_backends_find (profile->type);
    assert (type);              /* s_profile_finish found it */
    if (profile->max_texts > type->max_texts_limit) {
        snprintf (why, why_size, "max_texts %d is more than type %s takes (%d)",
                  profile->max_texts, type->name, type->max_texts_limit);
        return -1;
    }
    if (profile->max_bytes > type->max_bytes_limit) {
        snprintf (why, why_size, "max_bytes %lld is more than type %s takes (%lld)",
                  (long long) profile->max_bytes, type->name, (long long) type->max_bytes_limit);
        return -1;
    }
    return 0;
}

static bool
s_valid_name (const char *name)
{
    size_t len = strlen (name);
    if (len == 0 || len > S_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = name [i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
              || c == '_' || c == '-'))
            return false;
    }
    return true;
}

/* A section header line "[...]" seen by the reader. */
static void
s_on_section (s_load_t *self, const char *name)
{
    self->section_ok = true;
    if (strcmp (name, "daemon") == 0)
        self->section = S_DAEMON;
    else if (strcmp (name, "worker") == 0)
        self->section = S_WORKER;
    else if (strncmp (name, "backend.", 8) == 0) {
        const char *profile = name + 8;
        if (!s_valid_name (profile)) {
            s_fail (self, self->lineno, "[%s]: a profile name is 1 to %d letters, digits, "
                    "'_' or '-'", name, S_NAME_MAX);
            self->section_ok = false;
            return;
        }
        if (strcmp (profile, HNY_BACKEND_ALIGNED) == 0) {
            /* Records of that backend are human translations (align jobs). */
            s_fail (self, self->lineno, "[%s]: the profile name '%s' is reserved for the records "
                    "of align jobs", name, HNY_BACKEND_ALIGNED);
            self->section_ok = false;
            return;
        }
        self->section = S_BACKEND;
        self->profile = s_profile_index (self->config, profile);
        if (self->profile == SIZE_MAX)
            self->profile = s_profile_add (self->config, profile, self->lineno);
    }
    else {
        s_fail (self, self->lineno, "unknown section [%s] (known: daemon, worker, backend.NAME)", name);
        self->section_ok = false;
    }
}

/* fgets for inih that counts lines and sees section headers first. */
static char *
s_reader (char *str, int num, void *stream)
{
    s_load_t *self = stream;
    if (!fgets (str, num, self->file))
        return NULL;
    bool start = self->at_line_start;
    size_t len = strlen (str);
    self->at_line_start = len > 0 && str [len - 1] == '\n';
    if (!start)
        return str;             /* the rest of a long line: already reported */
    self->lineno++;
    if (!self->at_line_start && !feof (self->file)) {
        s_fail (self, self->lineno, "line longer than %d bytes", num - 3);
        return str;
    }
    /* Section headers: trimmed "[name]" possibly followed by a comment. */
    const char *p = str;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '[') {
        const char *close = strchr (p, ']');
        if (close) {
            char name [S_NAME_MAX + 16];
            size_t n = (size_t) (close - p - 1);
            if (n >= sizeof name) {
                s_fail (self, self->lineno, "section name too long");
                self->section_ok = false;
            }
            else {
                memcpy (name, p + 1, n);
                name [n] = 0;
                s_on_section (self, name);
            }
        }
    }
    return str;
}

/* Check a comma list of profile names; names are checked again at the end. */
static int
s_check_names (const char *value, char *why, size_t why_size)
{
    char *copy = hny_strdup (value);
    int rc = 0;
    char *save = NULL;
    for (char *item = strtok_r (copy, ",", &save); item; item = strtok_r (NULL, ",", &save)) {
        while (*item == ' ' || *item == '\t')
            item++;
        char *end = item + strlen (item);
        while (end > item && (end [-1] == ' ' || end [-1] == '\t'))
            *--end = 0;
        if (!s_valid_name (item)) {
            snprintf (why, why_size, "'%s' is not a profile name", item);
            rc = -1;
            break;
        }
    }
    free (copy);
    return rc;
}

static int
s_handler (void *user, const char *section, const char *key, const char *value)
{
    s_load_t *self = user;
    if (!*section) {
        s_fail (self, self->lineno, "'%s' outside any section", key);
        return 0;
    }
    if (!self->section_ok)
        return 1;               /* the section header was reported already */
    size_t index = SIZE_MAX;
    for (size_t i = 0; i < S_OPTION_COUNT; i++) {
        if (s_options [i].section == self->section && strcmp (s_options [i].key, key) == 0) {
            index = i;
            break;
        }
    }
    if (index == SIZE_MAX) {
        s_fail (self, self->lineno, "unknown key '%s' in [%s]", key, section);
        return 0;
    }
    const s_option_t *option = &s_options [index];
    uint64_t bit = UINT64_C (1) << index;
    uint64_t *set = self->section == S_BACKEND ? &self->config->set [self->profile]
                                               : &self->daemon_set;
    if (*set & bit) {
        s_fail (self, self->lineno, "'%s' set twice in [%s] (or continued on an indented line)",
                key, section);
        return 0;
    }
    *set |= bit;
    char why [256] = "";
    int rc = 0;
    if (option->check == S_CHECK_LOG_LEVEL && hny_log_level_parse (value) < 0) {
        snprintf (why, sizeof why, "'%s' is not error, warn, info or debug", value);
        rc = -1;
    }
    else if (option->check == S_CHECK_TYPE && !hny_backends_find (value)) {
        char *names = hny_backends_names ();
        snprintf (why, sizeof why, "unknown backend type '%s' (known: %s)", value, names);
        free (names);
        rc = -1;
    }
    else if (option->check == S_CHECK_NAMES && *value)
        rc = s_check_names (value, why, sizeof why);
    else if (option->check == S_CHECK_ADDRESS && *value) {
        char host [64], *error = NULL;
        int port;
        rc = hny_metrics_addr_parse (value, host, sizeof host, &port, &error);
        if (rc)
            snprintf (why, sizeof why, "%s", error);
        free (error);
    }
    if (rc == 0) {
        void *base = self->section == S_BACKEND ? (void *) &self->config->profiles [self->profile]
                                                : (void *) &self->config->daemon;
        rc = s_store (option, base, value, why, sizeof why);
    }
    if (rc) {
        s_fail (self, self->lineno, "[%s] %s: %s", section, key, why);
        return 0;
    }
    if (strcmp (key, "default_backend") == 0)
        self->default_backend_line = self->lineno;
    else if (self->section == S_WORKER && strcmp (key, "backends") == 0)
        self->worker_backends_line = self->lineno;
    return 1;
}

/* Checks that need the whole file: types, references between profiles. */
static void
s_validate (s_load_t *self)
{
    hny_config_t *config = self->config;
    for (size_t i = 0; i < config->count && !self->error; i++) {
        hny_profile_t *profile = &config->profiles [i];
        char why [256];
        if (s_profile_finish (config, i))
            s_fail (self, config->line [i], "[backend.%s] needs a type", profile->name);
        else if (s_profile_limits (profile, why, sizeof why))
            s_fail (self, config->line [i], "[backend.%s] %s", profile->name, why);
        else if (strcmp (profile->name, S_PSEUDO) == 0 && strcmp (profile->type, S_PSEUDO) != 0)
            s_fail (self, config->line [i], "[backend.pseudo] must be of type pseudo");
    }
    for (size_t i = 0; i < config->count && !self->error; i++) {
        const char *fallback = config->profiles [i].fallback;
        if (!fallback)
            continue;
        if (strcmp (fallback, config->profiles [i].name) == 0)
            s_fail (self, config->line [i], "[backend.%s] falls back on itself", fallback);
        else if (s_profile_index (config, fallback) == SIZE_MAX && strcmp (fallback, S_PSEUDO) != 0)
            s_fail (self, config->line [i], "[backend.%s] fallback: no profile '%s'",
                    config->profiles [i].name, fallback);
    }
    const char *dflt = config->daemon.default_backend;
    if (!self->error && dflt && s_profile_index (config, dflt) == SIZE_MAX
    &&  strcmp (dflt, S_PSEUDO) != 0)
        s_fail (self, self->default_backend_line, "[daemon] default_backend: no profile '%s'", dflt);
    const char *names = config->daemon.worker_backends;
    if (!self->error && names) {
        char *copy = hny_strdup (names);
        char *save = NULL;
        for (char *item = strtok_r (copy, ", \t", &save); item && !self->error;
             item = strtok_r (NULL, ", \t", &save))
            if (s_profile_index (config, item) == SIZE_MAX && strcmp (item, S_PSEUDO) != 0)
                s_fail (self, self->worker_backends_line, "[worker] backends: no profile '%s'", item);
        free (copy);
    }
}

static hny_config_t *
s_config_new (void)
{
    hny_config_t *self = hny_calloc (1, sizeof *self);
    s_apply_defaults (S_DAEMON, &self->daemon);
    return self;
}

static void
s_add_builtin_pseudo (hny_config_t *self)
{
    if (s_profile_index (self, S_PSEUDO) != SIZE_MAX)
        return;
    size_t index = s_profile_add (self, S_PSEUDO, 0);
    int rc = s_profile_finish (self, index);
    assert (rc == 0);
    (void) rc;
}

hny_config_t *
hny_config_new_default (void)
{
    hny_config_t *self = s_config_new ();
    s_add_builtin_pseudo (self);
    return self;
}

hny_config_t *
hny_config_load (const char *path, char **error)
{
    assert (path && error);
    *error = NULL;
    hny_config_t *self = s_config_new ();
    self->path = hny_strdup (path);
    s_load_t load = { .config = self, .path = path, .at_line_start = true,
                      .section_ok = true, .profile = SIZE_MAX };
    load.file = fopen (path, "r");
    if (!load.file) {
        *error = hny_sprintf ("%s: cannot open: %s", path, strerror (errno));
        hny_config_destroy (&self);
        return NULL;
    }
    struct stat st;
    if (fstat (fileno (load.file), &st) == 0 && S_ISDIR (st.st_mode))
        s_fail (&load, 0, "is a directory");
    int rc = load.error ? 0 : ini_parse_stream (s_reader, &load, s_handler, &load);
    bool read_error = ferror (load.file);
    fclose (load.file);
    if (read_error)
        s_fail (&load, 0, "read error");
    if (rc > 0)
        s_fail (&load, rc, "syntax error: expected [section], key = value or a comment");
    else if (rc < 0)
        s_fail (&load, 0, "cannot parse (inih error %d)", rc);
    if (!load.error)
        s_validate (&load);
    if (load.error) {
        *error = load.error;
        hny_config_destroy (&self);
        return NULL;
    }
    s_add_builtin_pseudo (self);
    return self;
}

static void
s_free_strings (const s_option_t *table, size_t count, s_section_t section, void *base)
{
    for (size_t i = 0; i < count; i++) {
        bool same = table [i].section == section
                 || (section == S_DAEMON && table [i].section == S_WORKER);
        if (same && table [i].type == S_T_STR)
            hny_free ((char **) ((char *) base + table [i].offset));
    }
}

void
hny_config_destroy (hny_config_t **self_p)
{
    assert (self_p);
    hny_config_t *self = *self_p;
    if (!self)
        return;
    s_free_strings (s_options, S_OPTION_COUNT, S_DAEMON, &self->daemon);
    for (size_t i = 0; i < self->count; i++) {
        s_free_strings (s_options, S_OPTION_COUNT, S_BACKEND, &self->profiles [i]);
        free (self->profiles [i].name);
    }
    free (self->profiles);
    free (self->set);
    free (self->line);
    free (self->path);
    free (self);
    *self_p = NULL;
}

hny_daemon_conf_t *
hny_config_daemon (hny_config_t *self)
{
    assert (self);
    return &self->daemon;
}

size_t
hny_config_profile_count (const hny_config_t *self)
{
    assert (self);
    return self->count;
}

const hny_profile_t *
hny_config_profile (const hny_config_t *self, size_t index)
{
    assert (self);
    return index < self->count ? &self->profiles [index] : NULL;
}

const hny_profile_t *
hny_config_profile_find (const hny_config_t *self, const char *name)
{
    assert (self);
    if (!name)
        return NULL;
    size_t index = s_profile_index (self, name);
    return index == SIZE_MAX ? NULL : &self->profiles [index];
}

const char *
hny_config_path (const hny_config_t *self)
{
    assert (self);
    return self->path;
}

char *
hny_profile_key (const hny_profile_t *profile, char **error)
{
    assert (profile && error);
    *error = NULL;
    if (profile->key_file) {
        char *data = NULL;
        size_t size = 0;
        if (hny_file_read (profile->key_file, S_KEY_FILE_MAX, &data, &size)) {
            if (errno == EFBIG)
                *error = hny_sprintf ("key file %s is larger than %d bytes",
                                      profile->key_file, S_KEY_FILE_MAX);
            else
                *error = hny_sprintf ("cannot read key file %s: %s",
                                      profile->key_file, strerror (errno));
            return NULL;
        }
        struct stat st;
        if (stat (profile->key_file, &st) == 0 && (st.st_mode & 077))
            hny_warn ("key file %s is readable by group or others (chmod 600 it)",
                      profile->key_file);
        /* First line, trimmed. */
        size_t start = 0, end = strcspn (data, "\r\n");
        while (start < end && (data [start] == ' ' || data [start] == '\t'))
            start++;
        while (end > start && (data [end - 1] == ' ' || data [end - 1] == '\t'))
            end--;
        char *key = end > start ? hny_strndup (data + start, end - start) : NULL;
        explicit_bzero (data, size);
        free (data);
        if (!key)
            *error = hny_sprintf ("key file %s: the first line is empty", profile->key_file);
        return key;
    }
    if (profile->key_env) {
        const char *value = getenv (profile->key_env);
        if (!value || !*value) {
            *error = hny_sprintf ("environment variable %s is not set", profile->key_env);
            return NULL;
        }
        return hny_strdup (value);
    }
    return hny_strdup ("");
}

void
hny_secret_free (char **secret_p)
{
    assert (secret_p);
    if (*secret_p) {
        explicit_bzero (*secret_p, strlen (*secret_p));
        free (*secret_p);
        *secret_p = NULL;
    }
}

const hny_backend_traits_t *
hny_profile_traits (const hny_profile_t *profile)
{
    if (!profile)
        return NULL;
    return hny_backends_find (profile->type ? profile->type : profile->name);
}

/* ------------------------------------------------------ the sample config */

#define S_WRAP 78               /* columns of the sample's comment lines */

/* Print text as comment lines of at most S_WRAP columns, each starting with
   "; "; words are never split, so a long one (a URL) may overflow. */
static void
s_comment (FILE *f, const char *text)
{
    size_t col = 0;             /* columns used on the open line; 0: none open */
    for (const char *p = text; *p;) {
        if (*p == ' ') {
            p++;
            continue;
        }
        size_t n = strcspn (p, " ");
        if (col > 0 && col + 1 + n > S_WRAP) {
            fputc ('\n', f);
            col = 0;
        }
        int wrote = fprintf (f, col ? " %.*s" : "; %.*s", (int) n, p);
        col += wrote > 0 ? (size_t) wrote : 0;
        p += n;
    }
    if (col > 0)
        fputc ('\n', f);
}

/* What the packaged file sets where the built-in default is unset: what
   the package creates for the service (its group). Everything else in the
   file is the default. */
static const struct {
    const char *key, *value;
} s_packaged [] = {
    { "socket_group", "honyaku" },
};

/* The value an option's line shows: its packaged value, else its default. */
static const char *
s_sample_value (const s_option_t *option)
{
    for (size_t i = 0; i < sizeof s_packaged / sizeof s_packaged [0]; i++)
        if (option->section == S_DAEMON && strcmp (option->key, s_packaged [i].key) == 0)
            return s_packaged [i].value;
    return option->dflt;
}

/* One option: its description (what the tables add to it) and its line,
   commented out in the [backend.NAME] template. */
static void
s_describe_option (FILE *f, const s_option_t *option)
{
    if (option->before)
        s_comment (f, option->before);
    char *text;
    bool number = option->type != S_T_STR && option->type != S_T_BOOL;
    if (option->check == S_CHECK_TYPE) {
        char *names = hny_backends_names ();
        text = hny_sprintf ("Backend type: %s (below). %s", names, option->description);
        free (names);
    }
    else if (option->per_type == S_PT_MAX_TEXTS || option->per_type == S_PT_MAX_BYTES)
        text = hny_sprintf ("%s Unset: the type's (below); at most the type's limit.",
                            option->description);
    else if (option->per_type != S_PT_NONE)
        text = hny_sprintf ("%s Unset: the type's (below).", option->description);
    else if (number && option->max < S_BIG)
        text = hny_sprintf ("%s Range: %.0f..%.0f.", option->description, option->min,
                            option->max);
    else
        text = hny_strdup (option->description);
    s_comment (f, text);
    free (text);
    const char *value = s_sample_value (option);
    fprintf (f, "%s%s =%s%s\n", option->section == S_BACKEND ? ";" : "", option->key,
             value ? " " : "", value ? value : "");
}

/* The backend table: what each type is, its defaults and limits. */
static void
s_describe_types (FILE *f)
{
    fprintf (f, ";\n");
    s_comment (f, "Backend types. An unset key of a profile takes its type's value below; "
               "max_texts and max_bytes may be set up to the type's limit (after the /): "
               "the API's own, or ours where the server sets its own.");
    fprintf (f, ";\n");
    size_t count = hny_backends_count ();
    for (size_t i = 0; i < count; i++)
        fprintf (f, ";   %-15s %s\n", hny_backends_at (i)->name, hny_backends_at (i)->title);
    fprintf (f, ";\n;   %-15s %-12s %-19s %-12s %s\n", "type", "max_texts", "max_bytes",
             "concurrency", "timeout_ms");
    for (size_t i = 0; i < count; i++) {
        const hny_backend_traits_t *t = hny_backends_at (i);
        char texts [32], bytes [48];
        snprintf (texts, sizeof texts, "%d / %d", t->max_texts, t->max_texts_limit);
        snprintf (bytes, sizeof bytes, "%lld / %lld", (long long) t->max_bytes,
                  (long long) t->max_bytes_limit);
        fprintf (f, ";   %-15s %-12s %-19s %-12d %d\n", t->name, texts, bytes, t->concurrency,
                 t->timeout_ms);
    }
    fprintf (f, ";\n;   %-15s %-8s %-11s %s\n", "type", "context", "billed", "markup");
    for (size_t i = 0; i < count; i++) {
        const hny_backend_traits_t *t = hny_backends_at (i);
        fprintf (f, ";   %-15s %-8s %-11s %s\n", t->name, t->takes_context ? "yes" : "no",
                 hny_billing_name (t->billing), hny_tags_name (t->tags));
    }
    fprintf (f, ";\n;   %-15s %s\n", "type", "url");
    for (size_t i = 0; i < count; i++) {
        const hny_backend_traits_t *t = hny_backends_at (i);
        fprintf (f, ";   %-15s %s\n", t->name,
                 t->url ? t->url : t->local ? "(none: local)" : "(none: the profile sets it)");
    }
    fprintf (f, ";\n");
    s_comment (f, "context: yes when a request carries one context for all its texts (the "
               "article before them), so that a task holds one article's segments. billed: "
               "what the service bills (counted as sent, unless its answers say). markup: "
               "how inline <b>, <i> and <a> reach the service: as XML tags it places itself, "
               "or as numbered placeholders.");
}

/* Example profiles: the first is live, as the packaged file is used as is
   with a local APy. Only what a profile must or may choose, never a
   default again. */
static const char s_examples [] =
    "; Apertium APy: apertium-apy -p 2737 /usr/share/apertium/modes\n"
    "[backend.apertium]\n"
    "type = apertium\n"
    "url = http://127.0.0.1:2737\n"
    "\n"
    "; DeepL (API key in a file readable by the honyaku user only).\n"
    ";[backend.deepl]\n"
    ";type = deepl\n"
    ";key_file = /etc/honyaku/deepl.key\n"
    ";chars_per_minute = 100000\n"
    ";glossary = /etc/honyaku/glossary-en-es.tsv\n"
    ";fallback = apertium\n"
    ";formality = prefer_more\n"
    "\n"
    "; Google Cloud Translation.\n"
    ";[backend.google]\n"
    ";type = google\n"
    ";key_env = GOOGLE_TRANSLATE_KEY\n"
    ";rate = 10\n"
    "\n"
    "; LibreTranslate.\n"
    ";[backend.libretranslate]\n"
    ";type = libretranslate\n"
    ";url = http://127.0.0.1:5000\n"
    ";key_env = LIBRETRANSLATE_KEY\n"
    "\n"
    "; An OpenAI-compatible chat API: here a local llama.cpp server, which\n"
    "; batches internally: keep requests in flight.\n"
    ";[backend.llama]\n"
    ";type = openai\n"
    ";url = http://127.0.0.1:8080\n"
    ";model = local\n"
    ";concurrency = 8\n";

void
hny_config_describe (FILE *f)
{
    fputs ("; honyaku.conf: configuration of honyakud and honyaku-worker.\n;\n", f);
    s_comment (f, "Every option is listed with its default, but socket_group, set for the "
               "packaged service. This file is generated: "
               "`honyakud --help-config` prints it from the option table of "
               "proto/hny_config.c and the backend table of proto/hny_backends.c.");
    fputs (";\n", f);
    s_comment (f, "Lines that start with ';' or '#' are comments; an inline comment needs "
               "\" ;\" before it. Values are taken literally (no quotes). An unknown section or "
               "key, or a value that does not parse, stops the program with FILE:LINE: reason. "
               "An empty value (\"key =\") leaves a text option unset.");
    s_section_t last = S_BACKEND;
    for (size_t i = 0; i < S_OPTION_COUNT; i++) {
        const s_option_t *option = &s_options [i];
        if (i == 0 || option->section != last) {
            if (option->section == S_BACKEND) {
                char *intro = hny_sprintf ("Backend profiles: one [backend.NAME] section each. "
                                           "NAME is 1 to %d letters, digits, '_' or '-'; "
                                           "SUBMIT's \"backend\" field names it. The keys of a "
                                           "profile, with their defaults:", S_NAME_MAX);
                fputc ('\n', f);
                s_comment (f, intro);
                free (intro);
                fputs (";\n;[backend.NAME]\n", f);
            }
            else
                fprintf (f, "\n[%s]\n", s_section_name (option->section));
        }
        last = option->section;
        s_describe_option (f, option);
    }
    s_describe_types (f);
    fputs (";\n", f);
    s_comment (f, "A profile \"pseudo\" of type pseudo always exists; a [backend.pseudo] "
               "section may change its settings.");
    fputc ('\n', f);
    fputs (s_examples, f);
}

/* ------------------------------------------------------------- CURVE keys */

#define S_KEYFILE_MAX   4096        /* bytes of a key file */
#define S_Z85_LEN       40

int
hny_curve_key_valid (const char *text)
{
    static const char alphabet [] = "0123456789abcdefghijklmnopqrstuvwxyz"
                                    "ABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
    if (!text || strlen (text) != S_Z85_LEN)
        return 0;
    for (const char *p = text; *p; p++)
        if (!strchr (alphabet, *p))
            return 0;
    return 1;
}

/* Read a key file (capped) and find the public and/or secret key in it.
   A bare 40-character line counts as a public key. */
static int
s_keyfile_read (const char *path, char public_key [HNY_CURVE_KEY_LEN],
                char secret_key [HNY_CURVE_KEY_LEN], char **error)
{
    char *data = NULL;
    size_t size = 0;
    if (hny_file_read (path, S_KEYFILE_MAX, &data, &size) != 0) {
        *error = hny_sprintf ("%s: %s", path, errno == EFBIG ? "too large for a key file"
                                                             : strerror (errno));
        return -1;
    }
    int rc = 0;
    char *save = NULL;
    for (char *line = strtok_r (data, "\n", &save); line && rc == 0;
         line = strtok_r (NULL, "\n", &save)) {
        char *end = line + strlen (line);
        while (end > line && (end [-1] == '\r' || end [-1] == ' ' || end [-1] == '\t'))
            *--end = 0;
        while (*line == ' ' || *line == '\t')
            line++;
        if (!*line || *line == '#')
            continue;
        char *target = public_key;
        char *eq = strchr (line, '=');
        if (strncmp (line, "public-key", 10) == 0 && eq)
            line = eq + 1;
        else if (strncmp (line, "secret-key", 10) == 0 && eq) {
            line = eq + 1;
            target = secret_key;
        }
        while (*line == ' ' || *line == '\t')
            line++;
        if (!hny_curve_key_valid (line))
            rc = -1;
        else if (target)
            memcpy (target, line, HNY_CURVE_KEY_LEN);
    }
    explicit_bzero (data, size);
    free (data);
    if (rc)
        *error = hny_sprintf ("%s: not a CURVE key file (expected 40-character Z85 keys)", path);
    return rc;
}

int
hny_curve_public_load (const char *text_or_file, char out [HNY_CURVE_KEY_LEN], char **error)
{
    assert (text_or_file && out && error);
    if (hny_curve_key_valid (text_or_file)) {
        memcpy (out, text_or_file, HNY_CURVE_KEY_LEN);
        return 0;
    }
    out [0] = 0;
    char secret [HNY_CURVE_KEY_LEN] = "";
    int rc = s_keyfile_read (text_or_file, out, secret, error);
    explicit_bzero (secret, sizeof secret);
    if (rc == 0 && !out [0]) {
        *error = hny_sprintf ("%s: holds no public key", text_or_file);
        rc = -1;
    }
    return rc;
}

int
hny_curve_pair_load (const char *path, char public_key [HNY_CURVE_KEY_LEN],
                     char secret_key [HNY_CURVE_KEY_LEN], char **error)
{
    assert (path && public_key && secret_key && error);
    public_key [0] = secret_key [0] = 0;
    if (s_keyfile_read (path, public_key, secret_key, error))
        return -1;
    if (!public_key [0] || !secret_key [0]) {
        explicit_bzero (secret_key, HNY_CURVE_KEY_LEN);
        *error = hny_sprintf ("%s: a key pair file needs public-key and secret-key lines"
                              " (honyaku keygen writes one)", path);
        return -1;
    }
    return 0;
}
