/*  honyaku.c: the honyaku command, a thin shell over libhonyaku.

        honyaku [-v] [--endpoint EP] [--timeout MS] [--server-key K --key-file F] COMMAND [ARGS]

    This file holds main (global options, dispatch, help), the shared CLI
    helpers of hny_cli.h and the small commands: submit, status, wait, fetch,
    stats, prepare (the in-process dry run) and keygen (CURVE key pairs). batch, export and qa live
    in hny_cli_batch.c, hny_cli_export.c and hny_cli_qa.c. Errors are one line on stderr,
    "honyaku: CMD: what: why"; usage errors exit 2. */
#include "hny_cli.h"
#include "honyaku/config.h"
#include "honyaku/metrics.h"
#include "honyaku/util.h"
#ifdef HNY_HAVE_PREPARE
#include "honyaku/prepare.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include <zmq.h>

#ifndef HNY_VERSION
#define HNY_VERSION "0.0.0"
#endif

/* The service's client socket: the packaged unit's RuntimeDirectory=honyaku. */
#ifndef HNY_SERVICE_FRONT
#define HNY_SERVICE_FRONT "/run/honyaku/front"
#endif

/* ---- help ------------------------------------------------------------- */

typedef struct {
    const char *name;
    const char *usage;          /* synopsis after "honyaku NAME" */
    const char *text;           /* what it does and its options */
} s_help_t;

