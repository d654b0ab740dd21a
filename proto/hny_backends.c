/*  hny_backends.c: the table of backend types (include/honyaku/backends.h).

    Before this table the per-type defaults lived twice, in the config and
    in each worker vtable, and had drifted. Where the two copies disagreed
    the value below was chosen on the API's own limits (shared/backends.md)
    and on what actually took effect (the config's value always reached
    the worker, except max_bytes, where the lower of the two won); each
    such choice is marked "was:" with its reason.

    Limits: for a hosted API (deepl, google) the limit is the API's and a
    profile may only lower it. A self-hosted server (apertium, libretranslate,
    openai-compatible) sets its own limits, so there the limit is only ours:
    the protocol's body cap, or the most texts a task holds; the worker
    halves a request the server finds too large. */

#include "honyaku/backends.h"
#include "honyaku/proto.h"
#include "honyaku/util.h"

#include <string.h>

#define S_KIB 1024
#define S_MIB (1024 * 1024)

static const hny_backend_traits_t s_types [] = {
    {
        .name = "apertium",
        .title = "Apertium APy (rule-based), one text per request",
        .url = NULL,                    /* a local APy: apertium-apy -p PORT */
        .max_texts = 1,                 /* APy's `q` is one text */
        .max_texts_limit = 1,
        .max_bytes = 64 * S_KIB,
        .max_bytes_limit = HNY_PROTO_BODY_MAX,
        /* was: 4 (config) vs 8 (worker). 4: APy runs one pipeline per
           pair by default (-m 1), so more requests only queue inside it
           and meet its pipeline timeout (503) sooner; 4 is also what took
           effect so far. A server started with more pipes can take more. */
        .concurrency = 4,
        .timeout_ms = 30000,
        .max_response = 1 * S_MIB,
        /* Free software, yet counted as characters sent: chars_billed then
           measures what was sent, as for the other services. */
        .billing = HNY_BILLING_CHARACTERS,
        .tags = HNY_TAGS_PLACEHOLDERS,
    },
    {
        .name = "pseudo",
        .title = "built-in pseudo-translation for dry runs, no network",
        .url = NULL,
        .local = 1,
        /* was: 100 (config) vs 10000 (worker: the whole batch). The
           config's took effect: 100 keeps a dry run's tasks as small as a
           real service's, so it exercises packing and leases alike. */
        .max_texts = 100,
        .max_texts_limit = HNY_BACKENDS_MAX_TEXTS,
        .max_bytes = 1 * S_MIB,
        .max_bytes_limit = HNY_PROTO_BODY_MAX,
        /* was: 8 (config) vs 1 (worker); 8, which took effect: nothing to
           protect, and a dry run should not be slower than a service. */
        .concurrency = 8,
        .timeout_ms = 5000,             /* unused: no request */
        .max_response = 0,
        .billing = HNY_BILLING_NONE,
        .tags = HNY_TAGS_PLACEHOLDERS,
    },
    {
        .name = "deepl",
        .title = "DeepL API v2",
        .url = "https://api.deepl.com",  /* keys ending ":fx": api-free.deepl.com */
        .max_texts = 50,                /* the API: at most 50 texts */
        .max_texts_limit = 50,
        .max_bytes = 128 * S_KIB,       /* the API: body at most 128 KiB */
        .max_bytes_limit = 128 * S_KIB,
        .concurrency = 4,
        .timeout_ms = 30000,
        .max_response = 8 * S_MIB,
        .takes_context = 1,             /* `context`: one per request */
        .billing = HNY_BILLING_CHARACTERS,
        .billing_reported = 1,          /* billed_characters in the answer */
        .tags = HNY_TAGS_XML,           /* tag_handling=xml */
    },
    {
        .name = "google",
        .title = "Google Cloud Translation v2",
        .url = "https://translation.googleapis.com",
        .max_texts = 128,               /* the API: at most 128 strings */
        .max_texts_limit = 128,
        /* was: 102400 (config) vs 100000 (worker). The documented hard
           limit is "100 KB": 100000 is under it whichever KB is meant, and
           it is what took effect (the worker kept the lower). Google
           recommends about 5,000 code points a request for latency; we
           pack to the limit because fewer requests is the goal, and a
           profile may lower max_bytes. */
        .max_bytes = 100000,
        .max_bytes_limit = 100000,
        .concurrency = 4,
        .timeout_ms = 30000,
        .max_response = 8 * S_MIB,
        .billing = HNY_BILLING_CHARACTERS,
        .tags = HNY_TAGS_PLACEHOLDERS,
    },
    {
        .name = "libretranslate",
        .title = "LibreTranslate (self-hosted or hosted)",
        .url = NULL,
        /* 50 texts and 64 KiB by default; a server's own limits
           (LT_BATCH_LIMIT, LT_CHAR_LIMIT; none unless set) may be fitted
           exactly, above these too. */
        .max_texts = 50,
        .max_texts_limit = HNY_BACKENDS_MAX_TEXTS,
        .max_bytes = 64 * S_KIB,
        .max_bytes_limit = HNY_PROTO_BODY_MAX,
        .concurrency = 4,
        /* was: 30 s (config, in effect) vs 60 s (worker). 60 s: a
           self-hosted server on CPU takes tens of seconds for 50 texts,
           and a timeout there only sends the same work again. */
        .timeout_ms = 60000,
        .max_response = 8 * S_MIB,
        .billing = HNY_BILLING_CHARACTERS,  /* what a hosted server bills */
        .tags = HNY_TAGS_PLACEHOLDERS,
    },
    {
        .name = "openai",
        .title = "OpenAI-compatible chat completions (llama.cpp, vLLM, ...)",
        .url = NULL,
        /* One segment a request: these servers batch internally. Up to 50
           as a numbered group; past that models lose count. */
        .max_texts = 1,
        .max_texts_limit = 50,
        .max_bytes = 64 * S_KIB,
        .max_bytes_limit = HNY_PROTO_BODY_MAX,
        .concurrency = 4,
        .timeout_ms = 120000,           /* self-hosted models can be slow */
        .max_response = 8 * S_MIB,
        .takes_context = 1,             /* the system prompt: one per request */
        .billing = HNY_BILLING_TOKENS,
        .billing_reported = 1,          /* usage.prompt_tokens, completion_tokens */
        .tags = HNY_TAGS_PLACEHOLDERS,
    },
};
#define S_TYPE_COUNT (sizeof s_types / sizeof s_types [0])

