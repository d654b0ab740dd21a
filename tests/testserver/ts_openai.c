/*  ts_openai.c: an OpenAI-compatible chat completions server for tests:
    POST /v1/chat/completions (non-streaming) and GET /v1/models. The last
    user message is "translated" into the language the system message names
    ("... into Japanese", "... to ja"); a numbered group ("1. ..\n2. ..")
    keeps its numbers, one marker per line. Tokens are counted as one per
    four code points, and max_tokens cuts the answer with finish_reason
    "length" as a real model would. */
#include "ts_api.h"

#include "honyaku/util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Most lines of a numbered group. */
#define S_MAX_LINES 1000

static const char *const s_known[] = {
    "model", "messages", "temperature", "top_p", "n", "stream", "stop", "max_tokens",
    "max_completion_tokens", "presence_penalty", "frequency_penalty", "logit_bias", "user",
    "seed", "response_format", "logprobs", "top_logprobs", "stream_options", NULL
};

static const struct {
    const char *name;
    const char *code;
} s_languages[] = {
    { "japanese", "ja" }, { "english", "en" }, { "spanish", "es" }, { "french", "fr" },
    { "german", "de" }, { "chinese", "zh" }, { "korean", "ko" }, { "italian", "it" },
    { "portuguese", "pt" }, { "russian", "ru" }, { "dutch", "nl" }, { "polish", "pl" },
    { "arabic", "ar" }, { NULL, NULL }
};

static void
s_reject (const ts_request_t *req, ts_reply_t *reply, int status, const char *message)
{
    ts_state_violation (req->state, "openai %s %s: %d %s", req->method, req->path, status, message);
    ts_reply_error (reply, TS_API_OPENAI, status, message);
}

static int
s_check_auth (const ts_request_t *req, ts_reply_t *reply)
{
    const char *auth = ts_request_header (req, "Authorization");
    if (!auth) {
        if (!ts_api_config.openai_require_key)
            return 0;
        s_reject (req, reply, 401, "You didn't provide an API key.");
        return -1;
    }
    if (strncmp (auth, "Bearer ", 7) != 0 || strcmp (auth + 7, req->key) != 0) {
        s_reject (req, reply, 401, "Incorrect API key provided.");
        return -1;
    }
    return 0;
}

/* The language code after the first "into X" / "to X" in the instructions,
   where X is an English language name or a two-letter code; NULL if none. */
static const char *
s_target_from (const char *instructions)
{
    for (const char *p = instructions; *p; p++) {
        if (p > instructions && isalpha ((unsigned char) p[-1]))
            continue;
        size_t skip = strncasecmp (p, "into ", 5) == 0 ? 5 : strncasecmp (p, "to ", 3) == 0 ? 3 : 0;
        if (!skip)
            continue;
        const char *word = p + skip;
        size_t n = 0;
        while (isalpha ((unsigned char) word[n]))
            n++;
        for (size_t i = 0; s_languages[i].name; i++)
            if (n == strlen (s_languages[i].name) && strncasecmp (word, s_languages[i].name, n) == 0)
                return s_languages[i].code;
        if (n == 2)
            for (size_t i = 0; s_languages[i].name; i++)
                if (strncasecmp (word, s_languages[i].code, 2) == 0)
                    return s_languages[i].code;
    }
    return NULL;
}

/* Length of a "123. " prefix at the start of line, or 0. */
static size_t
s_number_prefix (const char *line, size_t len)
{
    size_t i = 0;
    while (i < len && isdigit ((unsigned char) line[i]))
        i++;
    if (i == 0 || i + 1 >= len || line[i] != '.' || line[i + 1] != ' ')
        return 0;
    return i + 2;
}

/* Translate the user content; *segments gets the number of segments.
   Caller owns the result. */
