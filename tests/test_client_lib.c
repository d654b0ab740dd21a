/*  test_client_lib.c: libhonyaku calls that the CLI tests do not reach,
    run by test_client_cli.py against its fake broker (endpoint in argv[1]):
    pipelined SUBMITs whose answers arrive while a synchronous call waits
    (they must be kept for hny_client_recv_reply, none lost, none twice),
    request id checks, WAIT timing out (1), a body over the protocol's cap
    refused with 413 and nothing sent (the Python side checks the fake
    broker never saw it), reconnecting, CURVE keys of the wrong length, and
    NULL-safe destroy. */
#include "honyaku/client.h"
#include "honyaku/proto.h"

#include "hny_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

int
main (int argc, char **argv)
{
    if (argc != 2) {
        fprintf (stderr, "usage: test_client_lib ENDPOINT\n");
        return 2;
    }
    hny_client_t *c = hny_client_new (argv [1]);
    hny_client_set_timeout (c, 3000);
    hny_submit_t opts = { .from = "en", .to = "es", .key = NULL };

    /* Three pipelined SUBMITs, then a synchronous STATUS before reading them. */
    const char *texts [] = { "one.", "two..", "three..." };
    for (int i = 0; i < 3; i++) {
        char req [8];
        snprintf (req, sizeof req, "p%d", i);
        CHECK (hny_client_send_submit (c, req, &opts, texts [i], strlen (texts [i])) == 0);
    }
    json_t *st = NULL;
    CHECK (hny_client_status (c, NULL, &st) == 0);
    CHECK (json_is_object (json_object_get (st, "jobs")));
    json_decref (st);
    int seen [3] = { 0, 0, 0 };
    for (int i = 0; i < 3; i++) {
        hny_reply_t *r = NULL;
        CHECK (hny_client_recv_reply (c, 3000, &r) == 0);
        if (!r)
            continue;
        CHECK (strcmp (hny_reply_command (r), "ACCEPTED") == 0);
        CHECK (hny_reply_status (r) == 200);
        const char *req = hny_reply_req (r);
        CHECK (req && req [0] == 'p' && req [1] >= '0' && req [1] <= '2');
        if (req)
            seen [req [1] - '0']++;
        hny_reply_destroy (&r);
        CHECK (r == NULL);
    }
    CHECK (seen [0] == 1 && seen [1] == 1 && seen [2] == 1);
    hny_reply_t *none = NULL;
    CHECK (hny_client_recv_reply (c, 200, &none) == 1 && none == NULL);

    /* Reserved and oversized request ids. */
    CHECK (hny_client_send_wait (c, "~1", "1", 0) == -1);
    char longreq [80];
    memset (longreq, 'x', sizeof longreq - 1);
    longreq [sizeof longreq - 1] = '\0';
    CHECK (hny_client_send_wait (c, longreq, "1", 0) == -1);
    CHECK (strstr (hny_client_error (c), "bad request id") != NULL);

    /* A job that never finishes: wait returns 1 with its current state. */
    char *job = NULL, *state = NULL;
    int existing = -1;
    CHECK (hny_client_submit (c, &opts, "HOLD-ME", 7, &job, &existing) == 0);
    CHECK (existing == 0);
    if (job) {
        CHECK (hny_client_wait (c, job, 200, &state) == 1);
        CHECK (state && strcmp (state, "queued") == 0);
        char *record = NULL;
        CHECK (hny_client_fetch (c, job, &record, NULL) == -1);
        CHECK (hny_client_status_code (c) == 300);
        free (record);
    }
    free (job);
    free (state);

    /* Over the protocol's 64 MiB cap: refused here, status 413, not sent. */
    size_t big = (size_t) HNY_PROTO_BODY_MAX + 1;
    char *huge = calloc (1, big);
    CHECK (huge != NULL);
    if (huge) {
        char *none_job = NULL;
        CHECK (hny_client_submit (c, &opts, huge, big, &none_job, NULL) == -1);
        CHECK (hny_client_status_code (c) == 413);
        CHECK (strstr (hny_client_error (c), "not sent (status 413)") != NULL);
        CHECK (none_job == NULL);
        CHECK (hny_client_send_submit (c, "big", &opts, huge, big) == -1);
        CHECK (hny_client_status_code (c) == 413);
        /* Exactly at the cap is the broker's to judge. */
        CHECK (hny_client_send_submit (c, "cap", &opts, huge, big - 1) == 0);
        hny_reply_t *r = NULL;
        CHECK (hny_client_recv_reply (c, 3000, &r) == HNY_RECV_OK);
        CHECK (r && strcmp (hny_reply_req (r), "cap") == 0);
        hny_reply_destroy (&r);
        free (huge);
    }

    /* A new connection: no answer is lost or doubled, calls still work. */
    CHECK (hny_client_lost (c) == 0);
    CHECK (hny_client_reconnect (c) == 0);
    CHECK (hny_client_lost (c) == 0);
    st = NULL;
    CHECK (hny_client_status (c, NULL, &st) == 0);
    json_decref (st);

    /* Listing pages. */
    json_t *jobs = NULL;
    char *next = NULL;
    CHECK (hny_client_list (c, NULL, 2, NULL, &jobs, &next) == 0);
    CHECK (json_array_size (jobs) == 2 && next != NULL);
    json_decref (jobs);
    free (next);

    /* CURVE keys are 40 Z85 characters (ZeroMQ's test keys here): a
       longer one is refused, not cut to 40, and stays refused when the
       client reconnects. */
    static const char server_pub [] = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
    static const char client_pub [] = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID";
    static const char client_sec [] = "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs";
    char too_long [sizeof server_pub + 1];
    snprintf (too_long, sizeof too_long, "%sX", server_pub);
    hny_client_t *k = hny_client_new ("tcp://127.0.0.1:9");
    hny_client_set_timeout (k, 500);
    CHECK (hny_client_set_curve (k, too_long, client_pub, client_sec) == -1);
    CHECK (strstr (hny_client_error (k), "CURVE") != NULL);
    CHECK (hny_client_reconnect (k) == -1);
    CHECK (hny_client_status (k, NULL, &st) == -1);
    if (zmq_has ("curve"))
        CHECK (hny_client_set_curve (k, server_pub, client_pub, client_sec) == 0);
    hny_client_destroy (&k);

    hny_client_destroy (&c);
    CHECK (c == NULL);
    hny_client_destroy (&c);
    hny_client_destroy (NULL);
    return s_check_done ("test_client_lib");
}
