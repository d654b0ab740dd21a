/*  hny_access.h: who may connect to honyakud's ipc:// sockets.

    Without [daemon] socket_group, every socket file is 0600: honyakud's
    user (and root) alone. With it, the client socket (front) is 0660 and
    belongs to that group, so that its members can use the honyaku
    command; the worker socket (back) stays 0600, since a worker is handed
    every article and writes the translations (other hosts' workers come
    over tcp:// with CURVE). A member also needs to pass through every
    directory on the way to the socket: hny_access_check_dirs says when one
    is closed to the group. tcp:// and abstract (ipc://@name) endpoints
    have no file and are left alone. */
#ifndef HNY_ACCESS_H
#define HNY_ACCESS_H

#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Resolve socket_group (NULL or "": none, *gid = (gid_t) -1) and check
   that honyakud can give its sockets to it: the group exists and this
   process is root or in it. Returns 0, or -1 with *error (caller owns)
   naming the group and what to do. */
int hny_access_group (const char *group, gid_t *gid, char **error);

/* Set the mode (and group) of a socket file honyakud has just bound:
   0600, or 0660 owned by group when group is set (by name, as in the
   config). Returns 0, or -1 with *error (caller owns) when the group
   cannot be given, so that honyakud stops instead of serving a socket its
   group cannot use. A 0600 that fails is logged (umask 077 made it so). */
int hny_access_socket (const char *endpoint, const char *group, char **error);

/* Warn (once, naming the first one) when a directory between / and the
   socket of endpoint is closed to group: neither searchable by others nor
   by that group; and when endpoint has no socket file (tcp://), which the
   group changes nothing for. Nothing for a NULL group. */
void hny_access_check_dirs (const char *endpoint, const char *group);

#ifdef __cplusplus
}
#endif
#endif
