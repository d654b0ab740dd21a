/*  test_proto.c: the HNY/1 codec (proto/hny_proto.c) over real ZeroMQ
    sockets: every message id round-trips DEALER -> ROUTER and back, and
    every malformed shape PROTOCOL.md names comes back as HNY_MSG_INVALID
    with the right status and the sender's routing id, after which the
    socket still reads the next message cleanly. */

#include "honyaku/proto.h"
#include "honyaku/util.h"

#include "hny_check.h"

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

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
            hny_msg_set_str (msg, "key", "k");
            hny_msg_set_str (msg, "state", "translating");
            hny_msg_set_int (msg, "segments", 16);
            hny_msg_set_int (msg, "done", 3);
            hny_msg_set_int (msg, "failed", 0);
            hny_msg_set_int (msg, "created", 1700000000000);
            hny_msg_set_str (msg, "backend", "pseudo");
            hny_msg_set_str (msg, "waiting", "no worker serves profile pseudo");
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
            json_object_set_new (h, "jobs", json_pack ("{s:i}", "done", 2));
            hny_msg_set_int (msg, "workers", 2);
            json_object_set_new (h, "queue", json_pack ("{s:i, s:i}", "prepare", 0, "translate", 1));
            json_object_set_new (h, "leased", json_pack ("{s:i, s:i}", "prepare", 1, "translate", 0));
            json_object_set_new (h, "job_seconds", json_pack ("{s:{s:[f], s:[i], s:i, s:f}}", "done",
                                                              "le", 0.1, "counts", 1, "count", 2,
                                                              "sum", 0.25));
            hny_msg_set_int (msg, "since", 1700000000000);
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
            json_object_set_new (h, "calls", json_pack ("[{s:s, s:i}, {s:s, s:i}]", "status", "429",
                                                        "ms", 12, "status", "timeout", "ms", 30000));
            hny_msg_set_body (msg, "", 0);                     /* empty but present */
            break;
        case HNY_MSG_HEARTBEAT:
            hny_msg_set_int (msg, "heartbeat_ms", 1000);
            json_object_set_new (h, "tasks", json_pack ("[s,s]", "T1.1", "T2.1"));
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

/* Decode one message from memory: signature, command, header, and a
   body when body is not NULL. */
static hny_msg_t *
s_decode (const char *command, const char *header, size_t header_size, const char *body)
{
    const uint8_t *frames [] = { (const uint8_t *) HNY_PROTO_SIGNATURE, (const uint8_t *) command,
                                 (const uint8_t *) header, (const uint8_t *) body };
    size_t sizes [] = { strlen (HNY_PROTO_SIGNATURE), strlen (command), header_size,
                        body ? strlen (body) : 0 };
    return hny_msg_decode (frames, sizes, body ? 4 : 3);
}

/* A REJECTED built for msg must itself decode as a valid REJECTED: what
   the broker answers passes the client's codec. */
static void
s_check_rejected_valid (const hny_msg_t *msg)
{
    hny_msg_t *reply = hny_msg_new_rejected (msg, hny_msg_error_status (msg), hny_msg_error_reason (msg));
    char *text = json_dumps (hny_msg_header (reply), JSON_COMPACT);
    hny_msg_t *back = s_decode ("REJECTED", text, strlen (text), NULL);
    CHECK (hny_msg_id (back) == HNY_MSG_REJECTED);
    if (hny_msg_id (back) != HNY_MSG_REJECTED)
        fprintf (stderr, "  REJECTED %s: %s\n", text, hny_msg_error_reason (back));
    hny_msg_destroy (&back);
    free (text);
    hny_msg_destroy (&reply);
}

/* PROTOCOL.md section 4: U+0000 and numbers past jansson's range in
   members a message does not define are ignored; in the fields it
   defines they make the message malformed (400 naming the field), and
   the REJECTED keeps req and job when those are valid. Section 5.5: the
   HEARTBEAT fields and their caps. Section 5.2: the STATUS reply's
   fields. */
/* header (taken) with field = full (taken), an array at its item cap,
   decodes as command; with one more item (taken) it is a 400 naming
   field. */
