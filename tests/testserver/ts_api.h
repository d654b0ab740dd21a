/*  ts_api.h: the four API emulations of the test server. Each handler takes
    a complete request to one of its API's paths, checks it against the
    API's contract (recording every violation in the state), draws a fault,
    and fills the reply. */
#ifndef TS_API_H
#define TS_API_H

#include "ts_http.h"

/* Server-wide settings the handlers read. */
typedef struct {
    int libre_batch_limit;      /* LibreTranslate: most texts per request */
    int libre_char_limit;       /* LibreTranslate: most code points per request */
    int libre_require_key;      /* LibreTranslate: api_key mandatory */
    int openai_require_key;     /* OpenAI: Authorization mandatory */
    const char *openai_model;   /* the one model /v1/models lists */
} ts_api_config_t;

/* Set once at start-up, read-only afterwards. */
extern ts_api_config_t ts_api_config;

/* DeepL v2: /v2/translate, /v2/usage, /v2/glossaries. */
void ts_deepl_handle (const ts_request_t *req, ts_reply_t *reply);
/* Google Cloud Translation v2: /language/translate/v2. */
void ts_google_handle (const ts_request_t *req, ts_reply_t *reply);
/* LibreTranslate: /translate, /languages. */
void ts_libre_handle (const ts_request_t *req, ts_reply_t *reply);
/* OpenAI-compatible: /v1/chat/completions, /v1/models. */
void ts_openai_handle (const ts_request_t *req, ts_reply_t *reply);

/* The API a path belongs to, or -1. */
int ts_api_for_path (const char *path);

/* True when lang (case-insensitive) is in the NULL-terminated list. */
int ts_lang_in (const char *lang, const char *const *list);

#endif
