/*  ts_state.c: the test server's shared state behind one mutex: counters,
    violations, the fault plan and its dice, the DeepL quota, glossaries. */
#include "ts_state.h"

#include "honyaku/util.h"

#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Violations kept in full; past this only a count of dropped ones. */
#define S_MAX_VIOLATIONS 1000
#define S_REACH_MAX 4096                /* in_flight levels whose first time is kept */
/* Glossaries kept at once. */
#define S_MAX_GLOSSARIES 100

typedef struct {
    uint64_t requests;
    uint64_t texts;
    uint64_t billed;
    uint64_t errors;                  /* answers with status >= 400 */
    uint64_t spoiled;                 /* texts billed in answers a fault spoiled */
} s_api_stats_t;

struct ts_state_t {
    pthread_mutex_t lock;
    ts_faults_t faults;               /* current plan */
    uint64_t draws;                   /* dice thrown since the plan was set */
    uint64_t quota;                   /* DeepL character_limit */
    uint64_t deepl_used;              /* DeepL character_count */
    s_api_stats_t api[TS_API_COUNT];
    uint64_t fault_count[TS_FAULT_COUNT];
    char *violations[S_MAX_VIOLATIONS];
    size_t nviolations;
    uint64_t violations_dropped;
    int in_flight;
    int in_flight_max;
    /* How full the server was kept (bench/perf.py's sweep): the time
       integral of in_flight since the first request entered, when that
       was, when the last one left and when in_flight_max was reached;
       monotonic ns, 0: not yet. */
    int64_t flight_area;              /* requests x ns */
    int64_t flight_mark;              /* the last change of in_flight */
    int64_t flight_first, flight_last, flight_max_at;
    int64_t flight_reach [S_REACH_MAX + 1];   /* when in_flight first reached n (n <= S_REACH_MAX) */
    ts_glossary_t *glossaries[S_MAX_GLOSSARIES];
    size_t nglossaries;
    uint64_t glossary_serial;         /* ids stay unique across resets */
};

static const char *s_api_names[TS_API_COUNT] = { "deepl", "google", "libre", "openai" };

static const char *s_fault_names[TS_FAULT_COUNT] = {
    "none", "429", "456", "500", "503", "reset", "hang", "truncated", "malformed",
    "html", "chatter", "length", "empty", "wrong_count", "huge", "digits"
};

const char *
ts_api_name (ts_api_t api)
{
    return api < TS_API_COUNT ? s_api_names[api] : "?";
}

const char *
ts_fault_name (ts_fault_t fault)
{
    return fault < TS_FAULT_COUNT ? s_fault_names[fault] : "?";
}

int
ts_fault_parse (const char *name)
{
    for (int i = 1; i < TS_FAULT_COUNT; i++)
        if (strcmp (name, s_fault_names[i]) == 0)
            return i;
    return -1;
}

void
ts_faults_default (ts_faults_t *faults)
{
    memset (faults, 0, sizeof *faults);
    faults->seed = 1;
    faults->retry_after = 1;
    faults->huge_bytes = 500ull * 1000 * 1000;
}

int
ts_faults_parse_kinds (ts_faults_t *faults, const char *list)
{
    faults->nkinds = 0;
    char *copy = hny_strdup (list);
    char *save = NULL;
    int rc = 0;
    for (char *tok = strtok_r (copy, ", ", &save); tok; tok = strtok_r (NULL, ", ", &save)) {
        int kind = ts_fault_parse (tok);
        if (kind < 0 || faults->nkinds == TS_FAULT_MAX_KINDS) {
            rc = -1;
            break;
        }
        faults->kinds[faults->nkinds++] = kind;
    }
    free (copy);
    return rc;
}

