/*  test_proto.c: the HNY/1 codec (proto/hny_proto.c) over real ZeroMQ
    sockets: every message id round-trips DEALER -> ROUTER and back, and
    every malformed shape PROTOCOL.md names comes back as HNY_MSG_INVALID
    with the right status and the sender's routing id, after which the
    socket still reads the next message cleanly. */

#include "honyaku/proto.h"
#include "honyaku/util.h"

#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

static int s_failures;
static int s_checks;

#define CHECK(cond) do { \
    s_checks++; \
    if (!(cond)) { \
        fprintf (stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        s_failures++; \
    } \
} while (0)

static void *s_ctx, *s_dealer, *s_router;

/* Fill a message of the given id with its required fields and body. */
static hny_msg_t *
s_sample (hny_msg_id_t id)
{
    hny_msg_t *msg = hny_msg_new (id);
    json_t *h = hny_msg_header (msg);
    hny_msg_set_int (msg, "req", 7);
    switch (id) {
        case HNY_MSG_SUBMIT:
            hny_msg_set_str (msg, "from", "en");
            hny_msg_set_str (msg, "to", "es");
            hny_msg_set_str (msg, "backend", "apertium");
            hny_msg_set_str (msg, "key", "clé-1");
            hny_msg_set_str (msg, "format", "auto");
            json_object_set_new (h, "lenient", json_true ());
            json_object_set_new (h, "metadata", json_pack ("{s:s, s:[i,i]}", "a", "b", "n", 1, 2));
            hny_msg_set_str (msg, "source", "/tmp/x.html");
            hny_msg_set_body (msg, "Hello\0world", 11);       /* bodies are bytes */
            break;
        case HNY_MSG_ACCEPTED:
            hny_msg_set_str (msg, "job", "17");
            hny_msg_set_str (msg, "key", "k");
            json_object_set_new (h, "existing", json_false ());
            hny_msg_set_str (msg, "state", "queued");
            break;
        case HNY_MSG_REJECTED:
            hny_msg_set_int (msg, "status", 422);
            hny_msg_set_str (msg, "reason", "unknown backend");
            hny_msg_set_str (msg, "job", "3");
            break;
        case HNY_MSG_STATUS:
            hny_msg_set_int (msg, "status", 200);
            hny_msg_set_str (msg, "job", "17");
            hny_msg_set_str (msg, "state", "translating");
            hny_msg_set_int (msg, "segments", 16);
            break;
        case HNY_MSG_WAIT:
            hny_msg_set_str (msg, "job", "17");
            hny_msg_set_int (msg, "timeout_ms", 3600000);
            break;
        case HNY_MSG_DONE:
            hny_msg_set_int (msg, "status", 300);
            hny_msg_set_str (msg, "job", "17");
            hny_msg_set_str (msg, "state", "translating");
            break;
        case HNY_MSG_FETCH:
            hny_msg_set_str (msg, "job", "17");
            break;
        case HNY_MSG_RECORD:
            hny_msg_set_int (msg, "status", 200);
            hny_msg_set_str (msg, "job", "17");
            hny_msg_set_body (msg, "{\"schema\":\"honyaku.record/1\"}", 29);
            break;
        case HNY_MSG_LIST:
            hny_msg_set_str (msg, "after", "10");
            hny_msg_set_int (msg, "limit", 1000);
            hny_msg_set_str (msg, "state", "done");
            break;
        case HNY_MSG_LISTING:
            hny_msg_set_int (msg, "status", 200);
            json_object_set_new (h, "jobs", json_pack ("[{s:s,s:s,s:s}]", "job", "1", "key", "k", "state", "done"));
            hny_msg_set_str (msg, "next", "1");
            break;
        case HNY_MSG_STATS:
            hny_msg_set_int (msg, "status", 200);
            json_object_set_new (h, "profiles", json_pack ("{s:{s:i}}", "pseudo", "requests", 3));
            break;
        case HNY_MSG_READY:
            hny_msg_set_int (msg, "credit", 8);
            json_object_set_new (h, "backends", json_pack ("[s,s]", "pseudo", "apertium"));
            hny_msg_set_str (msg, "name", "w1");
            hny_msg_set_int (msg, "pid", 1234);
            break;
        case HNY_MSG_TASK:
            hny_msg_set_str (msg, "task", "t1");
            hny_msg_set_str (msg, "kind", "translate");
            hny_msg_set_int (msg, "lease_ms", 60000);
            hny_msg_set_str (msg, "job", "17");
            hny_msg_set_str (msg, "profile", "pseudo");
            hny_msg_set_str (msg, "from", "en");
            hny_msg_set_str (msg, "to", "es");
            hny_msg_set_body (msg, "{\"segments\":[{\"id\":0,\"src\":\"Hi\"}]}", 34);
            break;
        case HNY_MSG_RESULT:
            hny_msg_set_str (msg, "task", "t1");
            hny_msg_set_int (msg, "status", 200);
            hny_msg_set_body (msg, "", 0);                     /* empty but present */
            break;
        case HNY_MSG_HEARTBEAT:
            break;
        case HNY_MSG_DISCONNECT:
            hny_msg_set_str (msg, "reason", "bye");
            break;
        default:
            assert (false);
    }
    return msg;
}