static char *
s_translate_content (const char *content, const char *target, size_t *segments, int *numbered)
{
    /* Numbered group when every non-empty line carries a number. */
    size_t lines = 0, with_number = 0;
    for (const char *p = content; *p;) {
        const char *eol = strchr (p, '\n');
        size_t len = eol ? (size_t) (eol - p) : strlen (p);
        if (len) {
            lines++;
            with_number += s_number_prefix (p, len) ? 1 : 0;
        }
        p += len + (eol ? 1 : 0);
    }
    *numbered = lines > 0 && lines == with_number && lines <= S_MAX_LINES;
    if (!*numbered) {
        *segments = 1;
        return ts_xlate (content, target, NULL, TS_MARKUP_NONE);
    }
    *segments = lines;
    char *out = hny_strdup ("");
    for (const char *p = content; *p;) {
        const char *eol = strchr (p, '\n');
        size_t len = eol ? (size_t) (eol - p) : strlen (p);
        if (len) {
            size_t prefix = s_number_prefix (p, len);
            char *text = hny_strndup (p + prefix, len - prefix);
            char *translated = ts_xlate (text, target, NULL, TS_MARKUP_NONE);
            char *joined = hny_sprintf ("%s%.*s%s%s", out, (int) prefix, p, translated, eol ? "\n" : "");
            free (out);
            out = joined;
            free (text);
            free (translated);
        }
        else if (eol) {
            char *joined = hny_sprintf ("%s\n", out);
            free (out);
            out = joined;
        }
        p += len + (eol ? 1 : 0);
    }
    return out;
}

/* Drop the last line (or, with one segment, say it twice). Caller owns. */
static char *
s_wrong_count (const char *content, int numbered, size_t segments)
{
    if (numbered && segments > 1) {
        size_t len = strlen (content);
        while (len && content[len - 1] == '\n')
            len--;
        while (len && content[len - 1] != '\n')
            len--;
        return hny_strndup (content, len ? len - 1 : 0);
    }
    return hny_sprintf ("%s\n%s", content, content);
}

static size_t
s_tokens (const char *s)
{
    return (ts_codepoints (s) + 3) / 4;
}