int
ts_faults_from_json (ts_faults_t *faults, const char *json, size_t len, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *root = json_loadb (json, len, 0, &jerr);
    if (!root || !json_is_object (root)) {
        snprintf (err, errlen, "expected a JSON object: %s", root ? "not an object" : jerr.text);
        json_decref (root);
        return -1;
    }
    ts_faults_default (faults);
    const char *key;
    json_t *value;
    int rc = 0;
    json_object_foreach (root, key, value) {
        if (strcmp (key, "latency_ms") == 0 && json_is_integer (value)
            && json_integer_value (value) >= 0 && json_integer_value (value) <= 600000)
            faults->latency_ms = (int) json_integer_value (value);
        else if (strcmp (key, "rate") == 0 && json_is_number (value)
                 && json_number_value (value) >= 0 && json_number_value (value) <= 1)
            faults->rate = json_number_value (value);
        else if (strcmp (key, "seed") == 0 && json_is_integer (value))
            faults->seed = (uint64_t) json_integer_value (value);
        else if (strcmp (key, "retry_after") == 0 && json_is_integer (value)
                 && json_integer_value (value) >= 0 && json_integer_value (value) <= 86400)
            faults->retry_after = (int) json_integer_value (value);
        else if (strcmp (key, "huge_bytes") == 0 && json_is_integer (value)
                 && json_integer_value (value) > 0)
            faults->huge_bytes = (uint64_t) json_integer_value (value);
        else if (strcmp (key, "max_inflight") == 0 && json_is_integer (value)
                 && json_integer_value (value) >= 0 && json_integer_value (value) <= 100000)
            faults->max_inflight = (int) json_integer_value (value);
        else if (strcmp (key, "kinds") == 0 && json_is_array (value)
                 && json_array_size (value) <= TS_FAULT_MAX_KINDS) {
            size_t i;
            json_t *item;
            json_array_foreach (value, i, item) {
                int kind = json_is_string (item) ? ts_fault_parse (json_string_value (item)) : -1;
                if (kind < 0) {
                    snprintf (err, errlen, "unknown fault kind at kinds[%zu]", i);
                    rc = -1;
                    break;
                }
                faults->kinds[faults->nkinds++] = kind;
            }
        }
        else {
            snprintf (err, errlen, "unknown field or bad value: %s", key);
            rc = -1;
        }
        if (rc)
            break;
    }
    json_decref (root);
    return rc;
}

ts_state_t *
ts_state_new (const ts_faults_t *faults, uint64_t quota)
{
    ts_state_t *self = hny_calloc (1, sizeof *self);
    pthread_mutex_init (&self->lock, NULL);
    self->faults = *faults;
    self->quota = quota;
    return self;
}

/* Drop counters, violations and glossaries; the caller holds the lock. */
static void
s_clear (ts_state_t *self)
{
    for (size_t i = 0; i < self->nviolations; i++)
        free (self->violations[i]);
    for (size_t i = 0; i < self->nglossaries; i++)
        ts_glossary_destroy (&self->glossaries[i]);
    self->nviolations = 0;
    self->violations_dropped = 0;
    self->nglossaries = 0;
    memset (self->api, 0, sizeof self->api);
    memset (self->fault_count, 0, sizeof self->fault_count);
    self->deepl_used = 0;
    self->draws = 0;
    /* Requests still in flight stay counted: they will leave. */
    self->in_flight_max = self->in_flight;
    self->flight_area = 0;
    self->flight_first = self->flight_last = self->flight_max_at = 0;
    memset (self->flight_reach, 0, sizeof self->flight_reach);
}