static const s_help_t s_helps [] = {
    { "submit", "FILE... --from L --to L [--backend NAME] [--key K] [--format F] [--lenient] [--wait]",
      "Submit articles (\"-\" reads standard input). Prints JOB<TAB>FILE per file;\n"
      "with --wait, waits for each job and prints JOB<TAB>FILE<TAB>STATE.\n"
      "  --from L, --to L   source and target language (required)\n"
      "  --backend NAME     backend profile (default: the daemon's)\n"
      "  --key K            idempotency key (one file only; default: derived by the daemon)\n"
      "  --format F         auto (default), text, plain, html, jpw\n"
      "  --lenient          replace undecodable bytes instead of failing\n"
      "  --wait             wait until every job is finished; exit 1 if one failed\n" },
    { "status", "[JOB] [--json]",
      "Show one job's state, or the daemon's (jobs, workers, queues, profiles).\n"
      "  --json             print the daemon's answer as JSON\n" },
    { "wait", "JOB [--timeout MS]",
      "Wait until JOB is finished and print its state. Exit 0 when done, 1 when\n"
      "failed, 3 when it is still running after --timeout MS (default: no limit).\n" },
    { "fetch", "JOB",
      "Print the record of a finished job (JSON, honyaku.record/1) on stdout.\n" },
    { "batch", "DIR|--align PAIRS.tsv --from L --to L --out DIR [--backend NAME] [--window N] [--format F]"
      " [--lenient] [--progress MODE] [--quiet] [--patience S]",
      "Translate every regular file under DIR (recursively, sorted, hidden files\n"
      "skipped; a folder with none is an error) with at most N jobs in flight\n"
      "(default 32). Each record is added to OUT/records.jsonl as soon as it is\n"
      "fetched (complete lines only); at the end the file is put in path order and\n"
      "OUT/errors.txt lists the files that were rejected or failed, with the reason.\n"
      "Each file's key is derived from its relative path, its content and the\n"
      "options (languages, backend, format, lenient): running it again with the\n"
      "same OUT resumes (files whose record is in records.jsonl are not sent;\n"
      "jobs already made are found by their keys and cost nothing again), and\n"
      "running it into another language makes new jobs.\n"
      "It asks honyakud's status first: a daemon that does not answer, or a\n"
      "--backend it does not have, stops it before anything is sent; a SUBMIT\n"
      "refused for the options (400, 404, 422: a bad language, an unknown backend)\n"
      "stops it at once with the reason. Ctrl-C (SIGINT) or SIGTERM stops it\n"
      "cleanly: the records so far stay, errors.txt and the summary are written.\n"
      "The last line is a summary: files done, failed and skipped, new jobs,\n"
      "segments, characters billed (sums of the records' stats), time and rate.\n"
      "Exit 0 when every file is done, 1 when some failed or the batch stopped,\n"
      "2 on a usage error, 130 after SIGINT (143 after SIGTERM).\n"
      "A busy daemon (303) is asked again after a backoff. When the connection\n"
      "drops or goes silent (honyakud restarted), batch reconnects and asks again\n"
      "about every file that was out (same keys: no job twice).\n"
      "  --align PAIRS.tsv  align pairs of files instead of translating a DIR (see\n"
      "                     'honyaku help align'): one pair a line, SRC_PATH<TAB>TGT_PATH,\n"
      "                     relative to the folder of PAIRS.tsv (more columns are\n"
      "                     ignored; blank lines and # comments skipped); each pair is\n"
      "                     one job, keyed by both paths, both contents and the options;\n"
      "                     errors.txt names both files of a pair that failed; with\n"
      "                     --backend, aligned through its translations\n"
      "  --progress MODE    tty: one live line redrawn in place (files done/all,\n"
      "                     failures, segments/s, ETA, characters billed); lines:\n"
      "                     one line per finished file (file, job, state, segments\n"
      "                     or reason); none; auto (default): tty when stderr is a\n"
      "                     terminal, else lines\n"
      "  --quiet            the same as --progress none: only problems and the summary\n"
      "  --patience S       how long to keep trying while honyakud is unreachable\n"
      "                     or shutting down (503), in seconds (default 300)\n" },
    { "align", "SRC_FILE TGT_FILE --from L --to L [--backend NAME] [--out FILE] [--wait] [--key K]"
      " [--format F] [--lenient]",
      "Align two articles that translate each other (a Japan Press Weekly article\n"
      "and the Akahata article it renders) sentence to sentence, as a job of\n"
      "honyakud: both are prepared as any article is, then a worker links each\n"
      "sentence to its counterpart (1-1, 1-2, 2-1, ...; a sentence the translator\n"
      "dropped or added is linked to nothing), without a translation service unless\n"
      "--backend names one.\n"
      "The record (backend \"aligned\") holds one link per pair, {src, tgt, score},\n"
      "null on a side without counterpart, and the alignment's score and warning.\n"
      "Prints JOB<TAB>SRC_FILE<TAB>TGT_FILE; with --wait or --out, waits and writes\n"
      "the record as one JSON line, and says on stderr how many links it has, its\n"
      "score and its warning (a side empty or far longer than the other, texts\n"
      "that do not translate each other). Two files in one language fail (422);\n"
      "an empty side is aligned with score 0 and a warning.\n"
      "  --from L, --to L   the languages of SRC_FILE and TGT_FILE (required)\n"
      "  --backend NAME     machine-translate SRC_FILE's sentences through that profile\n"
      "                     (TM first, billed) to guide the alignment (bleualign's\n"
      "                     idea); alignment.stats.backend names it, stats.chars_billed\n"
      "                     and requests are its cost\n"
      "  --out FILE         write the record to FILE (implies --wait)\n"
      "  --wait             wait for the job; the record goes to stdout without --out;\n"
      "                     exit 1 if the job failed\n"
      "  --key K            idempotency key (default: derived by the daemon from both\n"
      "                     files and the options)\n"
      "  --format F         auto (default), text, plain, html, jpw, for both files\n"
      "  --lenient          replace undecodable bytes instead of failing\n" },
    { "align-pairs", "SRC_DIR TGT_DIR --from L --to L [--out FILE] [--days N] [--min-score X]",
      "Propose which file of SRC_DIR translates which of TGT_DIR, for\n"
      "'honyaku batch --align': every file is prepared here (no daemon needed) and\n"
      "reduced to its date (the page's metadata) and its anchors (numbers as\n"
      "values, dates, Latin-script names, the forms of each language: 1,500 =\n"
      "1500, May 12 = 5月12日). A pair scores 0.75 x the share of anchors the two\n"
      "have in common + 0.25 x how close their dates are (0.5 when one has no\n"
      "date); pairs more than N days apart are never proposed. The best pairs\n"
      "are taken first, each file at most once, and written as\n"
      "SRC<TAB>TGT<TAB>SCORE lines with absolute paths, in source order; the\n"
      "files without a partner are counted on stderr. Files that are not\n"
      "articles are left out, each said on stderr.\n"
      "  --from L, --to L   the languages of SRC_DIR and TGT_DIR (required)\n"
      "  --out FILE         write the pairs to FILE (default: stdout)\n"
      "  --days N           the most days between the two dates (default 14)\n"
      "  --min-score X      propose no pair below X (0 to 1, default 0.2)\n" },
    { "export", "[--format F] [--out FILE|DIR/] [--state done|failed|all] [--pair SRC-TGT]"
      " [--since DATE] [--job ID]... [--in FILE]",
      "Write finished records to FILE (default: stdout), or to files in DIR, in\n"
      "format F:\n"
      "  jsonl     JSON Lines, the records as they are (the default)\n"
      "  tmx       TMX 1.4b: a <tu> per translated segment pair\n"
      "  xliff     XLIFF 2.0 (also: xliff20): a <file> per article, a <unit> per\n"
      "            paragraph; machine translation state=\"initial\" subState=\"honyaku:mt\"\n"
      "  xliff12   XLIFF 1.2: a <file> per article, a <group> per paragraph; machine\n"
      "            translation state=\"needs-review-translation\"\n"
      "            state-qualifier=\"mt-suggestion\"\n"
      "  html      one page: contents, numbered segments, TM hits, warnings and\n"
      "            failures marked\n"
      "  moses     DIR/corpus.SRC and DIR/corpus.TGT, one segment per line\n"
      "            (DIR/corpus.SRC-TGT.L per pair when there are several)\n"
      "A TMX or XLIFF file holds one language pair: --out DIR/ (a directory, or a\n"
      "name ending in /) writes DIR/records.SRC-TGT.tmx or .xlf per pair, and one\n"
      "file for records of several pairs is refused, naming them. jsonl and html\n"
      "take any mix (DIR/records.jsonl, DIR/records.html).\n"
      "  --state S        done (the default), failed or all; all with --in or --job\n"
      "  --pair SRC-TGT   only this language pair (en-ja, pt-BR-en; any case)\n"
      "  --since DATE     only jobs finished at or after DATE: 2024-05-01 (local\n"
      "                   midnight), 2024-05-01T09:30 (local), 2024-05-01T09:30:00Z,\n"
      "                   2024-05-01T09:30+09:00\n"
      "  --job ID         only this job (repeat for more); an unknown one is an error\n"
      "  --in FILE        read a records file (JSON Lines, e.g. from batch; - for\n"
      "                   standard input) instead of asking the daemon\n"
      "Exit 0 when written, 1 when it failed, 2 for bad options, 4 when no record\n"
      "matched. Files take their names only once the export is complete.\n" },
    { "qa", "[RECORDS.jsonl...] [--format text|json] [--check NAME]... [--glossary FILE] [--top N]",
      "Check the translated segments of records (JSON Lines, e.g. batch's\n"
      "records.jsonl; none or - reads standard input) and sum up what the checks\n"
      "found: per article, the worst segments, and overall. The checks (the ones\n"
      "the worker runs on every segment it translates, whose flags records carry):\n"
      "    tags       markup of the source missing, duplicated or unpaired in the target\n"
      "    identical  the target is the source, untranslated\n"
      "    script     the target is not in its language's script\n"
      "    glossary   a glossary term of the source without its target term\n"
      "    number     a number or amount of the source not in the target\n"
      "    date       a date of the source not in the target (5月12日, 12日, May 12)\n"
      "    time       a time of day of the source not in the target (午後6時, 18:00)\n"
      "    length     a target far longer or shorter than the pair's norm\n"
      "Every check runs again here (records from the translation memory, from\n"
      "older versions or from --in files are judged alike), but the glossary: the\n"
      "record's glossary flags are kept, made with the profile's glossary.\n"
      "  --format F         text (default): a line per flagged article, the worst\n"
      "                     segments, a summary; json: one object (honyaku.qa/1)\n"
      "                     with every article and its flagged segments, and totals\n"
      "  --check NAME       only this check (repeat for more)\n"
      "  --glossary FILE    check every record against this glossary (TSV: source\n"
      "                     term TAB target term) instead of keeping its flags\n"
      "  --top N            worst segments shown (default 10, at most 1000)\n"
      "Exit 0 when nothing was flagged, 1 when something was (or a line was not a\n"
      "record, or a file could not be read), 2 for bad options.\n" },
    { "tm", "import FILE [--from L --to L] [--all] [--origin TEXT] | export [--format tmx]"
      " [--pair SRC-TGT] [--origin human|machine|all] [--out FILE]",
      "The translation memory. honyakud keeps every machine translation it makes\n"
      "and serves a sentence it has seen from there; human translations imported\n"
      "here win over them: a source with a human entry is never sent to a backend\n"
      "again, in any profile of its language pair, and its pair in the record says\n"
      "\"tm\": true, \"origin\": \"human\".\n"
      "tm import FILE: add the human translations of FILE, all of them or none:\n"
      "  TMX 1.4b       every <tu> with both languages\n"
      "  XLIFF 1.2/2.x  every unit whose target a person finished (state translated,\n"
      "                 final, signed-off or reviewed; 1.2 without a state too):\n"
      "                 an export of records (machine output needs review) edited\n"
      "                 and marked so comes back as the house's translation\n"
      "  records.jsonl  JSON Lines records: every link of an align job's records\n"
      "                 (backend aligned), every pair of a record with\n"
      "                 \"reviewed\": true, and pairs from human entries\n"
      "  --from L, --to L  the pair to take (default: the file's; a file of mixed\n"
      "                 pairs is refused without them)\n"
      "  --all          take every translated unit, reviewed or not\n"
      "  --origin TEXT  where the entries came from (default: the file's name)\n"
      "A broken XML file, an unknown language, a unit of another pair, a file\n"
      "without entries, over --max-bytes (default 32M here) or of more than\n"
      "50000 entries (split it) is an error and nothing is imported.\n"
      "tm export: write the TM as TMX 1.4b (creationid and <prop type=\"x-origin\">\n"
      "say human or machine; x-source the file a human entry came from).\n"
      "  --pair SRC-TGT  only this language pair (else every pair: one file takes\n"
      "                  one pair, so give --out DIR/ for a file a pair)\n"
      "  --origin O      human, machine or all (the default)\n"
      "  --out FILE      write to FILE (default: stdout), or DIR/\n"
      "Exit 0 when done, 1 when it failed, 2 for bad options, 4 when the export\n"
      "matched no entry.\n" },
    { "stats", "[--json | --format text|json|prometheus]",
      "Per backend profile: translation-memory hits (of them, hits of human\n"
      "entries: tm_human_hits) and misses, characters billed, requests and\n"
      "segments.\n"
      "  --json             the profiles as JSON (the same as --format json)\n"
      "  --format prometheus  everything honyakud counts in the Prometheus text\n"
      "                     format: the same text as honyakud's /metrics endpoint\n" },
    { "prepare", "[--from L] [--format auto|text|plain|html|jpw] [--lenient] FILE|-",
      "Dry run, in this process (no daemon needed): decode, extract, normalize and\n"
      "segment one article and print the prepared article as JSON.\n" },
    { "keygen", "[--out PREFIX] [--force] [--stdout]",
      "Make a CURVE key pair (for a tcp:// endpoint): PREFIX.key holds the public\n"
      "and the secret key (mode 0600), PREFIX.pub the public key, to put in\n"
      "honyakud's allowed_clients / allowed_workers file (or, for honyakud's own\n"
      "pair, to give clients as --server-key). Prints the public key.\n"
      "  --out PREFIX       file name prefix (default: honyaku)\n"
      "  --force            replace existing files\n"
      "  --stdout           print both keys on stdout instead of writing files\n" },
    { "help", "[COMMAND]", "Show the help of a command.\n" },
};
#define S_HELP_COUNT (sizeof s_helps / sizeof s_helps [0])