/* Send raw frames from the dealer. */
static void
s_send_raw (const char *const *frames, const size_t *sizes, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        int rc = zmq_send (s_dealer, frames [i], sizes [i], i + 1 < count ? ZMQ_SNDMORE : 0);
        assert (rc >= 0);
        (void) rc;
    }
}

/* Receive on the router, expecting an INVALID message of the given status. */
static void
s_expect_invalid (int status, const char *what)
{
    hny_msg_t *msg = hny_msg_recv (s_router);
    CHECK (msg != NULL);
    if (!msg)
        return;
    if (hny_msg_id (msg) != HNY_MSG_INVALID || hny_msg_error_status (msg) != status)
        fprintf (stderr, "  %s: id %d status %d reason %s (wanted %d)\n", what,
                 hny_msg_id (msg), hny_msg_error_status (msg),
                 hny_msg_error_reason (msg) ? hny_msg_error_reason (msg) : "-", status);
    CHECK (hny_msg_id (msg) == HNY_MSG_INVALID);
    CHECK (hny_msg_error_status (msg) == status);
    CHECK (hny_msg_error_reason (msg) && *hny_msg_error_reason (msg));
    size_t rsize = 0;
    const uint8_t *rid = hny_msg_routing_id (msg, &rsize);
    CHECK (rsize == 4 && memcmp (rid, "peer", 4) == 0);
    CHECK (!hny_msg_has_body (msg));

    /* The reply goes back on the same route. */
    hny_msg_t *reply = hny_msg_new_rejected (msg, hny_msg_error_status (msg), hny_msg_error_reason (msg));
    CHECK (hny_msg_send (&reply, s_router) == 0);
    CHECK (reply == NULL);
    hny_msg_t *back = hny_msg_recv (s_dealer);
    CHECK (back && hny_msg_id (back) == HNY_MSG_REJECTED);
    if (back)
        CHECK (hny_msg_get_int (back, "status", 0) == status);
    hny_msg_destroy (&back);
    hny_msg_destroy (&msg);
}

/* Check the socket pair still carries a clean message after hostile ones. */
static void
s_expect_clean (void)
{
    hny_msg_t *msg = s_sample (HNY_MSG_HEARTBEAT);
    CHECK (hny_msg_send (&msg, s_dealer) == 0);
    msg = hny_msg_recv (s_router);
    CHECK (msg && hny_msg_id (msg) == HNY_MSG_HEARTBEAT);
    hny_msg_destroy (&msg);
}

