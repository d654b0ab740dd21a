/*  pkg_consumer.c: a program outside the tree, built by the test
    packaging.install against the installed <honyaku/client.h> and
    libhonyaku.so.1 with `pkg-config --cflags --libs honyaku`.

        pkg_consumer ENDPOINT

    Against a running honyakud (the installed one, pseudo profile): submits
    one article, waits for it, fetches its record and checks it is a
    honyaku.record/1 of that job; then asks STATUS. Prints "ok JOB" and
    exits 0, or says what failed and exits 1. */
#include <honyaku/client.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
s_fail (hny_client_t **client, const char *what)
{
    fprintf (stderr, "pkg_consumer: %s: %s\n", what, hny_client_error (*client));
    hny_client_destroy (client);
    return 1;
}

int
main (int argc, char **argv)
{
    if (argc != 2) {
        fprintf (stderr, "usage: pkg_consumer ENDPOINT\n");
        return 2;
    }
    hny_client_t *client = hny_client_new (argv [1]);
    hny_client_set_timeout (client, 20000);
    static const char article [] = "Installed libraries answer.\n\nThe daemon translates this.\n";
    hny_submit_t opts = { .from = "en", .to = "es", .backend = "pseudo", .format = "plain" };
    char *job = NULL;
    if (hny_client_submit (client, &opts, article, sizeof article - 1, &job, NULL))
        return s_fail (&client, "submit");

    char *state = NULL;
    int rc = hny_client_wait (client, job, 20000, &state);
    if (rc != 0 || strcmp (state, "done") != 0) {
        fprintf (stderr, "pkg_consumer: job %s: %s\n", job, rc ? "not finished in 20 s" : state);
        free (job);
        free (state);
        return s_fail (&client, "wait");
    }
    free (state);

    char *record = NULL;
    size_t len = 0;
    if (hny_client_fetch (client, job, &record, &len)) {
        free (job);
        return s_fail (&client, "fetch");
    }
    json_error_t error;
    json_t *parsed = json_loadb (record, len, 0, &error);
    const char *schema = json_string_value (json_object_get (parsed, "schema"));
    const char *id = json_string_value (json_object_get (parsed, "job"));
    int good = schema && strcmp (schema, "honyaku.record/1") == 0 && id && strcmp (id, job) == 0;
    if (!good)
        fprintf (stderr, "pkg_consumer: not the record of job %s: %.200s\n", job, record);
    json_decref (parsed);
    free (record);

    json_t *status = NULL;
    if (good && hny_client_status (client, NULL, &status)) {
        free (job);
        return s_fail (&client, "status");
    }
    json_decref (status);
    if (good)
        printf ("ok %s\n", job);
    free (job);
    hny_client_destroy (&client);
    return good ? 0 : 1;
}