/* The list of HNY_BACKEND_TYPES and the rows must be as long. */
#define S_ONE(id) +1
_Static_assert (S_TYPE_COUNT == 0 HNY_BACKEND_TYPES (S_ONE),
                "HNY_BACKEND_TYPES and s_types differ in length");
#undef S_ONE

size_t
hny_backends_count (void)
{
    return S_TYPE_COUNT;
}

const hny_backend_traits_t *
hny_backends_at (size_t index)
{
    return index < S_TYPE_COUNT ? &s_types [index] : NULL;
}

const hny_backend_traits_t *
hny_backends_find (const char *name)
{
    for (size_t i = 0; name && i < S_TYPE_COUNT; i++)
        if (strcmp (s_types [i].name, name) == 0)
            return &s_types [i];
    return NULL;
}

char *
hny_backends_names (void)
{
    hny_buf_t buf = HNY_BUF_INIT (1024);  /* a handful of short type names */
    hny_buf_add (&buf, "", 0);
    for (size_t i = 0; i < S_TYPE_COUNT; i++) {
        if (i > 0)
            hny_buf_adds (&buf, i + 1 == S_TYPE_COUNT ? " or " : ", ");
        hny_buf_adds (&buf, s_types [i].name);
    }
    return buf.data;
}

const char *
hny_billing_name (hny_billing_t billing)
{
    switch (billing) {
        case HNY_BILLING_NONE:       return "none";
        case HNY_BILLING_CHARACTERS: return "characters";
        case HNY_BILLING_TOKENS:     return "tokens";
    }
    return "none";
}

const char *
hny_tags_name (hny_tags_t tags)
{
    switch (tags) {
        case HNY_TAGS_PLACEHOLDERS: return "placeholders";
        case HNY_TAGS_XML:          return "xml";
    }
    return "placeholders";
}