static void
s_test_roundtrip (void)
{
    for (int id = HNY_MSG_SUBMIT; id <= HNY_MSG_DISCONNECT; id++) {
        CHECK (hny_msg_command_name ((hny_msg_id_t) id) != NULL);
        /* dealer -> router */
        hny_msg_t *msg = s_sample ((hny_msg_id_t) id);
        hny_msg_t *copy = s_sample ((hny_msg_id_t) id);
        CHECK (hny_msg_send (&msg, s_dealer) == 0);
        hny_msg_t *got = hny_msg_recv (s_router);
        CHECK (got != NULL);
        if (!got)
            continue;
        if ((int) hny_msg_id (got) != id)
            fprintf (stderr, "  %s: came back as %d: %s\n", hny_msg_command_name ((hny_msg_id_t) id),
                     hny_msg_id (got), hny_msg_error_reason (got));
        CHECK ((int) hny_msg_id (got) == id);
        CHECK (json_equal (hny_msg_header (got), hny_msg_header (copy)));
        CHECK (hny_msg_has_body (got) == hny_msg_has_body (copy));
        size_t a = 0, b = 0;
        const uint8_t *ba = hny_msg_body (got, &a), *bb = hny_msg_body (copy, &b);
        CHECK (a == b && (a == 0 || memcmp (ba, bb, a) == 0));
        size_t rsize = 0;
        hny_msg_routing_id (got, &rsize);
        CHECK (rsize == 4);

        /* router -> dealer, on the route just learned */
        size_t rlen;
        const uint8_t *rid = hny_msg_routing_id (got, &rlen);
        hny_msg_set_routing_id (copy, rid, rlen);
        hny_msg_t *copy2 = s_sample ((hny_msg_id_t) id);
        CHECK (hny_msg_send (&copy, s_router) == 0);
        hny_msg_t *back = hny_msg_recv (s_dealer);
        CHECK (back && (int) hny_msg_id (back) == id);
        if (back) {
            CHECK (json_equal (hny_msg_header (back), hny_msg_header (copy2)));
            hny_msg_body (back, &a);
            hny_msg_body (copy2, &b);
            CHECK (a == b);
            hny_msg_routing_id (back, &rsize);
            CHECK (rsize == 0);
        }
        hny_msg_destroy (&back);
        hny_msg_destroy (&copy2);
        hny_msg_destroy (&got);
    }
    /* Accessors. */
    hny_msg_t *msg = s_sample (HNY_MSG_SUBMIT);
    CHECK (strcmp (hny_msg_get_str (msg, "from"), "en") == 0);
    CHECK (hny_msg_get_str (msg, "missing") == NULL);
    CHECK (hny_msg_get_str (msg, "lenient") == NULL);
    CHECK (hny_msg_get_int (msg, "req", -1) == 7);
    CHECK (hny_msg_get_int (msg, "from", -1) == -1);
    hny_msg_set_str (msg, "source", "caf\xE9-\xC3\xA9\xF0\x9F");    /* Latin-1, UTF-8, truncated */
    CHECK (strcmp (hny_msg_get_str (msg, "source"), "caf\xEF\xBF\xBD-\xC3\xA9\xEF\xBF\xBD\xEF\xBF\xBD") == 0);
    hny_msg_set_str (msg, "from", NULL);
    CHECK (hny_msg_get_str (msg, "from") == NULL);
    CHECK (hny_msg_command_name (HNY_MSG_INVALID) == NULL);
    CHECK (hny_msg_command_name ((hny_msg_id_t) 99) == NULL);
    hny_msg_destroy (&msg);
    CHECK (msg == NULL);
    hny_msg_destroy (&msg);                 /* NULL is fine */

    /* An invalid message is never sent. */
    msg = hny_msg_new (HNY_MSG_INVALID);
    CHECK (hny_msg_send (&msg, s_dealer) == -1);
    CHECK (msg == NULL);
}