static void
s_main_help (FILE *out)
{
    fprintf (out,
             "usage: honyaku [-v] [--endpoint EP] [--timeout MS] COMMAND [ARGS]\n"
             "\n"
             "Client of honyakud, the article translation daemon.\n"
             "\n"
             "Commands:\n");
    for (size_t i = 0; i < S_HELP_COUNT; i++)
        fprintf (out, "  %-8s %s\n", s_helps [i].name, s_helps [i].usage);
    fprintf (out,
             "\n"
             "Global options (also accepted after the command):\n"
             "  --endpoint EP   honyakud's front endpoint (default: $HONYAKU_ENDPOINT, else\n"
             "                  ipc://$HONYAKU_STATE/front, else the service's socket\n"
             "                  " HNY_SERVICE_FRONT " when it is there, else\n"
             "                  ./honyaku-state/front)\n"
             "  --timeout MS    how long to wait for any answer of the daemon (default %d)\n"
             "  --max-bytes N   largest input file (default 8M; K, M, G suffixes)\n"
             "  --help, --version\n"
             "\n"
             "Before the command only:\n"
             "  -v, --verbose   say on stderr which endpoint is used and why\n"
             "\n"
             "CURVE, for a tcp:// endpoint (before the command only):\n"
             "  --server-key K  honyakud's public key: Z85 text or a file holding it\n"
             "                  (default: $HONYAKU_SERVER_KEY)\n"
             "  --key-file F    this client's key pair from 'honyaku keygen' (default:\n"
             "                  $HONYAKU_CLIENT_KEY_FILE); needed with --server-key\n"
             "\n"
             "Run 'honyaku help COMMAND' for the options of a command.\n",
             HNY_CLIENT_TIMEOUT_MS);
}

int
hny_cli_help (const char *cmd)
{
    for (size_t i = 0; i < S_HELP_COUNT; i++)
        if (strcmp (s_helps [i].name, cmd) == 0) {
            printf ("usage: honyaku %s %s\n\n%s", s_helps [i].name, s_helps [i].usage,
                    s_helps [i].text);
            return 0;
        }
    return -1;
}

/* ---- shared helpers --------------------------------------------------- */

static void
s_vreport (const char *cmd, const char *fmt, va_list args)
{
    fprintf (stderr, "honyaku: ");
    if (cmd)
        fprintf (stderr, "%s: ", cmd);
    vfprintf (stderr, fmt, args);
    fputc ('\n', stderr);
}

int
hny_cli_fail (const char *cmd, const char *fmt, ...)
{
    va_list args;
    va_start (args, fmt);
    s_vreport (cmd, fmt, args);
    va_end (args);
    return HNY_EXIT_FAIL;
}

int
hny_cli_usage (const char *cmd, const char *fmt, ...)
{
    va_list args;
    va_start (args, fmt);
    s_vreport (cmd, fmt, args);
    va_end (args);
    if (cmd)
        fprintf (stderr, "Run 'honyaku help %s' for usage.\n", cmd);
    else
        fprintf (stderr, "Run 'honyaku --help' for usage.\n");
    return HNY_EXIT_USAGE;
}

/* CURVE keys from --server-key/--key-file (or the environment), loaded by
   main before a command runs; s_curve is 0 when none were given. */
static int s_curve = 0;
static char s_server_key [HNY_CURVE_KEY_LEN];
static char s_public_key [HNY_CURVE_KEY_LEN];
static char s_secret_key [HNY_CURVE_KEY_LEN];

hny_client_t *
hny_cli_client (const hny_cli_t *cli)
{
    static int said = 0;
    if (cli->verbose && !said++)
        fprintf (stderr, "honyaku: endpoint %s (%s)\n", cli->endpoint, cli->endpoint_why);
    hny_client_t *client = hny_client_new (cli->endpoint);
    hny_client_set_timeout (client, cli->timeout_ms);
    if (s_curve)
        hny_client_set_curve (client, s_server_key, s_public_key, s_secret_key);
    return client;
}

/* Load the CURVE keys; returns 0 or an exit code. */
static int
s_curve_load (const char *server_key, const char *key_file)
{
    if (!server_key || !*server_key)
        server_key = getenv ("HONYAKU_SERVER_KEY");
    if (!key_file || !*key_file)
        key_file = getenv ("HONYAKU_CLIENT_KEY_FILE");
    if (!server_key || !*server_key)
        return 0;
    if (!key_file || !*key_file)
        return hny_cli_usage (NULL, "--server-key needs this client's key pair: give --key-file"
                                    " or set $HONYAKU_CLIENT_KEY_FILE ('honyaku keygen' makes one)");
    char *error = NULL;
    if (hny_curve_public_load (server_key, s_server_key, &error) == 0
    &&  hny_curve_pair_load (key_file, s_public_key, s_secret_key, &error) == 0) {
        s_curve = 1;
        return 0;
    }
    int rc = hny_cli_fail (NULL, "%s", error);
    free (error);
    return rc;
}

/* ---- keygen ----------------------------------------------------------- */

