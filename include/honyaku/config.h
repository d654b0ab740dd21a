/*  honyaku/config.h: the INI configuration shared by honyakud and
    honyaku-worker (parsed with libinih).

        [daemon]            state, front, back, socket_group, workers, heartbeat_ms, lease_ms,
                            max_article_bytes, max_jobs_in_flight, log_level,
                            default_backend, curve_key_file, allowed_clients,
                            allowed_workers, insecure_tcp_loopback, metrics
        [worker]            credit, backends (comma list; default: all profiles),
                            server_key, key_file
        [backend.NAME]      type, url, key_file, key_env, model, concurrency,
                            rate, chars_per_minute, max_texts, max_bytes,
                            timeout_ms, retries, retry_base_ms, glossary,
                            fallback, formality, model_type

    Every option, its default and its description is in one table in
    hny_config.c; the per-type defaults and limits of [backend.NAME] are
    the backend table's (honyaku/backends.h). hny_config_describe prints
    both as the commented sample configuration, which packaging/honyaku.conf
    is. Unknown sections or keys are an error, so that a typo never silently
    falls back to a default. Without a file the configuration holds the
    built-in "pseudo" profile alone. */
#ifndef HNY_CONFIG_H
#define HNY_CONFIG_H

#include "honyaku/backends.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One backend profile. Strings are owned by the config; NULL when unset. */
typedef struct {
    char *name;                 /* NAME of [backend.NAME] */
    char *type;                 /* a backend type: a row of honyaku/backends.h */
    char *url;                  /* base URL of the API */
    char *key_file;             /* file holding the API key (first line) */
    char *key_env;              /* environment variable holding the API key */
    char *model;                /* openai: model name */
    char *glossary;             /* TSV file: source term, target term */
    char *fallback;             /* profile to use when this one is paused */
    char *formality;            /* deepl: default, more, less, prefer_more, prefer_less */
    char *model_type;           /* deepl: quality_optimized, prefer_quality_optimized,
                                   latency_optimized */
    int concurrency;            /* requests in flight, shared by all workers (default per type) */
    double rate;                /* requests per second across workers; 0 = unlimited */
    int64_t chars_per_minute;   /* characters per minute across workers; 0 = unlimited */
    int max_texts;              /* texts per request (default and limit per type) */
    int64_t max_bytes;          /* request body bytes (default and limit per type) */
    int timeout_ms;             /* per HTTP request (default per type) */
    int retries;                /* tries per segment before a transient failure is final */
    int retry_base_ms;          /* first retry delay (x1.6 per try, capped at 120 s); tests lower it */
} hny_profile_t;

typedef struct {
    char *state;                /* state directory */
    char *front;                /* client endpoint */
    char *back;                 /* worker endpoint */
    char *socket_group;         /* group given the ipc:// client socket (0660), or NULL */
    int workers;                /* local workers to supervise; -1 = number of cores */
    int heartbeat_ms;
    int lease_ms;
    int64_t max_article_bytes;
    int max_jobs_in_flight;     /* jobs being prepared/translated at once */
    int max_jobs_queued;        /* unfinished jobs accepted; past it SUBMIT gets 303 */
    int64_t max_store_bytes;    /* cap on the store's size; 0: none (past it: 507) */
    char *log_level;
    char *default_backend;      /* profile used when SUBMIT names none; NULL: the
                                   first profile in the file, else "pseudo" */
    int worker_credit;          /* [worker] credit: tasks a worker takes at once */
    char *worker_backends;      /* [worker] backends: comma list, NULL = all */
    char *curve_key_file;       /* CURVE key pair of honyakud (PREFIX.key), or NULL */
    char *allowed_clients;      /* file of admitted client public keys, or NULL */
    char *allowed_workers;      /* file of admitted worker public keys, or NULL */
    int insecure_tcp_loopback;  /* 1: plain tcp:// allowed on a loopback address */
    char *metrics;              /* HTTP /metrics address (honyaku/metrics.h), or NULL: none */
    char *worker_server_key;    /* [worker] server_key: Z85 or a file, or NULL */
    char *worker_key_file;      /* [worker] key_file: the worker's key pair, or NULL */
} hny_daemon_conf_t;

typedef struct _hny_config_t hny_config_t;

/* The built-in configuration: defaults and the "pseudo" profile alone.
   Caller owns the result. */
hny_config_t *hny_config_new_default (void);

/* Load an INI file over the defaults. Returns NULL and sets *error (caller
   owns) to one line naming file, line and problem. */
hny_config_t *hny_config_load (const char *path, char **error);

void hny_config_destroy (hny_config_t **self_p);

/* Borrowed; valid while the config lives. Callers may change daemon fields
   (flags override the file). */
hny_daemon_conf_t *hny_config_daemon (hny_config_t *self);
/* Profiles come in file order; the built-in "pseudo" comes last unless the
   file has a [backend.pseudo] section. A profile without "type" takes its
   NAME as type when NAME is a type ([backend.apertium]). */
size_t hny_config_profile_count (const hny_config_t *self);
const hny_profile_t *hny_config_profile (const hny_config_t *self, size_t index);
const hny_profile_t *hny_config_profile_find (const hny_config_t *self, const char *name);
/* The path it was loaded from, or NULL for the built-in configuration. */
const char *hny_config_path (const hny_config_t *self);

/* The backend table's row of the profile's type (its name when type is
   unset), or NULL when that is no type. Borrowed, static. */
const hny_backend_traits_t *hny_profile_traits (const hny_profile_t *profile);

/* Read the profile's API key from key_file or key_env. Returns a new string
   (caller owns; wipe it with hny_secret_free) or NULL with *error set. A
   profile with neither returns an empty string. */
char *hny_profile_key (const hny_profile_t *profile, char **error);
void hny_secret_free (char **secret_p);

/* CURVE keys (ZeroMQ's Z85 text, 40 characters). A key file written by
   `honyaku keygen` holds "public-key = Z85" and "secret-key = Z85" lines
   ('#' comments); a public-key file holds the key alone on a line.
   HNY_CURVE_KEY_LEN includes the terminating NUL. */
#define HNY_CURVE_KEY_LEN 41

/* True when text is 40 valid Z85 characters. */
int hny_curve_key_valid (const char *text);
/* A public key given as Z85 text or as a file holding one (a PREFIX.pub, or
   a PREFIX.key whose public-key line is taken). Returns 0 with out filled,
   or -1 with *error (caller owns). */
int hny_curve_public_load (const char *text_or_file, char out [HNY_CURVE_KEY_LEN], char **error);
/* Read a key pair file. Returns 0 with both filled, or -1 with *error
   (caller owns). Wipe secret after use (explicit_bzero). */
int hny_curve_pair_load (const char *path, char public_key [HNY_CURVE_KEY_LEN],
                         char secret_key [HNY_CURVE_KEY_LEN], char **error);

/* Print the commented sample configuration to f: every option with its
   default and description, then every backend type with its defaults and
   limits, then example profiles. It loads as is; packaging/honyaku.conf is
   this output (honyakud --help-config). */
void hny_config_describe (FILE *f);

#ifdef __cplusplus
}
#endif
#endif
