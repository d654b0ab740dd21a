/*  test_traits.c: the backend table (include/honyaku/backends.h) is the
    one source of what a backend type is.

    Checked here, so that adding a type touches only its hny_be_TYPE.c,
    the table, the build and the docs: every row has a worker vtable and
    every vtable a row, in the same order; each row is consistent with
    itself and with its vtable; the config's per-type defaults and limits
    are the table's; the worker applies the table's defaults and limits;
    and README.md's table of the types (its path is argv[1]) says what the
    table says. */
#include "hny_backend.h"
#include "hny_http.h"

#include <honyaku/backends.h>
#include <honyaku/config.h>
#include <honyaku/proto.h>
#include <honyaku/util.h>

#include "hny_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char s_dir [] = "/tmp/test_traits.XXXXXX";

/* Load text as a config file; NULL with *error (caller owns) on failure. */
static hny_config_t *
s_load (const char *text, char **error)
{
    char path [600];
    snprintf (path, sizeof path, "%s/t.conf", s_dir);
    FILE *f = fopen (path, "w");
    if (!f) {
        perror (path);
        exit (2);
    }
    fputs (text, f);
    fclose (f);
    hny_config_t *config = hny_config_load (path, error);
    unlink (path);
    return config;
}

/* The list, the rows and the vtables agree one to one, in order. */
static void
s_test_registry (void)
{
#define S_ONE(id) +1
    size_t listed = 0 HNY_BACKEND_TYPES (S_ONE);
#undef S_ONE
    size_t count = hny_backends_count ();
    CHECK (count > 0 && listed == count);
    for (size_t i = 0; i < count; i++) {
        const hny_backend_traits_t *row = hny_backends_at (i);
        const hny_backend_type_t *type = hny_backend_type_at (i);
        CHECK (row && type);
        if (!row || !type)
            continue;
        if (strcmp (row->name, type->name) != 0)
            fprintf (stderr, "  row %zu is %s, vtable %zu is %s\n", i, row->name, i, type->name);
        CHECK (strcmp (row->name, type->name) == 0);
        CHECK (hny_backends_find (row->name) == row);
        CHECK (hny_backend_type_find (row->name) == type);
    }
    CHECK (hny_backends_at (count) == NULL);
    CHECK (hny_backend_type_at (count) == NULL);
    CHECK (hny_backends_find (NULL) == NULL && hny_backends_find ("babelfish") == NULL);
    CHECK (hny_backend_type_find ("babelfish") == NULL);
    char *names = hny_backends_names ();
    for (size_t i = 0; i < count; i++)
        CHECK (strstr (names, hny_backends_at (i)->name) != NULL);
    CHECK (strstr (names, " or ") != NULL || count == 1);
    free (names);
}

/* Each row makes sense on its own and with its vtable. */
static void
s_test_rows (void)
{
    for (size_t i = 0; i < hny_backends_count (); i++) {
        const hny_backend_traits_t *t = hny_backends_at (i);
        const hny_backend_type_t *type = hny_backend_type_find (t->name);
        CHECK (t->name && *t->name && t->title && *t->title);
        for (size_t j = 0; j < i; j++)
            CHECK (strcmp (hny_backends_at (j)->name, t->name) != 0);
        /* Defaults within limits, limits within the protocol's caps. */
        CHECK (t->max_texts >= 1 && t->max_texts <= t->max_texts_limit);
        CHECK (t->max_texts_limit <= HNY_BACKENDS_MAX_TEXTS);
        CHECK (t->max_bytes >= 1 && t->max_bytes <= t->max_bytes_limit);
        CHECK (t->max_bytes_limit <= HNY_PROTO_BODY_MAX);
        CHECK (t->concurrency >= 1 && t->concurrency <= 1024);
        CHECK (t->timeout_ms >= 1 && t->timeout_ms <= 3600000);
        /* Local: no network, no URL, nothing billed; the vtable agrees. */
        CHECK (t->local == (type && type->translate_local != NULL));
        CHECK (t->local == (t->max_response == 0));
        if (t->local)
            CHECK (t->url == NULL && t->billing == HNY_BILLING_NONE);
        else
            CHECK (type && type->build && type->parse && type->classify);
        /* Tokens are only known from the answer; XML tags need a build
           that sends them. */
        if (t->billing == HNY_BILLING_TOKENS)
            CHECK (t->billing_reported);
        CHECK (strcmp (hny_billing_name (t->billing), "none") != 0
               || t->billing == HNY_BILLING_NONE);
        CHECK (t->tags == HNY_TAGS_PLACEHOLDERS || t->tags == HNY_TAGS_XML);
        if (t->url)
            CHECK (strncmp (t->url, "https://", 8) == 0);
    }
}