static void
s_check_items_cap (const char *command, json_t *header, const char *field, json_t *full,
                   json_t *more)
{
    json_object_set_new (header, field, full);
    char *text = json_dumps (header, JSON_COMPACT);
    hny_msg_t *msg = s_decode (command, text, strlen (text), NULL);
    CHECK (hny_msg_id (msg) != HNY_MSG_INVALID
           && strcmp (hny_msg_command_name (hny_msg_id (msg)), command) == 0);
    hny_msg_destroy (&msg);
    free (text);
    json_array_append_new (full, more);
    text = json_dumps (header, JSON_COMPACT);
    msg = s_decode (command, text, strlen (text), NULL);
    char quoted [64];
    snprintf (quoted, sizeof quoted, "'%s'", field);
    CHECK (hny_msg_id (msg) == HNY_MSG_INVALID && hny_msg_error_status (msg) == 400
           && strstr (hny_msg_error_reason (msg), quoted));
    hny_msg_destroy (&msg);
    free (text);
    json_decref (header);
}

static void
s_test_fields (void)
{
    static const struct {
        const char *command;
        const char *header;
        const char *body;       /* NULL: 3 frames */
        int status;             /* 0: valid */
        const char *reason;     /* a part of the reason (the field named) */
        const char *req;        /* JSON of the REJECTED's req; NULL: absent */
        const char *job;        /* the REJECTED's job; NULL: absent */
    } cases [] = {
        /* U+0000 where the message does not define the member: fine */
        { "HEARTBEAT", "{\"x\":\"a\\u0000b\",\"req\":1}", NULL, 0, NULL, NULL, NULL },
        { "SUBMIT", "{\"from\":\"en\",\"to\":\"es\",\"note\":\"\\u0000\",\"trace\":[\"\\u0000\"]}", "Hi.",
          0, NULL, NULL, NULL },
        { "STATUS", "{\"job\":\"1\",\"x\":{\"k\\u0000\":1}}", NULL, 0, NULL, NULL, NULL },
        { "STATUS", "{\"a\\u0000\":1,\"job\":\"1\"}", NULL, 0, NULL, NULL, NULL },
        { "STATUS", "{\"job\\u0000\":\"x\"}", NULL, 0, NULL, NULL, NULL },
        { "WAIT", "{\"job\":\"1\",\"big\":99999999999999999999,\"huge\":1e400,\"neg\":-99999999999999999999}",
          NULL, 0, NULL, NULL, NULL },
        { "STATUS", "{\"segments\":\"x\",\"workers\":{},\"key\":1}", NULL, 0, NULL, NULL, NULL },
        /* ... but names stay unique, and the rest must still be JSON */
        { "HEARTBEAT", "{\"a\\u0000\":1,\"a\\u0000\":2}", NULL, 400, "JSON", NULL, NULL },
        { "HEARTBEAT", "{\"x\":{\"k\\u0000\":1},\"x\":2}", NULL, 400, "JSON", NULL, NULL },
        { "HEARTBEAT", "{\"x\":{\"k\\u0000\":1},\"y\":}", NULL, 400, "JSON", NULL, NULL },
        { "HEARTBEAT", "{\"x\":{\"k\\u0000\":1}} x", NULL, 400, "JSON", NULL, NULL },
        { "HEARTBEAT", "{\"x\":{\"k\\u0000\":1},\"y\":[1}]}", NULL, 400, "JSON", NULL, NULL },
        /* U+0000 in a defined field: 400 naming it; req and job kept when valid */
        { "SUBMIT", "{\"from\":\"e\\u0000n\",\"to\":\"es\",\"req\":\"r-9\"}", "Hi.", 400, "'from'",
          "\"r-9\"", NULL },
        { "WAIT", "{\"job\":\"42\",\"req\":5,\"x\":\"\\u0000\",\"timeout_ms\":\"x\"}", NULL, 400,
          "'timeout_ms'", "5", "42" },
        { "FETCH", "{\"job\":\"4\\u00002\",\"req\":7}", NULL, 400, "'job'", "7", NULL },
        { "STATUS", "{\"job\":\"1\",\"req\":\"a\\u0000\"}", NULL, 400, "'req'", NULL, "1" },
        { "READY", "{\"credit\":1,\"backends\":[\"pseudo\",\"a\\u0000\"],\"req\":\"w\"}", NULL, 400,
          "'backends'", "\"w\"", NULL },
        { "REJECTED", "{\"status\":400,\"reason\":\"a\\u0000b\"}", NULL, 400, "'reason'", NULL, NULL },
        { "DISCONNECT", "{\"reason\":\"\\u0000\"}", NULL, 400, "'reason'", NULL, NULL },
        { "SUBMIT", "{\"from\":\"en\",\"to\":\"es\",\"req\":1,\"metadata\":{\"a\":[\"\\u0000\"]}}", "Hi.",
          400, "'metadata'", "1", NULL },
        { "SUBMIT", "{\"from\":\"en\",\"to\":\"es\",\"req\":2,\"metadata\":{\"a\\u0000\":1}}", "Hi.",
          400, "'metadata'", "2", NULL },
        { "LISTING", "{\"status\":200,\"jobs\":[{\"job\":\"\\u0000\"}]}", NULL, 400, "'jobs'", NULL, NULL },
        /* SUBMIT's metadata: the members section 12 names keep their types */
        { "SUBMIT", "{\"from\":\"en\",\"to\":\"es\",\"metadata\":{\"title\":\"T\",\"date\":\"2019-04-21\","
                    "\"issue\":\"7\",\"section\":\"S\",\"kicker\":\"K\",\"source\":\"s\",\"author\":[1,{}],"
                    "\"related\":[{\"title\":\"r\"},{\"title\":\"q\",\"date\":\"2018\"}],"
                    "\"charset\":7}}", "Hi.", 0, NULL, NULL, NULL },
        { "SUBMIT", "{\"from\":\"en\",\"to\":\"es\",\"metadata\":{\"date\":\"2019-04\"}}", "Hi.",
          0, NULL, NULL, NULL },
        { "SUBMIT", "{\"from\":\"en\",\"to\":\"es\",\"req\":8,\"metadata\":{\"title\":5}}", "Hi.",
          400, "'title'", "8", NULL },
        { "SUBMIT", "{\"from\":\"en\",\"to\":\"es\",\"metadata\":{\"date\":\"April 21, 2019\"}}", "Hi.",
          400, "'date'", NULL, NULL },
        { "SUBMIT", "{\"from\":\"en\",\"to\":\"es\",\"metadata\":{\"date\":\"2019-4-21\"}}", "Hi.",
          400, "'date'", NULL, NULL },
        { "SUBMIT", "{\"from\":\"en\",\"to\":\"es\",\"metadata\":{\"related\":{}}}", "Hi.",
          400, "'related'", NULL, NULL },
        { "SUBMIT", "{\"from\":\"en\",\"to\":\"es\",\"metadata\":{\"related\":[{\"date\":\"2018\"}]}}",
          "Hi.", 400, "'related'", NULL, NULL },
        { "SUBMIT", "{\"from\":\"en\",\"to\":\"es\",\"metadata\":{\"related\":[{\"title\":\"t\",\"url\":\"u\"}]}}",
          "Hi.", 400, "'related'", NULL, NULL },
        { "SUBMIT", "{\"from\":\"en\",\"to\":\"es\",\"metadata\":{\"related\":[\"t\"]}}",
          "Hi.", 400, "'related'", NULL, NULL },
        /* an align SUBMIT (5.1): kind, src_bytes, target_source */
        { "SUBMIT", "{\"from\":\"en\",\"to\":\"ja\",\"kind\":\"align\",\"src_bytes\":2,"
                    "\"target_source\":\"ja/a.txt\"}", "Hi.", 0, NULL, NULL, NULL },
        { "SUBMIT", "{\"from\":\"en\",\"to\":\"ja\",\"kind\":\"align\",\"src_bytes\":67108864}", "Hi.",
          0, NULL, NULL, NULL },
        { "SUBMIT", "{\"from\":\"en\",\"to\":\"ja\",\"kind\":\"align\",\"src_bytes\":67108865}", "Hi.",
          400, "'src_bytes'", NULL, NULL },
        { "SUBMIT", "{\"from\":\"en\",\"to\":\"ja\",\"kind\":\"align\",\"src_bytes\":-1}", "Hi.",
          400, "'src_bytes'", NULL, NULL },
        { "SUBMIT", "{\"from\":\"en\",\"to\":\"ja\",\"kind\":\"align\",\"src_bytes\":\"2\"}", "Hi.",
          400, "'src_bytes'", NULL, NULL },
        { "SUBMIT", "{\"from\":\"en\",\"to\":\"ja\",\"kind\":\"alignment-of-two-texts\"}", "Hi.",
          400, "'kind'", NULL, NULL },
        { "SUBMIT", "{\"from\":\"en\",\"to\":\"ja\",\"kind\":7}", "Hi.", 400, "'kind'", NULL, NULL },
        { "SUBMIT", "{\"from\":\"en\",\"to\":\"ja\",\"target_source\":[\"a\"]}", "Hi.",
          400, "'target_source'", NULL, NULL },
        { "TASK", "{\"task\":\"T1.1\",\"kind\":\"align\",\"lease_ms\":5,\"from\":\"en\",\"to\":\"ja\"}",
          "{}", 0, NULL, NULL, NULL },
        /* numbers past jansson's range in a defined field */
        { "WAIT", "{\"job\":\"1\",\"timeout_ms\":1e400,\"req\":3}", NULL, 400, "'timeout_ms'", "3", "1" },
        { "WAIT", "{\"job\":\"1\",\"req\":99999999999999999999}", NULL, 400, "'req'", NULL, "1" },
        { "STATUS", "{\"status\":1e999,\"job\":\"1\"}", NULL, 400, "'status'", NULL, "1" },
        /* req: a string of at most 64 bytes, or an integer */
        { "STATS", "{\"req\":\"1234567890123456789012345678901234567890123456789012345678901234\"}",
          NULL, 0, NULL, NULL, NULL },
        { "STATS", "{\"req\":-9223372036854775808}", NULL, 0, NULL, NULL, NULL },
        { "STATS", "{\"req\":1.5}", NULL, 400, "'req'", NULL, NULL },
        { "STATS", "{\"req\":null,\"job\":\"9\"}", NULL, 400, "'req'", NULL, "9" },
        /* REJECTED copies job only when valid */
        { "WAIT", "{\"job\":\"12345678901234567890123456789012345678901234567890123456789012345\",\"req\":4}",
          NULL, 400, "'job'", "4", NULL },
        /* HEARTBEAT, section 5.5 */
        { "HEARTBEAT", "{\"heartbeat_ms\":1}", NULL, 0, NULL, NULL, NULL },
        { "HEARTBEAT", "{\"heartbeat_ms\":600000,\"tasks\":[]}", NULL, 0, NULL, NULL, NULL },
        { "HEARTBEAT", "{\"heartbeat_ms\":0}", NULL, 400, "'heartbeat_ms'", NULL, NULL },
        { "HEARTBEAT", "{\"heartbeat_ms\":600001}", NULL, 400, "'heartbeat_ms'", NULL, NULL },
        { "HEARTBEAT", "{\"heartbeat_ms\":\"1000\"}", NULL, 400, "'heartbeat_ms'", NULL, NULL },
        { "HEARTBEAT", "{\"heartbeat_ms\":1000.0}", NULL, 400, "'heartbeat_ms'", NULL, NULL },
        { "HEARTBEAT", "{\"tasks\":\"T1.1\"}", NULL, 400, "'tasks'", NULL, NULL },
        { "HEARTBEAT", "{\"tasks\":[\"T1.1\",2]}", NULL, 400, "'tasks'", NULL, NULL },
        { "HEARTBEAT", "{\"tasks\":[\"T\\u0000\"]}", NULL, 400, "'tasks'", NULL, NULL },
        { "HEARTBEAT", "{\"tasks\":[\"1234567890123456789012345678901234567890123456789012345678901234\"]}",
          NULL, 0, NULL, NULL, NULL },
        { "HEARTBEAT", "{\"tasks\":[\"12345678901234567890123456789012345678901234567890123456789012345\"]}",
          NULL, 400, "'tasks'", NULL, NULL },
        /* STATUS reply, section 5.2: a job's status has its required fields */
        { "STATUS", "{\"status\":200,\"job\":\"1\",\"state\":\"done\"}", NULL, 400, "'key'", NULL, "1" },
        { "STATUS", "{\"status\":200,\"job\":\"1\",\"key\":\"k\",\"state\":\"done\",\"segments\":1,"
                    "\"done\":1,\"failed\":0,\"created\":5}", NULL, 400, "'backend'", NULL, "1" },
        { "STATUS", "{\"status\":200,\"job\":\"1\",\"key\":\"k\",\"state\":\"done\",\"segments\":1,"
                    "\"done\":1,\"failed\":\"0\",\"created\":5,\"backend\":\"b\"}", NULL, 400, "'failed'",
          NULL, "1" },
        { "STATUS", "{\"status\":200,\"jobs\":{},\"workers\":0,\"queue\":{},\"profiles\":[],"
                    "\"store\":\"ok\",\"draining\":true,\"version\":\"1\"}", NULL, 0, NULL, NULL, NULL },
        { "STATUS", "{\"status\":200}", NULL, 0, NULL, NULL, NULL },
        { "STATUS", "{\"status\":200,\"workers\":\"2\"}", NULL, 400, "'workers'", NULL, NULL },
        { "STATUS", "{\"status\":200,\"profiles\":{}}", NULL, 400, "'profiles'", NULL, NULL },
        { "STATUS", "{\"status\":200,\"draining\":1}", NULL, 400, "'draining'", NULL, NULL },
        { "STATUS", "{\"status\":200,\"store\":[]}", NULL, 400, "'store'", NULL, NULL },
        { "STATUS", "{\"status\":200,\"job\":\"1\",\"key\":\"k\",\"state\":\"failed\",\"segments\":0,"
                    "\"done\":0,\"failed\":0,\"created\":5,\"backend\":\"b\",\"error\":3}", NULL, 400,
          "'error'", NULL, "1" },
        /* STATS reply, section 5.2: the members a monitoring system reads */
        { "STATS", "{\"status\":200,\"profiles\":{},\"jobs\":{},\"workers\":1,\"queue\":{},"
                   "\"leased\":{},\"job_seconds\":{},\"since\":5}", NULL, 0, NULL, NULL, NULL },
        { "STATS", "{\"status\":200,\"profiles\":{},\"since\":\"5\"}", NULL, 400, "'since'", NULL, NULL },
        { "STATS", "{\"status\":200,\"profiles\":{},\"leased\":[]}", NULL, 400, "'leased'", NULL, NULL },
        { "STATS", "{\"status\":200,\"profiles\":{},\"job_seconds\":1}", NULL, 400, "'job_seconds'",
          NULL, NULL },
        /* RESULT calls, section 5.3: an array (its items are the broker's to judge) */
        { "RESULT", "{\"task\":\"t\",\"status\":200,\"calls\":[{\"status\":\"200\",\"ms\":3},7]}",
          NULL, 0, NULL, NULL, NULL },
        { "RESULT", "{\"task\":\"t\",\"status\":200,\"calls\":{}}", NULL, 400, "'calls'", NULL, NULL },
        { "RESULT", "{\"task\":\"t\",\"status\":200,\"calls\":[\"\\u0000\"]}", NULL, 400, "'calls'",
          NULL, NULL },
        /* a raw control character is not JSON */
        { "HEARTBEAT", "{\"x\":\"\x01\"}", NULL, 400, "JSON", NULL, NULL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        hny_msg_t *msg = s_decode (cases [i].command, cases [i].header, strlen (cases [i].header),
                                   cases [i].body);
        int status = hny_msg_id (msg) == HNY_MSG_INVALID ? hny_msg_error_status (msg) : 0;
        const char *reason = hny_msg_error_reason (msg);
        bool ok = status == cases [i].status
               && (!cases [i].reason || (reason && strstr (reason, cases [i].reason)));
        CHECK (ok);
        if (!ok)
            fprintf (stderr, "  case %zu %s %s: status %d (%s), wanted %d (%s)\n", i,
                     cases [i].command, cases [i].header, status, reason ? reason : "-",
                     cases [i].status, cases [i].reason ? cases [i].reason : "-");
        if (status) {
            hny_msg_t *reply = hny_msg_new_rejected (msg, status, reason);
            json_t *req = json_object_get (hny_msg_header (reply), "req");
            char *req_text = req ? json_dumps (req, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
            const char *job = hny_msg_get_str (reply, "job");
            bool echo = (cases [i].req ? req_text && strcmp (req_text, cases [i].req) == 0 : !req)
                     && (cases [i].job ? job && strcmp (job, cases [i].job) == 0 : !job);
            CHECK (echo);
            if (!echo)
                fprintf (stderr, "  case %zu: REJECTED req %s job %s, wanted %s %s\n", i,
                         req_text ? req_text : "-", job ? job : "-",
                         cases [i].req ? cases [i].req : "-", cases [i].job ? cases [i].job : "-");
            free (req_text);
            hny_msg_destroy (&reply);
            s_check_rejected_valid (msg);
        }
        hny_msg_destroy (&msg);
    }

    /* An unknown member's U+0000 stays in the header, unchanged. */
    hny_msg_t *msg = s_decode ("HEARTBEAT", "{\"x\":\"a\\u0000b\"}", 16, NULL);
    json_t *x = json_object_get (hny_msg_header (msg), "x");
    CHECK (json_string_length (x) == 3 && memcmp (json_string_value (x), "a\0b", 3) == 0);
    hny_msg_destroy (&msg);
    /* Members dropped by the member-by-member load do not hide the others. */
    msg = s_decode ("WAIT", "{\"x\":{\"k\\u0000\":1},\"job\":\"7\",\"timeout_ms\":5}", 44, NULL);
    CHECK (hny_msg_id (msg) == HNY_MSG_WAIT && strcmp (hny_msg_get_str (msg, "job"), "7") == 0
           && hny_msg_get_int (msg, "timeout_ms", 0) == 5 && !json_object_get (hny_msg_header (msg), "x"));
    hny_msg_destroy (&msg);

    /* Arrays with an item cap: at the cap it decodes, one more is a 400
       naming the field. */
    json_t *tasks = json_array ();
    for (int i = 0; i < 1000; i++) {
        char id [16];
        snprintf (id, sizeof id, "T%d.1", i);
        json_array_append_new (tasks, json_string (id));
    }
    s_check_items_cap ("HEARTBEAT", json_object (), "tasks", tasks, json_string ("T1000.1"));
    json_t *calls = json_array ();
    for (int i = 0; i < HNY_PROTO_CALLS_MAX; i++)
        json_array_append_new (calls, json_pack ("{s:s, s:i}", "status", "200", "ms", i));
    s_check_items_cap ("RESULT", json_pack ("{s:s, s:i}", "task", "T1.1", "status", 200), "calls",
                       calls, json_pack ("{s:s, s:i}", "status", "200", "ms", 1));

    /* The encoder never sends a header over its cap (section 3). */
    msg = hny_msg_new (HNY_MSG_STATS);
    char *big = hny_malloc (HNY_PROTO_HEADER_MAX + 1);
    memset (big, 'x', HNY_PROTO_HEADER_MAX);
    big [HNY_PROTO_HEADER_MAX] = 0;
    hny_msg_set_str (msg, "pad", big);
    free (big);
    errno = 0;
    CHECK (hny_msg_send (&msg, s_dealer) == -1 && errno == EMSGSIZE && msg == NULL);
    s_expect_clean ();
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
    s_test_fields ();

    zmq_close (s_dealer);
    zmq_close (s_router);
    zmq_ctx_term (s_ctx);
    return s_check_done ("test_proto");
}