static int64_t
s_mono_ns (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* in_flight is about to change (the lock held): add what it was since the
   last change to the integral. */
static int64_t
s_flight_lap (ts_state_t *self)
{
    int64_t now = s_mono_ns ();
    if (self->flight_first)
        self->flight_area += (int64_t) self->in_flight * (now - self->flight_mark);
    else
        self->flight_first = now;
    self->flight_mark = now;
    return now;
}

void
ts_state_destroy (ts_state_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ts_state_t *self = *self_p;
    s_clear (self);
    pthread_mutex_destroy (&self->lock);
    free (self);
    *self_p = NULL;
}

void
ts_state_set_faults (ts_state_t *self, const ts_faults_t *faults)
{
    pthread_mutex_lock (&self->lock);
    self->faults = *faults;
    self->draws = 0;
    pthread_mutex_unlock (&self->lock);
}

void
ts_state_get_faults (ts_state_t *self, ts_faults_t *faults)
{
    pthread_mutex_lock (&self->lock);
    *faults = self->faults;
    pthread_mutex_unlock (&self->lock);
}

void
ts_state_reset (ts_state_t *self)
{
    pthread_mutex_lock (&self->lock);
    s_clear (self);
    ts_faults_default (&self->faults);
    pthread_mutex_unlock (&self->lock);
}

void
ts_state_violation (ts_state_t *self, const char *fmt, ...)
{
    va_list args;
    va_start (args, fmt);
    char buf[512];
    vsnprintf (buf, sizeof buf, fmt, args);
    va_end (args);
    hny_warn ("violation: %s", buf);
    pthread_mutex_lock (&self->lock);
    if (self->nviolations < S_MAX_VIOLATIONS)
        self->violations[self->nviolations++] = hny_strdup (buf);
    else
        self->violations_dropped++;
    pthread_mutex_unlock (&self->lock);
}

int
ts_state_enter (ts_state_t *self)
{
    pthread_mutex_lock (&self->lock);
    int64_t at = s_flight_lap (self);
    int now = ++self->in_flight;
    if (now > self->in_flight_max) {
        self->in_flight_max = now;
        self->flight_max_at = at;
    }
    if (now <= S_REACH_MAX && !self->flight_reach [now])
        self->flight_reach [now] = at;
    int max = self->faults.max_inflight;
    pthread_mutex_unlock (&self->lock);
    if (max > 0 && now > max)
        ts_state_violation (self, "%d requests in flight, more than max_inflight %d", now, max);
    return now;
}

void
ts_state_leave (ts_state_t *self)
{
    pthread_mutex_lock (&self->lock);
    self->flight_last = s_flight_lap (self);
    self->in_flight--;
    pthread_mutex_unlock (&self->lock);
}

void
ts_state_count_request (ts_state_t *self, ts_api_t api)
{
    pthread_mutex_lock (&self->lock);
    self->api[api].requests++;
    pthread_mutex_unlock (&self->lock);
}

void
ts_state_count_status (ts_state_t *self, ts_api_t api, int status)
{
    if (status < 400)
        return;
    pthread_mutex_lock (&self->lock);
    self->api[api].errors++;
    pthread_mutex_unlock (&self->lock);
}

/* splitmix64: a well-mixed 64-bit hash, so that request n's dice do not
   depend on the order in which other requests came. */
static uint64_t
s_splitmix64 (uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

ts_fault_t
ts_state_draw_fault (ts_state_t *self, ts_api_t api, ts_faults_t *faults)
{
    pthread_mutex_lock (&self->lock);
    *faults = self->faults;
    uint64_t n = self->draws++;
    ts_fault_t fault = TS_FAULT_NONE;
    if (faults->nkinds > 0 && faults->rate > 0) {
        uint64_t h = s_splitmix64 (faults->seed + n);
        double u = (double) (h >> 11) / 9007199254740992.0;   /* [0, 1) */
        if (u < faults->rate)
            fault = faults->kinds[s_splitmix64 (h) % faults->nkinds];
    }
    if ((fault == TS_FAULT_CHATTER || fault == TS_FAULT_LENGTH) && api != TS_API_OPENAI)
        fault = TS_FAULT_NONE;
    if (fault == TS_FAULT_DIGITS && api == TS_API_OPENAI)
        fault = TS_FAULT_NONE;      /* its numbered groups would lose their numbers */
    self->fault_count[fault]++;
    pthread_mutex_unlock (&self->lock);
    if (fault != TS_FAULT_NONE)
        hny_info ("%s request %llu: fault %s", ts_api_name (api), (unsigned long long) n,
                  ts_fault_name (fault));
    return fault;
}

int
ts_state_bill (ts_state_t *self, ts_api_t api, size_t ntexts, uint64_t chars, ts_fault_t fault)
{
    int spoiled = fault == TS_FAULT_TRUNCATED || fault == TS_FAULT_MALFORMED
               || fault == TS_FAULT_EMPTY || fault == TS_FAULT_HUGE;
    int rc = 0;
    pthread_mutex_lock (&self->lock);
    if (api == TS_API_DEEPL) {
        if (self->deepl_used + chars > self->quota)
            rc = -1;
        else
            self->deepl_used += chars;
    }
    if (rc == 0) {
        self->api[api].texts += ntexts;
        self->api[api].billed += chars;
        if (spoiled)
            self->api[api].spoiled += ntexts;
    }
    pthread_mutex_unlock (&self->lock);
    return rc;
}

void
ts_state_deepl_usage (ts_state_t *self, uint64_t *count, uint64_t *limit)
{
    pthread_mutex_lock (&self->lock);
    *count = self->deepl_used;
    *limit = self->quota;
    pthread_mutex_unlock (&self->lock);
}

void
ts_state_deepl_set_usage (ts_state_t *self, uint64_t count, uint64_t limit)
{
    pthread_mutex_lock (&self->lock);
    self->deepl_used = count;
    self->quota = limit;
    pthread_mutex_unlock (&self->lock);
}

char *
ts_state_glossary_add (ts_state_t *self, ts_glossary_t **glossary_p)
{
    char *id = NULL;
    pthread_mutex_lock (&self->lock);
    if (self->nglossaries < S_MAX_GLOSSARIES) {
        ts_glossary_t *glossary = *glossary_p;
        *glossary_p = NULL;
        free (glossary->id);
        glossary->id = hny_sprintf ("00000000-0000-4000-8000-%012llx",
                                    (unsigned long long) ++self->glossary_serial);
        id = hny_strdup (glossary->id);
        self->glossaries[self->nglossaries++] = glossary;
    }
    pthread_mutex_unlock (&self->lock);
    return id;
}

ts_glossary_t *
ts_state_glossary_get (ts_state_t *self, const char *id)
{
    ts_glossary_t *copy = NULL;
    pthread_mutex_lock (&self->lock);
    for (size_t i = 0; i < self->nglossaries && !copy; i++)
        if (strcmp (self->glossaries[i]->id, id) == 0)
            copy = ts_glossary_dup (self->glossaries[i]);
    pthread_mutex_unlock (&self->lock);
    return copy;
}

ts_glossary_t **
ts_state_glossary_list (ts_state_t *self, size_t *count)
{
    pthread_mutex_lock (&self->lock);
    *count = self->nglossaries;
    ts_glossary_t **list = hny_calloc (*count ? *count : 1, sizeof *list);
    for (size_t i = 0; i < *count; i++)
        list[i] = ts_glossary_dup (self->glossaries[i]);
    pthread_mutex_unlock (&self->lock);
    return list;
}

int
ts_state_glossary_issued (ts_state_t *self, const char *id)
{
    unsigned long long serial = 0;
    char tail = 0;
    if (sscanf (id, "00000000-0000-4000-8000-%12llx%c", &serial, &tail) != 1 || strlen (id) != 36)
        return 0;
    pthread_mutex_lock (&self->lock);
    int issued = serial >= 1 && serial <= self->glossary_serial;
    pthread_mutex_unlock (&self->lock);
    return issued;
}

int
ts_state_glossary_remove (ts_state_t *self, const char *id)
{
    int rc = -1;
    pthread_mutex_lock (&self->lock);
    for (size_t i = 0; i < self->nglossaries; i++)
        if (strcmp (self->glossaries[i]->id, id) == 0) {
            ts_glossary_destroy (&self->glossaries[i]);
            memmove (&self->glossaries[i], &self->glossaries[i + 1],
                     (self->nglossaries - i - 1) * sizeof self->glossaries[0]);
            self->nglossaries--;
            rc = 0;
            break;
        }
    pthread_mutex_unlock (&self->lock);
    return rc;
}

char *
ts_state_stats_json (ts_state_t *self)
{
    json_t *root = json_object ();
    json_t *violations = json_array ();
    json_t *per_api = json_object ();
    json_t *faults = json_object ();
    uint64_t requests = 0, texts = 0, billed = 0, spoiled = 0;
    pthread_mutex_lock (&self->lock);
    for (size_t i = 0; i < self->nviolations; i++)
        json_array_append_new (violations, json_string (self->violations[i]));
    for (int a = 0; a < TS_API_COUNT; a++) {
        s_api_stats_t *s = &self->api[a];
        requests += s->requests;
        texts += s->texts;
        billed += s->billed;
        spoiled += s->spoiled;
        json_object_set_new (per_api, s_api_names[a],
                             json_pack ("{sIsIsIsI}", "requests", (json_int_t) s->requests,
                                        "texts", (json_int_t) s->texts,
                                        "billed_characters", (json_int_t) s->billed,
                                        "errors", (json_int_t) s->errors));
    }
    for (int f = 1; f < TS_FAULT_COUNT; f++)
        if (self->fault_count[f])
            json_object_set_new (faults, s_fault_names[f], json_integer ((json_int_t) self->fault_count[f]));
    json_object_set_new (root, "requests", json_integer ((json_int_t) requests));
    json_object_set_new (root, "violations", violations);
    json_object_set_new (root, "violations_dropped", json_integer ((json_int_t) self->violations_dropped));
    json_object_set_new (root, "billed_characters", json_integer ((json_int_t) billed));
    json_object_set_new (root, "texts", json_integer ((json_int_t) texts));
    json_object_set_new (root, "texts_spoiled", json_integer ((json_int_t) spoiled));
    json_object_set_new (root, "per_api", per_api);
    json_object_set_new (root, "faults", faults);
    json_object_set_new (root, "in_flight", json_integer (self->in_flight));
    json_object_set_new (root, "in_flight_max", json_integer (self->in_flight_max));
    /* From the first request in to the last one out: how long, how many
       were in flight on average, and when the most were first reached. */
    int64_t window = self->flight_last > self->flight_first ? self->flight_last - self->flight_first : 0;
    /* ... and the ramp: when 95 % of that most was first reached (a last
       request more, late in a run, does not move it). */
    int most = self->in_flight_max <= S_REACH_MAX ? self->in_flight_max : S_REACH_MAX;
    int level = (most * 95 + 99) / 100;
    int64_t reach95 = level > 0 ? self->flight_reach [level] : 0;
    json_object_set_new (root, "flight", json_pack ("{sfsfsfsf}", "window_ms", (double) window / 1e6,
                                                    "mean", window ? (double) self->flight_area / (double) window
                                                                   : 0.0,
                                                    "full_ms", self->flight_max_at > self->flight_first
                                                    ? (double) (self->flight_max_at - self->flight_first) / 1e6
                                                    : 0.0,
                                                    "ramp95_ms", reach95 > self->flight_first
                                                    ? (double) (reach95 - self->flight_first) / 1e6 : 0.0));
    /* The ramp in eighths: when in_flight first reached k/8 of its most. */
    json_t *reach = json_array ();
    for (int k = 1; k <= 8; k++) {
        int at_level = (most * k + 7) / 8;
        int64_t t = at_level > 0 ? self->flight_reach [at_level] : 0;
        json_array_append_new (reach, json_real (t > self->flight_first
                                                 ? (double) (t - self->flight_first) / 1e6 : 0.0));
    }
    json_object_set_new (json_object_get (root, "flight"), "reach_eighths_ms", reach);
    json_object_set_new (root, "deepl_character_count", json_integer ((json_int_t) self->deepl_used));
    pthread_mutex_unlock (&self->lock);
    char *text = json_dumps (root, JSON_COMPACT);
    json_decref (root);
    return text;
}