/* Where the two old copies disagreed, the values chosen (see the comments
   in proto/hny_backends.c); and the types honyakud sends a context for. */
static void
s_test_decided (void)
{
    CHECK (hny_backends_find ("apertium")->concurrency == 4);
    CHECK (hny_backends_find ("libretranslate")->timeout_ms == 60000);
    CHECK (hny_backends_find ("google")->max_bytes == 100000);
    CHECK (hny_backends_find ("google")->max_bytes_limit == 100000);
    CHECK (hny_backends_find ("deepl")->max_texts_limit == 50);
    CHECK (hny_backends_find ("deepl")->max_bytes_limit == 128 * 1024);
    CHECK (hny_backends_find ("deepl")->takes_context);
    CHECK (hny_backends_find ("openai")->takes_context);
    CHECK (hny_backends_find ("deepl")->tags == HNY_TAGS_XML);
    CHECK (!hny_backends_find ("google")->takes_context);
    CHECK (!hny_backends_find ("libretranslate")->takes_context);
}

/* The config's per-type defaults are the table's, by type and by name;
   its limits are the table's too. */
static void
s_test_config (void)
{
    hny_buf_t text = HNY_BUF_INIT (1 << 16);    /* two short sections per type */
    hny_buf_add (&text, "", 0);
    size_t count = hny_backends_count ();
    for (size_t i = 0; i < count; i++) {
        const hny_backend_traits_t *t = hny_backends_at (i);
        char *section = hny_sprintf ("[backend.by-type-%zu]\ntype = %s\nmodel = m\n"
                                     "[backend.%s]\nmodel = m\n", i, t->name, t->name);
        hny_buf_adds (&text, section);
        free (section);
    }
    char *error = NULL;
    hny_config_t *config = s_load (text.data, &error);
    free (text.data);
    if (!config)
        fprintf (stderr, "  %s\n", error);
    CHECK (config != NULL);
    free (error);
    for (size_t i = 0; config && i < count; i++) {
        const hny_backend_traits_t *t = hny_backends_at (i);
        char name [64];
        snprintf (name, sizeof name, "by-type-%zu", i);
        const hny_profile_t *profiles [2] = { hny_config_profile_find (config, name),
                                              hny_config_profile_find (config, t->name) };
        for (size_t j = 0; j < 2; j++) {
            const hny_profile_t *p = profiles [j];
            CHECK (p && hny_profile_traits (p) == t);
            if (!p)
                continue;
            CHECK (p->type && strcmp (p->type, t->name) == 0);
            CHECK ((p->url == NULL && t->url == NULL)
                   || (p->url && t->url && strcmp (p->url, t->url) == 0));
            CHECK (p->max_texts == t->max_texts && p->max_bytes == t->max_bytes);
            CHECK (p->concurrency == t->concurrency && p->timeout_ms == t->timeout_ms);
        }
    }
    hny_config_destroy (&config);

    /* The built-in pseudo profile too. */
    config = hny_config_new_default ();
    const hny_profile_t *pseudo = hny_config_profile_find (config, "pseudo");
    const hny_backend_traits_t *t = hny_backends_find ("pseudo");
    CHECK (pseudo && hny_profile_traits (pseudo) == t);
    CHECK (pseudo && pseudo->max_texts == t->max_texts && pseudo->concurrency == t->concurrency);
    hny_config_destroy (&config);

    /* A profile may set up to the type's limit, not past it. */
    for (size_t i = 0; i < count; i++) {
        t = hny_backends_at (i);
        struct { const char *key; long long limit, cap; } keys [] = {
            { "max_texts", t->max_texts_limit, HNY_BACKENDS_MAX_TEXTS },
            { "max_bytes", (long long) t->max_bytes_limit, HNY_PROTO_BODY_MAX },
        };
        for (size_t k = 0; k < 2; k++) {
            char *at = hny_sprintf ("[backend.x]\ntype = %s\n%s = %lld\n", t->name, keys [k].key,
                                    keys [k].limit);
            config = s_load (at, &error);
            CHECK (config && !error);
            free (error);
            error = NULL;
            hny_config_destroy (&config);
            free (at);
            if (keys [k].limit >= keys [k].cap)
                continue;       /* past it is the option's own range error */
            char *past = hny_sprintf ("[backend.x]\ntype = %s\n%s = %lld\n", t->name,
                                      keys [k].key, keys [k].limit + 1);
            config = s_load (past, &error);
            CHECK (!config && error && strstr (error, "t.conf:1: ")
                   && strstr (error, "more than type"));
            hny_config_destroy (&config);
            free (error);
            error = NULL;
            free (past);
        }
    }

    /* An unknown type names every type of the table. */
    config = s_load ("[backend.x]\ntype = babelfish\n", &error);
    CHECK (!config && error);
    for (size_t i = 0; error && i < count; i++)
        CHECK (strstr (error, hny_backends_at (i)->name) != NULL);
    free (error);
}