static void
s_test_hostile (void)
{
    const char *sig = HNY_PROTO_SIGNATURE;
    size_t sl = strlen (sig);

    {   /* wrong signature, including a future version and an empty frame */
        const char *f [] = { "HNY/2", "STATUS", "{}" };
        size_t s [] = { 5, 6, 2 };
        s_send_raw (f, s, 3);
        s_expect_invalid (505, "HNY/2");
        const char *g [] = { "" };
        size_t t [] = { 0 };
        s_send_raw (g, t, 1);
        s_expect_invalid (505, "empty frame");
        const char *h [] = { "HNY/1x", "STATUS", "{}" };
        size_t u [] = { 6, 6, 2 };
        s_send_raw (h, u, 3);
        s_expect_invalid (505, "HNY/1x");
    }
    {   /* unknown commands, lower case, too long */
        const char *f [] = { sig, "FROBNICATE", "{}" };
        size_t s [] = { sl, 10, 2 };
        s_send_raw (f, s, 3);
        s_expect_invalid (501, "FROBNICATE");
        const char *g [] = { sig, "submit", "{}" };
        size_t t [] = { sl, 6, 2 };
        s_send_raw (g, t, 3);
        s_expect_invalid (501, "lower case");
        const char *h [] = { sig, "HEARTBEATHEARTBEATHEARTBEAT", "{}" };
        size_t u [] = { sl, 27, 2 };
        s_send_raw (h, u, 3);
        s_expect_invalid (501, "long command");
        const char *k [] = { sig, "STATUS\0", "{}" };
        size_t v [] = { sl, 7, 2 };
        s_send_raw (k, v, 3);
        s_expect_invalid (501, "trailing NUL");
    }
    {   /* too many frames: 5, and 9 (more than the receiver keeps) */
        const char *f [] = { sig, "HEARTBEAT", "{}", "", "", "", "", "", "" };
        size_t s [] = { sl, 9, 2, 0, 0, 0, 0, 0, 0 };
        s_send_raw (f, s, 5);
        s_expect_invalid (400, "5 frames");
        s_send_raw (f, s, 9);
        s_expect_invalid (400, "9 frames");
        s_expect_clean ();
    }
    {   /* too few frames */
        const char *f [] = { sig, "HEARTBEAT" };
        size_t s [] = { sl, 9 };
        s_send_raw (f, s, 2);
        s_expect_invalid (400, "no header");
        s_send_raw (f, s, 1);
        s_expect_invalid (400, "signature only");
    }
    {   /* header over the cap: 413; exactly at the cap: fine */
        size_t big = HNY_PROTO_HEADER_MAX + 1;
        char *header = hny_malloc (big);
        memset (header, ' ', big);
        header [0] = '{';
        header [big - 1] = '}';
        const char *f [] = { sig, "HEARTBEAT", header };
        size_t s [] = { sl, 9, big };
        s_send_raw (f, s, 3);
        s_expect_invalid (413, "big header");
        s [2] = big - 1;
        header [big - 2] = '}';
        s_send_raw (f, s, 3);
        hny_msg_t *msg = hny_msg_recv (s_router);
        CHECK (msg && hny_msg_id (msg) == HNY_MSG_HEARTBEAT);
        hny_msg_destroy (&msg);
        free (header);
    }
    {   /* body over the cap: decoded from memory, the bytes are never read */
        const uint8_t *frames [] = { (const uint8_t *) sig, (const uint8_t *) "SUBMIT",
                                     (const uint8_t *) "{\"from\":\"en\",\"to\":\"es\"}",
                                     (const uint8_t *) "" };
        size_t sizes [] = { sl, 6, 23, (size_t) HNY_PROTO_BODY_MAX + 1 };
        hny_msg_t *msg = hny_msg_decode (frames, sizes, 4);
        CHECK (hny_msg_id (msg) == HNY_MSG_INVALID && hny_msg_error_status (msg) == 413);
        hny_msg_destroy (&msg);
        sizes [3] = 0;
        msg = hny_msg_decode (frames, sizes, 4);
        CHECK (hny_msg_id (msg) == HNY_MSG_SUBMIT && hny_msg_has_body (msg));
        hny_msg_destroy (&msg);
        msg = hny_msg_decode (NULL, NULL, 0);
        CHECK (hny_msg_id (msg) == HNY_MSG_INVALID && hny_msg_error_status (msg) == 400);
        hny_msg_destroy (&msg);
    }
    /* Bad headers, each 400. */
    static const struct { const char *command; const char *header; const char *what; } bad [] = {
        { "HEARTBEAT", "", "empty header" },
        { "HEARTBEAT", "{", "truncated JSON" },
        { "HEARTBEAT", "[]", "array header" },
        { "HEARTBEAT", "\"x\"", "string header" },
        { "HEARTBEAT", "{} {}", "trailing data" },
        { "HEARTBEAT", "{\"a\":1,\"a\":2}", "duplicate key" },
        { "HEARTBEAT", "{\"a\":\"\xC3\x28\"}", "invalid UTF-8" },
        { "HEARTBEAT", "{\"a\":\"\xED\xA0\x80\"}", "surrogate in UTF-8" },
        { "HEARTBEAT", "{\"a\":[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]}", "depth 17" },
        { "HEARTBEAT", "{\"req\":true}", "req of the wrong type" },
        { "HEARTBEAT", "{\"req\":\"12345678901234567890123456789012345678901234567890123456789012345\"}", "req too long" },
        { "SUBMIT", "{\"to\":\"es\"}", "SUBMIT without from" },
        { "SUBMIT", "{\"from\":1,\"to\":\"es\"}", "SUBMIT from of the wrong type" },
        { "SUBMIT", "{\"from\":\"en\",\"to\":\"es\",\"lenient\":1}", "lenient not a bool" },
        { "SUBMIT", "{\"from\":\"en\",\"to\":\"es\",\"metadata\":[]}", "metadata not an object" },
        { "ACCEPTED", "{\"job\":\"1\",\"key\":\"k\",\"state\":\"queued\"}", "ACCEPTED without existing" },
        { "REJECTED", "{\"status\":42,\"reason\":\"x\"}", "status out of range" },
        { "REJECTED", "{\"status\":400}", "REJECTED without reason" },
        { "STATUS", "{\"job\":17}", "STATUS job as integer" },
        { "STATUS", "{\"job\":\"a\\u0000b\"}", "NUL in a string" },
        { "WAIT", "{}", "WAIT without job" },
        { "HEARTBEAT", "{\"req\":\"a\\u0000\"}", "NUL in req" },
        { "READY", "{\"credit\":1,\"backends\":[\"a\\u0000\"]}", "NUL in backends" },
        { "WAIT", "{\"job\":\"1\",\"timeout_ms\":-1}", "negative timeout" },
        { "WAIT", "{\"job\":\"1\",\"timeout_ms\":3600001}", "timeout over the max" },
        { "WAIT", "{\"job\":\"1\",\"timeout_ms\":1.5}", "timeout a real" },
        { "DONE", "{\"status\":200,\"job\":\"1\"}", "DONE without state" },
        { "FETCH", "{\"job\":null}", "FETCH job null" },
        { "LIST", "{\"limit\":0}", "LIST limit 0" },
        { "LISTING", "{\"status\":200,\"jobs\":{}}", "jobs not an array" },
        { "STATS", "{\"status\":200}", "STATS reply without profiles" },
        { "READY", "{\"credit\":0,\"backends\":[\"pseudo\"]}", "credit 0" },
        { "READY", "{\"credit\":1,\"backends\":[\"pseudo\",2]}", "backends not strings" },
        { "READY", "{\"credit\":1}", "READY without backends" },
        { "TASK", "{\"task\":\"t\",\"kind\":\"prepare\"}", "TASK without lease_ms" },
        { "RESULT", "{\"status\":200}", "RESULT without task" },
        { "DISCONNECT", "{\"reason\":5}", "reason not a string" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        const char *f [] = { sig, bad [i].command, bad [i].header };
        size_t s [] = { sl, strlen (bad [i].command), strlen (bad [i].header) };
        s_send_raw (f, s, 3);
        s_expect_invalid (400, bad [i].what);
    }
    /* Depth 16 is fine; so is a STATS request without profiles. */
    {
        const char *ok [][2] = {
            { "HEARTBEAT", "{\"a\":[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]}" },
            { "STATS", "{}" },
            { "STATUS", "{}" },
            { "HEARTBEAT", "{\"unknown\":{\"x\":[1,2]},\"req\":\"abc\"}" },
            { "HEARTBEAT", "{\"s\":\"]]]]}}}\\\"[[[[[[[[[[[[[[[[[[[[\"}" },
        };
        for (size_t i = 0; i < sizeof ok / sizeof ok [0]; i++) {
            const char *f [] = { sig, ok [i][0], ok [i][1] };
            size_t s [] = { sl, strlen (ok [i][0]), strlen (ok [i][1]) };
            s_send_raw (f, s, 3);
            hny_msg_t *msg = hny_msg_recv (s_router);
            CHECK (msg && hny_msg_id (msg) != HNY_MSG_INVALID);
            if (msg && hny_msg_id (msg) == HNY_MSG_INVALID)
                fprintf (stderr, "  ok[%zu]: %s\n", i, hny_msg_error_reason (msg));
            hny_msg_destroy (&msg);
        }
    }
    {   /* body presence */
        const char *f [] = { sig, "STATUS", "{}", "body" };
        size_t s [] = { sl, 6, 2, 4 };
        s_send_raw (f, s, 4);
        s_expect_invalid (400, "STATUS with a body");
        const char *g [] = { sig, "SUBMIT", "{\"from\":\"en\",\"to\":\"es\"}" };
        size_t t [] = { sl, 6, 23 };
        s_send_raw (g, t, 3);
        s_expect_invalid (400, "SUBMIT without a body");
        const char *h [] = { sig, "RESULT", "{\"task\":\"t\",\"status\":503}" };
        size_t u [] = { sl, 6, strlen (h [2]) };
        s_send_raw (h, u, 3);
        hny_msg_t *msg = hny_msg_recv (s_router);
        CHECK (msg && hny_msg_id (msg) == HNY_MSG_RESULT && !hny_msg_has_body (msg));
        CHECK (msg && hny_msg_body (msg, NULL) == NULL);
        hny_msg_destroy (&msg);
    }
    s_expect_clean ();
}

static void
s_test_rejected (void)
{
    /* A request that parsed but failed a field check keeps job and req. */
    const char *f [] = { HNY_PROTO_SIGNATURE, "WAIT", "{\"job\":\"42\",\"req\":\"r-1\",\"timeout_ms\":\"x\"}" };
    size_t s [] = { strlen (HNY_PROTO_SIGNATURE), 4, strlen (f [2]) };
    s_send_raw (f, s, 3);
    hny_msg_t *msg = hny_msg_recv (s_router);
    CHECK (msg && hny_msg_id (msg) == HNY_MSG_INVALID && hny_msg_error_status (msg) == 400);
    hny_msg_t *reply = hny_msg_new_rejected (msg, 400, hny_msg_error_reason (msg));
    CHECK (hny_msg_id (reply) == HNY_MSG_REJECTED);
    CHECK (strcmp (hny_msg_get_str (reply, "job"), "42") == 0);
    CHECK (strcmp (hny_msg_get_str (reply, "req"), "r-1") == 0);
    CHECK (hny_msg_get_int (reply, "status", 0) == 400);
    CHECK (strstr (hny_msg_get_str (reply, "reason"), "timeout_ms") != NULL);
    size_t rsize = 0;
    const uint8_t *rid = hny_msg_routing_id (reply, &rsize);
    CHECK (rsize == 4 && memcmp (rid, "peer", 4) == 0);
    CHECK (hny_msg_send (&reply, s_router) == 0);
    hny_msg_t *back = hny_msg_recv (s_dealer);
    CHECK (back && hny_msg_id (back) == HNY_MSG_REJECTED);
    CHECK (back && strcmp (hny_msg_get_str (back, "job"), "42") == 0);
    hny_msg_destroy (&back);
    hny_msg_destroy (&msg);

    /* From a valid request with an integer req, without job; empty reason. */
    msg = s_sample (HNY_MSG_STATS);
    reply = hny_msg_new_rejected (msg, 503, NULL);
    CHECK (hny_msg_get_int (reply, "req", 0) == 7);
    CHECK (hny_msg_get_str (reply, "job") == NULL);
    CHECK (hny_msg_get_str (reply, "reason") && *hny_msg_get_str (reply, "reason"));
    hny_msg_destroy (&reply);
    hny_msg_destroy (&msg);
}

int
main (void)
{
    hny_log_init ("test_proto", HNY_LOG_WARN);
    s_ctx = zmq_ctx_new ();
    s_dealer = zmq_socket (s_ctx, ZMQ_DEALER);
    s_router = zmq_socket (s_ctx, ZMQ_ROUTER);
    int timeout = 5000;         /* a lost message fails the test, never hangs it */
    zmq_setsockopt (s_dealer, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_setsockopt (s_router, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_setsockopt (s_dealer, ZMQ_ROUTING_ID, "peer", 4);
    int rc = zmq_bind (s_router, "inproc://test_proto");
    assert (rc == 0);
    rc = zmq_connect (s_dealer, "inproc://test_proto");
    assert (rc == 0);
    (void) rc;

    s_test_roundtrip ();
    s_test_hostile ();
    s_test_rejected ();

    zmq_close (s_dealer);
    zmq_close (s_router);
    zmq_ctx_term (s_ctx);
    printf ("test_proto: %d checks, %d failures\n", s_checks, s_failures);
    return s_failures ? 1 : 0;
}
