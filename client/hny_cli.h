/*  hny_cli.h: what the pieces of the honyaku command share: global
    settings, error reporting in one format ("honyaku: CMD: what: why"),
    capped file reading, and the commands that live in their own files. */
#ifndef HNY_CLI_H
#define HNY_CLI_H

#include "honyaku/client.h"
#include "honyaku/lang.h"

#include <getopt.h>
#include <jansson.h>
#include <stddef.h>

/* Exit codes of the honyaku command. */
#define HNY_EXIT_OK      0
#define HNY_EXIT_FAIL    1      /* something failed (a file, a job, the daemon) */
#define HNY_EXIT_USAGE   2      /* bad command line */
#define HNY_EXIT_TIMEOUT 3      /* wait: the job was not finished in time */
#define HNY_EXIT_EMPTY   4      /* export: no record matched; nothing written */

#define HNY_CLI_MAX_BYTES_DEFAULT (8u * 1024 * 1024)
/* Bytes of one line of a records file (export --in, qa): a record is at
   most a RECORD body, and older ones were allowed this much. */
#define HNY_CLI_RECORD_MAX (256u * 1024 * 1024)

/* Settings from the global options, shared by every command. */
typedef struct {
    const char *endpoint;       /* front endpoint of honyakud (never NULL) */
    int timeout_ms;             /* answer deadline of every request */
    size_t max_bytes;           /* cap on an input file */
    const char *endpoint_why;   /* where endpoint came from, for -v ("--endpoint", ...) */
    int verbose;                /* -v: say which endpoint is used and why */
} hny_cli_t;

/* Print "honyaku: CMD: MESSAGE" on stderr and return HNY_EXIT_FAIL. */
int hny_cli_fail (const char *cmd, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
/* Print "honyaku: CMD: MESSAGE" plus a hint to the help on stderr and
   return HNY_EXIT_USAGE. */
int hny_cli_usage (const char *cmd, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

/* A client on the configured endpoint with the configured timeout (caller
   owns). With -v, the first one says on stderr which endpoint and why:
   "honyaku: endpoint ipc:///run/honyaku/front (the service's socket)". */
hny_client_t *hny_cli_client (const hny_cli_t *cli);

/* Read FILE ("-": standard input) with the size cap, empty or not.
   Returns 0 with *data (caller owns, NUL-terminated) and *size, or -1 with
   a one-line reason in *why (static text or the errno string). */
int hny_cli_read_file (const hny_cli_t *cli, const char *path, char **data, size_t *size,
                       const char **why);
/* Read FILE ("-": standard input) with the size cap; refuse empty files.
   Returns 0 with *data (caller owns, NUL-terminated) and *size, or -1 with
   a one-line reason in *why (static text or the errno string). */
int hny_cli_read_input (const hny_cli_t *cli, const char *path, char **data, size_t *size,
                        const char **why);

/* Each line of a JSON Lines file (path; "-": standard input), blank ones
   aside, at most HNY_CLI_RECORD_MAX bytes each: fn gets it parsed (obj,
   borrowed), or obj NULL and why it is not JSON, with the path and its
   line number; a nonzero return stops the reading. Returns 0, or -1 when
   fn stopped it or the file could not be read (that is reported as
   "honyaku: CMD: ..."). */
typedef int (hny_cli_jsonl_fn) (json_t *obj, const char *not_json, const char *path, long line,
                                void *arg);
int hny_cli_jsonl (const char *cmd, const char *path, hny_cli_jsonl_fn *fn, void *arg);

/* Parse a size ("8388608", "512K", "8M", "1G"); returns 0 or -1. */
int hny_cli_parse_size (const char *text, size_t *out);
/* Parse a non-negative int of at most max; returns 0 or -1. */
int hny_cli_parse_int (const char *text, int max, int *out);
/* Check the languages of a SUBMIT and point opts->from and opts->to at
   their canonical forms, written into from and to (HNY_LANG_MAX + 1 bytes
   each, kept by the caller while opts is used), so that what is sent and
   every key derived from it use one spelling. Returns 0, or prints
   "honyaku: unknown language 'english' (use a BCP 47 tag such as en, ja,
   pt-BR)" and returns HNY_EXIT_USAGE. */
int hny_cli_langs (hny_submit_t *opts, char *from, char *to);
/* True when the format name is one that SUBMIT and prepare accept. */
int hny_cli_format_valid (const char *format);

/* Options every command accepts besides its own (after the command name):
   --endpoint EP, --timeout MS (the answer deadline; wait uses its own),
   --max-bytes N. Long-option ids for getopt_long tables: */
enum { HNY_OPT_ENDPOINT = 1000, HNY_OPT_TIMEOUT, HNY_OPT_MAX_BYTES, HNY_OPT_HELP };
#define HNY_CLI_COMMON_OPTIONS \
    { "endpoint", required_argument, NULL, HNY_OPT_ENDPOINT }, \
    { "timeout", required_argument, NULL, HNY_OPT_TIMEOUT }, \
    { "max-bytes", required_argument, NULL, HNY_OPT_MAX_BYTES }, \
    { "help", no_argument, NULL, HNY_OPT_HELP }

/* Run getopt_long over a command's arguments. Handles the common options
   (--help prints the command's help and makes the result HNY_EXIT_OK) and
   unknown options (usage error). Returns the option id for the command to
   handle, -1 at the end of the options, or -(100 + exit code) when the
   command should return that exit code at once. */
int hny_cli_getopt (hny_cli_t *cli, const char *cmd, int argc, char **argv,
                    const char *shortopts, const struct option *longopts);
#define HNY_CLI_STOP(rc) ((rc) <= -100)
#define HNY_CLI_STOP_CODE(rc) (-(rc) - 100)

/* Print the help of one command on stdout; returns 0, or -1 when unknown. */
int hny_cli_help (const char *cmd);

/* The regular files under root, recursively, sorted by relative path,
   hidden names skipped, folders entered only when real (not symlinks), at
   most 1,000,000: *rels (relative paths; caller frees each and the array)
   and *count. Returns 0, or -1 (said as "honyaku: CMD: ..."). */
int hny_cli_walk (const char *cmd, const char *root, char ***rels, size_t *count);

/* Commands in their own files; argv[0] is the command name. */
int hny_cli_batch (hny_cli_t *cli, int argc, char **argv);
int hny_cli_export (hny_cli_t *cli, int argc, char **argv);
int hny_cli_align (hny_cli_t *cli, int argc, char **argv);
int hny_cli_align_pairs (hny_cli_t *cli, int argc, char **argv);
int hny_cli_qa (hny_cli_t *cli, int argc, char **argv);
int hny_cli_tm (hny_cli_t *cli, int argc, char **argv);

#endif