/* Write text to path, created with mode (O_EXCL unless force). 0 or -1. */
static int
s_write_new (const char *path, const char *text, mode_t mode, int force)
{
    int fd = open (path, O_WRONLY | O_CREAT | O_CLOEXEC | (force ? O_TRUNC : O_EXCL), mode);
    if (fd < 0)
        return -1;
    /* An existing file keeps its mode when replaced: set ours. */
    size_t len = strlen (text), done = 0;
    int rc = fchmod (fd, mode);
    while (rc == 0 && done < len) {
        ssize_t n = write (fd, text + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            rc = -1;
        else
            done += (size_t) n;
    }
    int saved = errno;
    if (close (fd) != 0 && rc == 0)
        rc = -1;
    else
        errno = saved;
    return rc;
}

static int
s_cmd_keygen (hny_cli_t *cli, int argc, char **argv)
{
    enum { OPT_OUT = 1, OPT_FORCE, OPT_STDOUT };
    static const struct option longopts [] = {
        { "out", required_argument, NULL, OPT_OUT },
        { "force", no_argument, NULL, OPT_FORCE },
        { "stdout", no_argument, NULL, OPT_STDOUT },
        HNY_CLI_COMMON_OPTIONS,
        { NULL, 0, NULL, 0 }
    };
    const char *prefix = "honyaku";
    int force = 0, to_stdout = 0, opt;
    while ((opt = hny_cli_getopt (cli, "keygen", argc, argv, "", longopts)) != -1) {
        if (HNY_CLI_STOP (opt))
            return HNY_CLI_STOP_CODE (opt);
        switch (opt) {
            case OPT_OUT: prefix = optarg; break;
            case OPT_FORCE: force = 1; break;
            case OPT_STDOUT: to_stdout = 1; break;
            default: return hny_cli_usage ("keygen", "unexpected option");
        }
    }
    if (optind < argc)
        return hny_cli_usage ("keygen", "unexpected argument '%s'", argv [optind]);
    if (!*prefix)
        return hny_cli_usage ("keygen", "--out needs a file name prefix");
    if (!zmq_has ("curve"))
        return hny_cli_fail ("keygen", "this libzmq has no CURVE support");
    char public_key [HNY_CURVE_KEY_LEN], secret_key [HNY_CURVE_KEY_LEN];
    if (zmq_curve_keypair (public_key, secret_key) != 0)
        return hny_cli_fail ("keygen", "cannot make a key pair: %s", zmq_strerror (errno));
    char *pair = hny_sprintf ("# honyaku CURVE key pair: keep this file secret (mode 0600)\n"
                              "public-key = %s\nsecret-key = %s\n", public_key, secret_key);
    explicit_bzero (secret_key, sizeof secret_key);
    int rc = HNY_EXIT_OK;
    if (to_stdout)
        fputs (pair, stdout);
    else {
        char *key_path = hny_sprintf ("%s.key", prefix);
        char *pub_path = hny_sprintf ("%s.pub", prefix);
        char *pub = hny_sprintf ("# honyaku CURVE public key\n%s\n", public_key);
        if (s_write_new (key_path, pair, 0600, force) != 0)
            rc = hny_cli_fail ("keygen", "%s: %s%s", key_path, strerror (errno),
                               errno == EEXIST ? " (--force replaces it)" : "");
        else if (s_write_new (pub_path, pub, 0644, force) != 0)
            rc = hny_cli_fail ("keygen", "%s: %s%s", pub_path, strerror (errno),
                               errno == EEXIST ? " (--force replaces it)" : "");
        else
            printf ("%s\n", public_key);
        free (key_path);
        free (pub_path);
        free (pub);
    }
    explicit_bzero (pair, strlen (pair));
    free (pair);
    return rc;
}

int
hny_cli_read_file (const hny_cli_t *cli, const char *path, char **data, size_t *size,
                   const char **why)
{
    const char *real = strcmp (path, "-") == 0 ? "/dev/stdin" : path;
    if (hny_file_read (real, cli->max_bytes, data, size)) {
        static char big [64];
        if (errno == EFBIG) {
            if (cli->max_bytes % (1024 * 1024) == 0)
                snprintf (big, sizeof big, "file is larger than %zu MiB", cli->max_bytes >> 20);
            else
                snprintf (big, sizeof big, "file is larger than %zu bytes", cli->max_bytes);
            *why = big;
        }
        else
            *why = strerror (errno);
        return -1;
    }
    return 0;
}

int
hny_cli_read_input (const hny_cli_t *cli, const char *path, char **data, size_t *size,
                    const char **why)
{
    if (hny_cli_read_file (cli, path, data, size, why))
        return -1;
    if (*size == 0) {
        free (*data);
        *data = NULL;
        *why = "file is empty";
        return -1;
    }
    return 0;
}

/* Read one line of at most max bytes from in into *buf (grown as needed,
   *alloc its size; the newline removed, *len its length). Returns 1 for a
   line, 0 at the end, -1 when it is longer than max (errno EFBIG) or on a
   read error (errno set). */
static int
s_read_line (FILE *in, char **buf, size_t *alloc, size_t *len, size_t max)
{
    *len = 0;
    for (;;) {
        if (*alloc - *len < 2) {
            if (*alloc >= max + 2) {
                errno = EFBIG;
                return -1;
            }
            *alloc = *alloc ? *alloc * 2 : 65536;
            if (*alloc > max + 2)
                *alloc = max + 2;
            *buf = hny_realloc (*buf, *alloc);
        }
        if (!fgets (*buf + *len, (int) (*alloc - *len), in)) {
            if (ferror (in))
                return -1;
            return *len > 0;
        }
        *len += strlen (*buf + *len);
        if (*len && (*buf) [*len - 1] == '\n') {
            (*buf) [--*len] = 0;
            return 1;
        }
    }
}

int
hny_cli_jsonl (const char *cmd, const char *path, hny_cli_jsonl_fn *fn, void *arg)
{
    FILE *in = strcmp (path, "-") ? fopen (path, "r") : stdin;
    if (!in) {
        hny_cli_fail (cmd, "%s: %s", path, strerror (errno));
        return -1;
    }
    char *buf = NULL;
    size_t alloc = 0, len = 0;
    long line = 0;
    int rc = 0, got;
    while ((got = s_read_line (in, &buf, &alloc, &len, HNY_CLI_RECORD_MAX)) == 1) {
        line++;
        if (strspn (buf, " \t\r") == len)
            continue;
        json_error_t jerr;
        json_t *obj = json_loadb (buf, len, 0, &jerr);
        rc = fn (obj, obj ? NULL : jerr.text, path, line, arg);
        json_decref (obj);
        if (rc)
            break;
    }
    if (got < 0 && rc == 0) {
        if (errno == EFBIG)
            hny_cli_fail (cmd, "%s: line %ld: longer than %u MiB", path, line + 1,
                          (unsigned) (HNY_CLI_RECORD_MAX >> 20));
        else
            hny_cli_fail (cmd, "%s: %s", path, strerror (errno));
        rc = -1;
    }
    free (buf);
    if (in != stdin)
        fclose (in);
    return rc ? -1 : 0;
}

int
hny_cli_parse_size (const char *text, size_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long n = strtoull (text, &end, 10);
    if (errno || end == text || text [0] == '-')
        return -1;
    unsigned shift = 0;
    if (*end == 'K' || *end == 'k')
        shift = 10;
    else if (*end == 'M' || *end == 'm')
        shift = 20;
    else if (*end == 'G' || *end == 'g')
        shift = 30;
    if (shift)
        end++;
    if (*end || n == 0 || n > (1ULL << 40) >> shift)
        return -1;
    *out = (size_t) (n << shift);
    return 0;
}

int
hny_cli_parse_int (const char *text, int max, int *out)
{
    char *end = NULL;
    errno = 0;
    long n = strtol (text, &end, 10);
    if (errno || end == text || *end || n < 0 || n > max)
        return -1;
    *out = (int) n;
    return 0;
}

/* One language: 0 with its canonical form in out, or the usage error. */
static int
s_cli_lang (const char *tag, char *out)
{
    char why [HNY_LANG_WHY_MAX];
    if (hny_lang_canonical (tag, out, why, sizeof why) == 0)
        return 0;
    fprintf (stderr, "honyaku: %s\n", why);
    return HNY_EXIT_USAGE;
}

int
hny_cli_langs (hny_submit_t *opts, char *from, char *to)
{
    int rc = s_cli_lang (opts->from, from);
    if (rc == 0)
        rc = s_cli_lang (opts->to, to);
    if (rc == 0) {
        opts->from = from;
        opts->to = to;
    }
    return rc;
}

int
hny_cli_format_valid (const char *format)
{
    static const char *const formats [] = { "auto", "text", "plain", "html", "jpw" };
    for (size_t i = 0; i < sizeof formats / sizeof formats [0]; i++)
        if (strcmp (format, formats [i]) == 0)
            return 1;
    return 0;
}

/* A shared global option; returns 0 when handled, or an exit code. */
static int
s_common_option (hny_cli_t *cli, const char *cmd, int opt, const char *arg)
{
    switch (opt) {
        case HNY_OPT_ENDPOINT:
            if (!*arg)
                return hny_cli_usage (cmd, "--endpoint needs a value");
            cli->endpoint = arg;
            cli->endpoint_why = "--endpoint";
            return 0;
        case HNY_OPT_TIMEOUT:
            if (hny_cli_parse_int (arg, 24 * 3600 * 1000, &cli->timeout_ms) || cli->timeout_ms == 0)
                return hny_cli_usage (cmd, "--timeout: '%s' is not a number of milliseconds > 0", arg);
            return 0;
        case HNY_OPT_MAX_BYTES:
            if (hny_cli_parse_size (arg, &cli->max_bytes))
                return hny_cli_usage (cmd, "--max-bytes: '%s' is not a size (e.g. 8M)", arg);
            return 0;
        default:
            return -1;
    }
}

int
hny_cli_getopt (hny_cli_t *cli, const char *cmd, int argc, char **argv,
                const char *shortopts, const struct option *longopts)
{
    /* A leading ':' makes getopt tell a missing value (':') from an unknown option ('?'). */
    char spec [64];
    snprintf (spec, sizeof spec, ":%s", shortopts);
    for (;;) {
        int opt = getopt_long (argc, argv, spec, longopts, NULL);
        if (opt == -1)
            return -1;
        if (opt == '?' || opt == ':') {
            const char *bad = argv [optind - 1];
            if (opt == ':')
                return -(100 + hny_cli_usage (cmd, "option '%s' needs a value", bad));
            return -(100 + hny_cli_usage (cmd, "unknown option '%s'", bad));
        }
        if (opt == HNY_OPT_HELP) {
            hny_cli_help (cmd);
            return -(100 + HNY_EXIT_OK);
        }
        if (opt == HNY_OPT_TIMEOUT && strcmp (cmd, "wait") == 0)
            return opt;                 /* wait's own --timeout */
        int rc = s_common_option (cli, cmd, opt, optarg);
        if (rc > 0)
            return -(100 + rc);
        if (rc < 0)
            return opt;
    }
}

/* getopt_long state must be reset before parsing a command's arguments. */
static void
s_getopt_reset (void)
{
    optind = 0;
    opterr = 0;
}

/* ---- submit ----------------------------------------------------------- */

/* The reason a job failed, from its STATUS; caller owns the result. */
static char *
s_job_error (hny_client_t *client, const char *job)
{
    json_t *status = NULL;
    if (hny_client_status (client, job, &status))
        return hny_strdup ("(no reason: STATUS failed)");
    const char *error = json_string_value (json_object_get (status, "error"));
    char *result = hny_strdup (error ? error : "no reason given");
    json_decref (status);
    return result;
}

static int
s_cmd_submit (hny_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts [] = {
        { "from", required_argument, NULL, 'f' },
        { "to", required_argument, NULL, 't' },
        { "backend", required_argument, NULL, 'b' },
        { "key", required_argument, NULL, 'k' },
        { "format", required_argument, NULL, 'F' },
        { "lenient", no_argument, NULL, 'l' },
        { "wait", no_argument, NULL, 'w' },
        HNY_CLI_COMMON_OPTIONS,
        { NULL, 0, NULL, 0 }
    };
    hny_submit_t opts = { 0 };
    int wait = 0, opt;
    while ((opt = hny_cli_getopt (cli, "submit", argc, argv, "", longopts)) != -1) {
        if (HNY_CLI_STOP (opt))
            return HNY_CLI_STOP_CODE (opt);
        switch (opt) {
            case 'f': opts.from = optarg; break;
            case 't': opts.to = optarg; break;
            case 'b': opts.backend = optarg; break;
            case 'k': opts.key = optarg; break;
            case 'F': opts.format = optarg; break;
            case 'l': opts.lenient = 1; break;
            case 'w': wait = 1; break;
            default: return hny_cli_usage ("submit", "unexpected option");
        }
    }
    int files = argc - optind;
    if (files < 1)
        return hny_cli_usage ("submit", "no FILE given");
    if (!opts.from || !opts.to)
        return hny_cli_usage ("submit", "--from and --to are required");
    if (opts.format && !hny_cli_format_valid (opts.format))
        return hny_cli_usage ("submit", "unknown --format '%s' (auto, text, plain, html, jpw)",
                              opts.format);
    if (opts.key && files != 1)
        return hny_cli_usage ("submit", "--key needs exactly one FILE");
    char from [HNY_LANG_MAX + 1], to [HNY_LANG_MAX + 1];
    int lang_rc = hny_cli_langs (&opts, from, to);
    if (lang_rc)
        return lang_rc;

    hny_client_t *client = hny_cli_client (cli);
    int rc = HNY_EXIT_OK;
    char **jobs = hny_calloc ((size_t) files, sizeof *jobs);
    for (int i = 0; i < files; i++) {
        const char *path = argv [optind + i];
        char *data = NULL;
        size_t size = 0;
        const char *why = NULL;
        if (hny_cli_read_input (cli, path, &data, &size, &why)) {
            rc = hny_cli_fail ("submit", "%s: %s", path, why);
            continue;
        }
        opts.source = strcmp (path, "-") ? path : NULL;
        if (hny_client_submit (client, &opts, data, size, &jobs [i], NULL))
            rc = hny_cli_fail ("submit", "%s: %s", path, hny_client_error (client));
        else if (!wait) {
            printf ("%s\t%s\n", jobs [i], path);
            fflush (stdout);
        }
        free (data);
    }
    for (int i = 0; wait && i < files; i++) {
        if (!jobs [i])
            continue;
        const char *path = argv [optind + i];
        char *state = NULL;
        if (hny_client_wait (client, jobs [i], -1, &state)) {
            rc = hny_cli_fail ("submit", "%s: job %s: %s", path, jobs [i], hny_client_error (client));
            continue;
        }
        printf ("%s\t%s\t%s\n", jobs [i], path, state);
        fflush (stdout);
        if (strcmp (state, "done")) {
            char *reason = s_job_error (client, jobs [i]);
            rc = hny_cli_fail ("submit", "%s: job %s %s: %s", path, jobs [i], state, reason);
            free (reason);
        }
        free (state);
    }
    for (int i = 0; i < files; i++)
        free (jobs [i]);
    free (jobs);
    hny_client_destroy (&client);
    return rc;
}

/* ---- status ----------------------------------------------------------- */

static void
s_print_time (const char *label, json_t *ms)
{
    if (!json_is_integer (ms))
        return;
    time_t t = (time_t) (json_integer_value (ms) / 1000);
    struct tm tm;
    char text [64];
    if (localtime_r (&t, &tm) && strftime (text, sizeof text, "%Y-%m-%d %H:%M:%S", &tm))
        printf ("%-10s %s\n", label, text);
}

static void
s_print_job_status (json_t *st)
{
    const char *fields [] = { "job", "key", "state" };
    for (size_t i = 0; i < 3; i++) {
        const char *v = json_string_value (json_object_get (st, fields [i]));
        if (v)
            printf ("%-10s %s\n", fields [i], v);
    }
    json_t *segs = json_object_get (st, "segments");
    if (json_is_integer (segs))
        printf ("%-10s %" JSON_INTEGER_FORMAT " (done %" JSON_INTEGER_FORMAT ", failed %"
                JSON_INTEGER_FORMAT ")\n", "segments", json_integer_value (segs),
                json_integer_value (json_object_get (st, "done")),
                json_integer_value (json_object_get (st, "failed")));
    s_print_time ("created", json_object_get (st, "created"));
    const char *error = json_string_value (json_object_get (st, "error"));
    if (error)
        printf ("%-10s %s\n", "error", error);
    const char *paused = json_string_value (json_object_get (st, "paused"));
    if (paused)
        printf ("%-10s %s\n", "paused", paused);
    const char *waiting = json_string_value (json_object_get (st, "waiting"));
    if (waiting)
        printf ("%-10s %s\n", "waiting", waiting);
}

/* "used N of M characters (K left)" from a service's usage, or nothing. */
static void
s_print_usage (json_t *usage)
{
    json_t *count = json_object_get (usage, "character_count");
    json_t *limit = json_object_get (usage, "character_limit");
    if (!json_is_integer (count) || !json_is_integer (limit))
        return;
    if (json_integer_value (limit) > 0)
        printf (" used %" JSON_INTEGER_FORMAT " of %" JSON_INTEGER_FORMAT " characters (%"
                JSON_INTEGER_FORMAT " left)", json_integer_value (count), json_integer_value (limit),
                json_integer_value (limit) > json_integer_value (count)
                    ? json_integer_value (limit) - json_integer_value (count) : 0);
    else
        printf (" used %" JSON_INTEGER_FORMAT " characters (no limit)", json_integer_value (count));
}

/* "a 1, b 2" from an object of integers. */
static void
s_print_counts (const char *label, json_t *obj)
{
    if (!json_is_object (obj))
        return;
    printf ("%-10s", label);
    const char *key;
    json_t *value;
    int first = 1;
    json_object_foreach (obj, key, value) {
        printf ("%s %s %" JSON_INTEGER_FORMAT, first ? "" : ",", key, json_integer_value (value));
        first = 0;
    }
    printf ("%s\n", first ? " none" : "");
}

static void
s_print_daemon_status (const char *endpoint, json_t *st)
{
    const char *version = json_string_value (json_object_get (st, "version"));
    printf ("honyakud %s at %s\n", version ? version : "(unknown version)", endpoint);
    json_t *workers = json_object_get (st, "workers");
    if (json_is_integer (workers))
        printf ("%-10s %" JSON_INTEGER_FORMAT "\n", "workers", json_integer_value (workers));
    s_print_counts ("jobs", json_object_get (st, "jobs"));
    s_print_counts ("queue", json_object_get (st, "queue"));
    json_t *profiles = json_object_get (st, "profiles");
    size_t i;
    json_t *p;
    json_array_foreach (profiles, i, p) {
        const char *name = json_string_value (json_object_get (p, "name"));
        const char *type = json_string_value (json_object_get (p, "type"));
        json_t *paused = json_object_get (p, "paused");
        printf ("%-10s %s (%s)", i ? "" : "profiles", name ? name : "?", type ? type : "?");
        json_t *nworkers = json_object_get (p, "workers");
        if (json_is_integer (nworkers))
            printf (", %" JSON_INTEGER_FORMAT " workers", json_integer_value (nworkers));
        s_print_usage (json_object_get (p, "usage"));
        if (json_is_string (paused))
            printf (" paused: %s", json_string_value (paused));
        else if (json_is_true (paused))
            printf (" paused");
        const char *waiting = json_string_value (json_object_get (p, "waiting"));
        if (waiting)
            printf (" waiting: %s", waiting);
        printf ("\n");
    }
    const char *store = json_string_value (json_object_get (st, "store"));
    if (store && strcmp (store, "ok") != 0)
        printf ("%-10s %s\n", "store", strcmp (store, "full") == 0
                ? "full: new jobs are refused (507) until the state disk has room" : store);
    if (json_is_true (json_object_get (st, "draining")))
        printf ("%-10s draining: stopping\n", "state");
}

static int
s_cmd_status (hny_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts [] = {
        { "json", no_argument, NULL, 'j' },
        HNY_CLI_COMMON_OPTIONS,
        { NULL, 0, NULL, 0 }
    };
    int as_json = 0, opt;
    while ((opt = hny_cli_getopt (cli, "status", argc, argv, "", longopts)) != -1) {
        if (HNY_CLI_STOP (opt))
            return HNY_CLI_STOP_CODE (opt);
        if (opt == 'j')
            as_json = 1;
    }
    if (argc - optind > 1)
        return hny_cli_usage ("status", "at most one JOB");
    const char *job = argc - optind == 1 ? argv [optind] : NULL;
    hny_client_t *client = hny_cli_client (cli);
    json_t *st = NULL;
    int rc = HNY_EXIT_OK;
    if (hny_client_status (client, job, &st))
        rc = job ? hny_cli_fail ("status", "%s: %s", job, hny_client_error (client))
                 : hny_cli_fail ("status", "%s", hny_client_error (client));
    else {
        json_object_del (st, "status");
        if (as_json) {
            char *text = json_dumps (st, JSON_INDENT (2) | JSON_SORT_KEYS);
            printf ("%s\n", text);
            free (text);
        }
        else if (job)
            s_print_job_status (st);
        else
            s_print_daemon_status (cli->endpoint, st);
        json_decref (st);
    }
    hny_client_destroy (&client);
    return rc;
}

/* ---- wait, fetch, stats ----------------------------------------------- */

static int
s_cmd_wait (hny_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts [] = { HNY_CLI_COMMON_OPTIONS, { NULL, 0, NULL, 0 } };
    int timeout = -1, opt;
    while ((opt = hny_cli_getopt (cli, "wait", argc, argv, "", longopts)) != -1) {
        if (HNY_CLI_STOP (opt))
            return HNY_CLI_STOP_CODE (opt);
        if (opt == HNY_OPT_TIMEOUT && hny_cli_parse_int (optarg, 2000000000, &timeout))
            return hny_cli_usage ("wait", "--timeout: '%s' is not a number of milliseconds", optarg);
    }
    if (argc - optind != 1)
        return hny_cli_usage ("wait", "exactly one JOB");
    const char *job = argv [optind];
    hny_client_t *client = hny_cli_client (cli);
    char *state = NULL;
    int rc = hny_client_wait (client, job, timeout, &state);
    if (rc < 0)
        rc = hny_cli_fail ("wait", "%s: %s", job, hny_client_error (client));
    else if (rc == 1) {
        printf ("%s\t%s\n", job, state);
        rc = HNY_EXIT_TIMEOUT;
        fprintf (stderr, "honyaku: wait: %s: still %s after %d ms\n", job, state, timeout);
    }
    else {
        printf ("%s\t%s\n", job, state);
        if (strcmp (state, "done")) {
            char *reason = s_job_error (client, job);
            rc = hny_cli_fail ("wait", "%s: job %s: %s", job, state, reason);
            free (reason);
        }
    }
    free (state);
    hny_client_destroy (&client);
    return rc;
}

static int
s_cmd_fetch (hny_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts [] = { HNY_CLI_COMMON_OPTIONS, { NULL, 0, NULL, 0 } };
    int opt;
    while ((opt = hny_cli_getopt (cli, "fetch", argc, argv, "", longopts)) != -1)
        if (HNY_CLI_STOP (opt))
            return HNY_CLI_STOP_CODE (opt);
    if (argc - optind != 1)
        return hny_cli_usage ("fetch", "exactly one JOB");
    const char *job = argv [optind];
    hny_client_t *client = hny_cli_client (cli);
    char *record = NULL;
    size_t len = 0;
    int rc = HNY_EXIT_OK;
    if (hny_client_fetch (client, job, &record, &len))
        rc = hny_cli_fail ("fetch", "%s: %s", job, hny_client_error (client));
    else {
        fwrite (record, 1, len, stdout);
        if (len == 0 || record [len - 1] != '\n')
            fputc ('\n', stdout);
        free (record);
    }
    hny_client_destroy (&client);
    return rc;
}

/* The STATS reply as Prometheus text (honyaku/metrics.h: the renderer
   honyakud's /metrics uses too). */
static int
s_print_prometheus (const json_t *st)
{
    hny_buf_t text = HNY_BUF_INIT (HNY_METRICS_TEXT_MAX);
    int rc = hny_metrics_render (st, &text);
    if (rc == 0)
        fwrite (hny_buf_str (&text), 1, text.len, stdout);
    hny_buf_free (&text);
    return rc == 0 ? HNY_EXIT_OK
                   : hny_cli_fail ("stats", "the metrics are over %d bytes", HNY_METRICS_TEXT_MAX);
}

static int
s_cmd_stats (hny_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts [] = {
        { "json", no_argument, NULL, 'j' },
        { "format", required_argument, NULL, 'F' },
        HNY_CLI_COMMON_OPTIONS,
        { NULL, 0, NULL, 0 }
    };
    const char *format = "text";
    int opt;
    while ((opt = hny_cli_getopt (cli, "stats", argc, argv, "", longopts)) != -1) {
        if (HNY_CLI_STOP (opt))
            return HNY_CLI_STOP_CODE (opt);
        if (opt == 'j')
            format = "json";
        else if (opt == 'F')
            format = optarg;
    }
    if (strcmp (format, "text") != 0 && strcmp (format, "json") != 0
    &&  strcmp (format, "prometheus") != 0)
        return hny_cli_usage ("stats", "unknown --format '%s' (text, json, prometheus)", format);
    if (argc - optind != 0)
        return hny_cli_usage ("stats", "no arguments expected");
    hny_client_t *client = hny_cli_client (cli);
    json_t *st = NULL;
    int rc = HNY_EXIT_OK;
    if (hny_client_stats (client, &st))
        rc = hny_cli_fail ("stats", "%s", hny_client_error (client));
    else {
        json_t *profiles = json_object_get (st, "profiles");
        if (strcmp (format, "prometheus") == 0)
            rc = s_print_prometheus (st);
        else if (strcmp (format, "json") == 0) {
            char *text = json_dumps (profiles, JSON_INDENT (2) | JSON_SORT_KEYS);
            printf ("%s\n", text ? text : "{}");
            free (text);
        }
        else {
            static const char *const cols [] = { "tm_hits", "tm_human_hits", "tm_misses", "chars_billed",
                                                 "requests", "segments", "prompt_tokens",
                                                 "completion_tokens" };
            const size_t ncols = sizeof cols / sizeof cols [0];
            printf ("%-16s", "profile");
            for (size_t c = 0; c < ncols; c++)
                printf (" %12s", cols [c]);
            printf (" %12s\n", "segs/request");
            const char *name;
            json_t *p;
            json_object_foreach (profiles, name, p) {
                printf ("%-16s", name);
                for (size_t c = 0; c < ncols; c++)
                    printf (" %12" JSON_INTEGER_FORMAT, json_integer_value (json_object_get (p, cols [c])));
                printf (" %12.1f", json_number_value (json_object_get (p, "segments_per_request")));
                s_print_usage (json_object_get (p, "usage"));
                printf ("\n");
            }
        }
        json_decref (st);
    }
    hny_client_destroy (&client);
    return rc;
}

/* ---- prepare (in-process dry run) ------------------------------------- */

static int
s_cmd_prepare (hny_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts [] = {
        { "from", required_argument, NULL, 'f' },
        { "format", required_argument, NULL, 'F' },
        { "lenient", no_argument, NULL, 'l' },
        HNY_CLI_COMMON_OPTIONS,
        { NULL, 0, NULL, 0 }
    };
    const char *from = NULL, *format = NULL;
    int lenient = 0, opt;
    while ((opt = hny_cli_getopt (cli, "prepare", argc, argv, "", longopts)) != -1) {
        if (HNY_CLI_STOP (opt))
            return HNY_CLI_STOP_CODE (opt);
        switch (opt) {
            case 'f': from = optarg; break;
            case 'F': format = optarg; break;
            case 'l': lenient = 1; break;
            default: break;
        }
    }
    if (argc - optind != 1)
        return hny_cli_usage ("prepare", "exactly one FILE (or - for standard input)");
    if (format && !hny_cli_format_valid (format))
        return hny_cli_usage ("prepare", "unknown --format '%s' (auto, text, plain, html, jpw)", format);
    /* The same check as submit's: the dry run segments as the worker will. */
    char lang [HNY_LANG_MAX + 1];
    int lang_rc = from ? s_cli_lang (from, lang) : 0;
    if (lang_rc)
        return lang_rc;
    if (from)
        from = lang;
    const char *path = argv [optind];
#ifdef HNY_HAVE_PREPARE
    char *data = NULL;
    size_t size = 0;
    const char *why = NULL;
    if (hny_cli_read_input (cli, path, &data, &size, &why))
        return hny_cli_fail ("prepare", "%s: %s", path, why);
    hny_prepare_opts_t opts = {
        .format = format, .lang = from, .lenient = lenient, .max_bytes = cli->max_bytes,
        .source = strcmp (path, "-") ? path : NULL
    };
    hny_preparer_t *preparer = hny_preparer_new ();
    int status = 0;
    char *reason = NULL;
    json_t *article = hny_prepare (preparer, (const uint8_t *) data, size, &opts, &status, &reason);
    int rc = HNY_EXIT_OK;
    if (!article)
        rc = hny_cli_fail ("prepare", "%s: %s (status %d)", path, reason ? reason : "failed", status);
    else {
        char *text = json_dumps (article, JSON_INDENT (2) | JSON_PRESERVE_ORDER);
        printf ("%s\n", text);
        free (text);
        json_decref (article);
    }
    free (reason);
    free (data);
    hny_preparer_destroy (&preparer);
    return rc;
#else
    (void) from;
    (void) lenient;
    return hny_cli_fail ("prepare", "%s: this honyaku was built without the text preparation "
                         "library (hnyprep)", path);
#endif
}

/* ---- main ------------------------------------------------------------- */

typedef int (s_command_fn) (hny_cli_t *cli, int argc, char **argv);

static const struct {
    const char *name;
    s_command_fn *fn;
} s_commands [] = {
    { "submit", s_cmd_submit },
    { "status", s_cmd_status },
    { "wait", s_cmd_wait },
    { "fetch", s_cmd_fetch },
    { "batch", hny_cli_batch },
    { "align", hny_cli_align },
    { "align-pairs", hny_cli_align_pairs },
    { "export", hny_cli_export },
    { "qa", hny_cli_qa },
    { "tm", hny_cli_tm },
    { "stats", s_cmd_stats },
    { "prepare", s_cmd_prepare },
    { "keygen", s_cmd_keygen },
};

/* The endpoint when --endpoint gives none, and why (*why, static text):
   $HONYAKU_ENDPOINT; ipc://$HONYAKU_STATE/front; the service's socket
   when it is there (or there but closed to us: the probe then says which
   group to join, rather than "no socket" somewhere else); else the
   honyakud started in this directory. Caller owns. */
static char *
s_default_endpoint (const char **why)
{
    const char *env = getenv ("HONYAKU_ENDPOINT");
    if (env && *env) {
        *why = "$HONYAKU_ENDPOINT";
        return hny_strdup (env);
    }
    const char *state = getenv ("HONYAKU_STATE");
    if (state && *state) {
        *why = "$HONYAKU_STATE";
        return hny_sprintf ("ipc://%s/front", state);
    }
    struct stat st;
    if (lstat (HNY_SERVICE_FRONT, &st) == 0 || errno == EACCES) {
        *why = "the service's socket";
        return hny_strdup ("ipc://" HNY_SERVICE_FRONT);
    }
    *why = "no $HONYAKU_ENDPOINT or $HONYAKU_STATE, and no service socket at "
           HNY_SERVICE_FRONT ": the honyakud of this directory";
    return hny_strdup ("ipc://./honyaku-state/front");
}

int
main (int argc, char **argv)
{
    hny_log_init ("honyaku", HNY_LOG_WARN);
    const char *why = NULL;
    char *endpoint = s_default_endpoint (&why);
    hny_cli_t cli = { .endpoint = endpoint, .timeout_ms = HNY_CLIENT_TIMEOUT_MS,
                      .max_bytes = HNY_CLI_MAX_BYTES_DEFAULT, .endpoint_why = why };

    /* Global options up to the command name ("+": stop at the first non-option). */
    enum { OPT_SERVER_KEY = 2000, OPT_KEY_FILE };
    const char *server_key = NULL, *key_file = NULL;
    static const struct option longopts [] = {
        { "version", no_argument, NULL, 'V' },
        { "verbose", no_argument, NULL, 'v' },
        { "server-key", required_argument, NULL, OPT_SERVER_KEY },
        { "key-file", required_argument, NULL, OPT_KEY_FILE },
        HNY_CLI_COMMON_OPTIONS,
        { NULL, 0, NULL, 0 }
    };
    int rc = -1;
    opterr = 0;
    for (;;) {
        int opt = getopt_long (argc, argv, "+:hVv", longopts, NULL);
        if (opt == -1)
            break;
        if (opt == 'h' || opt == HNY_OPT_HELP) {
            s_main_help (stdout);
            rc = HNY_EXIT_OK;
            break;
        }
        if (opt == 'V') {
            printf ("honyaku %s (protocol HNY/1)\n", HNY_VERSION);
            rc = HNY_EXIT_OK;
            break;
        }
        if (opt == '?' || opt == ':') {
            rc = hny_cli_usage (NULL, "unknown option or missing value: '%s'", argv [optind - 1]);
            break;
        }
        if (opt == 'v') {
            cli.verbose = 1;
            continue;
        }
        if (opt == OPT_SERVER_KEY || opt == OPT_KEY_FILE) {
            *(opt == OPT_SERVER_KEY ? &server_key : &key_file) = optarg;
            continue;
        }
        int r = s_common_option (&cli, NULL, opt, optarg);
        if (r > 0) {
            rc = r;
            break;
        }
    }
    if (rc < 0) {
        int r = s_curve_load (server_key, key_file);
        if (r > 0)
            rc = r;
    }
    if (rc < 0) {
        if (optind >= argc)
            rc = hny_cli_usage (NULL, "no command given");
        else {
            const char *name = argv [optind];
            int sub_argc = argc - optind;
            char **sub_argv = argv + optind;
            if (strcmp (name, "help") == 0) {
                if (sub_argc < 2) {
                    s_main_help (stdout);
                    rc = HNY_EXIT_OK;
                }
                else if (hny_cli_help (sub_argv [1]))
                    rc = hny_cli_usage ("help", "unknown command '%s'", sub_argv [1]);
                else
                    rc = HNY_EXIT_OK;
            }
            else {
                for (size_t i = 0; i < sizeof s_commands / sizeof s_commands [0]; i++)
                    if (strcmp (name, s_commands [i].name) == 0) {
                        s_getopt_reset ();
                        rc = s_commands [i].fn (&cli, sub_argc, sub_argv);
                        break;
                    }
                if (rc < 0)
                    rc = hny_cli_usage (NULL, "unknown command '%s'", name);
            }
        }
    }
    if (fflush (stdout) != 0 && rc == HNY_EXIT_OK)
        rc = hny_cli_fail (NULL, "cannot write the output: %s", strerror (errno));
    explicit_bzero (s_secret_key, sizeof s_secret_key);
    free (endpoint);
    return rc;
}
