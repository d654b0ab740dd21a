/*  honyaku/backends.h: the one table of backend types and their traits,
    read by the configuration (type names, per-type defaults and limits,
    the sample config), by honyakud (which types take a context) and by
    honyaku-worker (limits, billing, markup).

    A type's *behaviour* (how to build a request, read an answer) is its
    worker vtable, workers/hny_be_TYPE.c; everything else a type *is* lives
    in a row of this table (proto/hny_backends.c). Adding a type therefore
    touches its own hny_be_TYPE.c, this table (the row and the
    HNY_BACKEND_TYPES list below), the build and the docs; nothing else. */
#ifndef HNY_BACKENDS_H
#define HNY_BACKENDS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Every type, in table order, as X (ID): the worker's vtable of the type
   is `hny_backend_ID` (hny_backend.h declares and registers them all from
   this list) and its `name` is the row's name. test_backends checks that
   the list, the vtables and the rows agree one to one. */
#define HNY_BACKEND_TYPES(X) \
    X (apertium) X (pseudo) X (deepl) X (google) X (libre) X (openai)

/* The most texts one translate task (and so one request) may hold: the
   ceiling of every type's max_texts. */
#define HNY_BACKENDS_MAX_TEXTS 10000

/* What a service bills. Never renumber. */
typedef enum {
    HNY_BILLING_NONE = 0,           /* nothing (local) */
    HNY_BILLING_CHARACTERS = 1,     /* code points of the source text */
    HNY_BILLING_TOKENS = 2          /* prompt and completion tokens */
} hny_billing_t;

/* How inline markup (<b>, <i>, <a> in a segment) reaches the service.
   Never renumber. */
typedef enum {
    HNY_TAGS_PLACEHOLDERS = 0,      /* as ⟦n⟧ ... ⟦/n⟧ tokens in plain text */
    HNY_TAGS_XML = 1                /* as XML tags the service places itself
                                       (DeepL's tag_handling=xml) */
} hny_tags_t;

/* One backend type. Limits are the most a profile may set; defaults are
   what an unset profile key takes. */
typedef struct {
    const char *name;               /* config "type" */
    const char *title;              /* what it talks to, one line for docs */
    const char *url;                /* default base URL; NULL: a profile sets it */
    int local;                      /* 1: translated in the worker, no network */
    int max_texts;                  /* default texts per request */
    int max_texts_limit;            /* the most texts per request */
    int64_t max_bytes;              /* default request body bytes */
    int64_t max_bytes_limit;        /* the most request body bytes */
    int concurrency;                /* default requests in flight across workers */
    int timeout_ms;                 /* default per HTTP request */
    size_t max_response;            /* response body cap in the worker; 0: local */
    int takes_context;              /* 1: a request carries one context for all its
                                       texts, so a task holds one job's segments and
                                       the broker sends the article before them */
    hny_billing_t billing;          /* what the service bills */
    int billing_reported;           /* 1: its answers say what was billed (DeepL's
                                       billed_characters, OpenAI's usage); 0: the
                                       worker counts the characters it sent */
    hny_tags_t tags;                /* how inline markup is sent */
} hny_backend_traits_t;

/* Rows in table order (that of HNY_BACKEND_TYPES). */
size_t hny_backends_count (void);
/* The row at index, or NULL past the end. */
const hny_backend_traits_t *hny_backends_at (size_t index);
/* The row of a type name, or NULL when name is NULL or no type. */
const hny_backend_traits_t *hny_backends_find (const char *name);

/* The type names as prose, in table order: "apertium, pseudo, ... or
   openai". Caller owns the result. */
char *hny_backends_names (void);

/* Names for docs and --help-config: "none", "characters", "tokens";
   "placeholders", "xml". */
const char *hny_billing_name (hny_billing_t billing);
const char *hny_tags_name (hny_tags_t tags);

#ifdef __cplusplus
}
#endif
#endif