/* The worker's instances take the table's defaults and limits. */
static void
s_test_worker (void)
{
    hny_http_t *http = hny_http_new ();
    CHECK (http != NULL);
    for (size_t i = 0; http && i < hny_backends_count (); i++) {
        const hny_backend_traits_t *t = hny_backends_at (i);
        hny_profile_t profile = { .name = (char *) "p", .type = (char *) t->name,
                                  .url = (char *) "http://127.0.0.1:9", .model = (char *) "m" };
        char *error = NULL;
        hny_backend_t *be = hny_backend_new (&profile, http, &error);
        if (!be)
            fprintf (stderr, "  %s: %s\n", t->name, error);
        CHECK (be != NULL);
        free (error);
        if (!be)
            continue;
        CHECK (hny_backend_traits (be) == t);
        CHECK (hny_backend_max_texts (be) == t->max_texts);
        CHECK ((int64_t) hny_backend_max_bytes (be) == t->max_bytes);
        hny_backend_destroy (&be);

        /* A profile made by hand past the limits is held under them. */
        profile.max_texts = HNY_BACKENDS_MAX_TEXTS + 1;
        profile.max_bytes = HNY_PROTO_BODY_MAX + 1LL;
        be = hny_backend_new (&profile, http, &error);
        CHECK (be != NULL);
        free (error);
        if (be) {
            CHECK (hny_backend_max_texts (be) == t->max_texts_limit);
            CHECK ((int64_t) hny_backend_max_bytes (be) == t->max_bytes_limit);
        }
        hny_backend_destroy (&be);
    }
    hny_http_destroy (&http);
}

/* README's row of a type, as the table would write it. Caller owns. */
static char *
s_readme_row (const hny_backend_traits_t *t)
{
    return hny_sprintf ("| `%s` | %d / %d | %lld / %lld | %d | %d | %s | %s | %s | %s |",
                        t->name, t->max_texts, t->max_texts_limit, (long long) t->max_bytes,
                        (long long) t->max_bytes_limit, t->concurrency, t->timeout_ms,
                        t->takes_context ? "yes" : "no", hny_billing_name (t->billing),
                        hny_tags_name (t->tags), t->url ? t->url : t->local ? "(local)" : "-");
}

/* README.md says the per-type defaults once, in one table: the table's
   rows, in order, and no others. */
static void
s_test_readme (const char *path)
{
    static const char header [] = "| type | max_texts | max_bytes | concurrency | timeout_ms "
                                  "| context | billed | markup | url |";
    char *data = NULL;
    size_t size = 0;
    CHECK (hny_file_read (path, 1 << 20, &data, &size) == 0);
    if (!data)
        return;
    char *at = strstr (data, header);
    CHECK (at != NULL);
    CHECK (!at || !strstr (at + 1, header));
    if (at) {
        char *save = NULL;
        char *line = strtok_r (at, "\n", &save);     /* the header */
        line = strtok_r (NULL, "\n", &save);         /* |---|---| */
        size_t row = 0;
        for (line = strtok_r (NULL, "\n", &save); line && line [0] == '|';
             line = strtok_r (NULL, "\n", &save), row++) {
            const hny_backend_traits_t *t = hny_backends_at (row);
            char *want = t ? s_readme_row (t) : hny_strdup ("(no more types)");
            if (strcmp (line, want) != 0)
                fprintf (stderr, "  README.md has\n    %s\n  the table says\n    %s\n", line, want);
            CHECK (strcmp (line, want) == 0);
            free (want);
        }
        CHECK (row == hny_backends_count ());
    }
    free (data);
}

int
main (int argc, char **argv)
{
    hny_log_init ("test_traits", HNY_LOG_ERROR);
    if (!mkdtemp (s_dir)) {
        perror ("mkdtemp");
        return 2;
    }
    s_test_registry ();
    s_test_rows ();
    s_test_decided ();
    s_test_config ();
    s_test_worker ();
    if (argc > 1)
        s_test_readme (argv [1]);
    else {
        fprintf (stderr, "usage: test_traits PATH-OF-README.md\n");
        s_failures++;
    }
    rmdir (s_dir);
    return s_check_done ("test_traits");
}