static void
s_chat (const ts_request_t *req, ts_reply_t *reply)
{
    if (strcmp (req->method, "POST") != 0) {
        s_reject (req, reply, 405, "Method not allowed");
        return;
    }
    if (!ts_request_is_json (req)) {
        s_reject (req, reply, 400, "Content-Type must be application/json");
        return;
    }
    json_t *root = ts_request_json (req, TS_API_OPENAI, reply);
    if (!root)
        return;
    char msg[200];
    const char *name;
    json_t *value;
    size_t i;
    char *content = NULL;
    json_object_foreach (root, name, value) {
        if (!ts_lang_in (name, s_known)) {
            snprintf (msg, sizeof msg, "Unrecognized request argument supplied: %.60s", name);
            s_reject (req, reply, 400, msg);
            goto done;
        }
    }
    json_t *model = json_object_get (root, "model");
    json_t *messages = json_object_get (root, "messages");
    json_t *temperature = json_object_get (root, "temperature");
    json_t *max_tokens = json_object_get (root, "max_tokens");
    json_t *stream = json_object_get (root, "stream");
    json_t *n = json_object_get (root, "n");
    if (!max_tokens)
        max_tokens = json_object_get (root, "max_completion_tokens");
    if (!model || !json_is_string (model)) {
        s_reject (req, reply, 400, "you must provide a model parameter");
        goto done;
    }
    if (strcmp (json_string_value (model), ts_api_config.openai_model) != 0) {
        snprintf (msg, sizeof msg, "The model `%.60s` does not exist or you do not have access to it.",
                  json_string_value (model));
        s_reject (req, reply, 404, msg);
        goto done;
    }
    if (!messages || !json_is_array (messages) || json_array_size (messages) == 0) {
        s_reject (req, reply, 400, "'messages' must be a non-empty array");
        goto done;
    }
    const char *system = NULL, *user = NULL;
    json_array_foreach (messages, i, value) {
        json_t *role = json_object_get (value, "role");
        json_t *text = json_object_get (value, "content");
        if (!json_is_string (role) || !json_is_string (text)) {
            snprintf (msg, sizeof msg, "messages[%zu]: role and content must be strings", i);
            s_reject (req, reply, 400, msg);
            goto done;
        }
        const char *r = json_string_value (role);
        if (strcmp (r, "system") == 0 || strcmp (r, "developer") == 0)
            system = system ? system : json_string_value (text);
        else if (strcmp (r, "user") == 0)
            user = json_string_value (text);
        else if (strcmp (r, "assistant") != 0) {
            snprintf (msg, sizeof msg, "messages[%zu]: invalid role '%.30s'", i, r);
            s_reject (req, reply, 400, msg);
            goto done;
        }
    }
    if (!user) {
        s_reject (req, reply, 400, "messages: no user message");
        goto done;
    }
    if (temperature && (!json_is_number (temperature) || json_number_value (temperature) < 0
                        || json_number_value (temperature) > 2)) {
        s_reject (req, reply, 400, "temperature must be a number between 0 and 2");
        goto done;
    }
    if (max_tokens && (!json_is_integer (max_tokens) || json_integer_value (max_tokens) < 1)) {
        s_reject (req, reply, 400, "max_tokens must be a positive integer");
        goto done;
    }
    if (stream && !json_is_boolean (stream)) {
        s_reject (req, reply, 400, "stream must be a boolean");
        goto done;
    }
    if (json_is_true (stream)) {
        s_reject (req, reply, 400, "stream: true is not served by this test server (send false)");
        goto done;
    }
    if (n && (!json_is_integer (n) || json_integer_value (n) != 1)) {
        s_reject (req, reply, 400, "n must be 1");
        goto done;
    }
    const char *target = system ? s_target_from (system) : NULL;
    if (!system)
        ts_state_violation (req->state, "openai: no system message with the instructions");
    else if (!target)
        ts_state_violation (req->state, "openai: the system message names no target language "
                            "(\"into Japanese\" / \"to ja\")");
    if (!target)
        target = "xx";

    ts_faults_t faults;
    ts_fault_t fault = ts_state_draw_fault (req->state, TS_API_OPENAI, &faults);
    if (ts_fault_reply (reply, TS_API_OPENAI, fault, &faults))
        goto done;

    size_t segments;
    int numbered;
    content = s_translate_content (user, target, &segments, &numbered);
    ts_state_bill (req->state, TS_API_OPENAI, segments, ts_codepoints (user), fault);
    const char *finish = "stop";
    if (fault == TS_FAULT_CHATTER) {
        char *chatty = hny_sprintf ("Sure! Here is the translation:\n%s", content);
        free (content);
        content = chatty;
    }
    else if (fault == TS_FAULT_WRONG_COUNT) {
        char *wrong = s_wrong_count (content, numbered, segments);
        free (content);
        content = wrong;
    }
    else if (fault == TS_FAULT_EMPTY) {
        content[0] = '\0';
        fault = TS_FAULT_NONE;   /* an empty message, not an empty body */
    }
    size_t limit = max_tokens ? (size_t) json_integer_value (max_tokens) * 4 : (size_t) -1;
    if (fault == TS_FAULT_LENGTH)
        limit = ts_codepoints (content) / 2;
    if (ts_codepoints (content) > limit) {
        char *cut = ts_codepoint_prefix (content, limit);
        free (content);
        content = cut;
        finish = "length";
    }
    size_t prompt_tokens = 0;
    json_array_foreach (messages, i, value)
        prompt_tokens += 4 + s_tokens (json_string_value (json_object_get (value, "content")));
    size_t completion_tokens = s_tokens (content);
    static unsigned long serial;
    unsigned long id = __atomic_add_fetch (&serial, 1, __ATOMIC_RELAXED);
    char idbuf[40];
    snprintf (idbuf, sizeof idbuf, "chatcmpl-ts%lu", id);
    json_t *answer = json_pack (
        "{sssssIsss[{sis{ssss}sssn}]s{sIsIsI}}", "id", idbuf, "object", "chat.completion",
        "created", (json_int_t) time (NULL), "model", json_string_value (model), "choices", "index", 0,
        "message", "role", "assistant", "content", content, "finish_reason", finish, "logprobs",
        "usage", "prompt_tokens", (json_int_t) prompt_tokens, "completion_tokens",
        (json_int_t) completion_tokens, "total_tokens", (json_int_t) (prompt_tokens + completion_tokens));
    ts_reply_json (reply, 200, answer);
    ts_fault_finish (reply, fault, &faults);
done:
    free (content);
    json_decref (root);
}

static void
s_models (const ts_request_t *req, ts_reply_t *reply)
{
    if (strcmp (req->method, "GET") != 0) {
        s_reject (req, reply, 405, "Method not allowed");
        return;
    }
    ts_reply_json (reply, 200, json_pack ("{sss[{sssssiss}]}", "object", "list", "data", "id",
                                          ts_api_config.openai_model, "object", "model", "created", 0,
                                          "owned_by", "honyaku-testserver"));
}

void
ts_openai_handle (const ts_request_t *req, ts_reply_t *reply)
{
    if (s_check_auth (req, reply) < 0)
        return;
    if (strcmp (req->path, "/v1/chat/completions") == 0)
        s_chat (req, reply);
    else if (strcmp (req->path, "/v1/models") == 0)
        s_models (req, reply);
    else
        s_reject (req, reply, 404, "Not found");
}
