/*  hny_access.c: the modes and group of honyakud's ipc:// socket files
    (see hny_access.h). */
#include "hny_access.h"

#include <honyaku/util.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_GROUPS_MAX 1024       /* supplementary groups we look through */

/* The socket file of an ipc:// endpoint, or NULL (tcp://, ipc://@name). */
static const char *
s_socket_path (const char *endpoint)
{
    if (!endpoint || strncmp (endpoint, "ipc://", 6) != 0 || endpoint [6] == '@')
        return NULL;
    return endpoint + 6;
}

/* True when this process may chown a file it owns to gid: root, or gid is
   its group or one of its supplementary groups. */
static int
s_member (gid_t gid)
{
    if (geteuid () == 0 || getegid () == gid)
        return 1;
    gid_t groups [S_GROUPS_MAX];
    int n = getgroups (S_GROUPS_MAX, groups);
    for (int i = 0; i < n; i++)
        if (groups [i] == gid)
            return 1;
    return 0;
}

int
hny_access_group (const char *group, gid_t *gid, char **error)
{
    *gid = (gid_t) -1;
    if (!group || !*group)
        return 0;
    errno = 0;
    struct group *gr = getgrnam (group);
    if (!gr) {
        *error = hny_sprintf ("socket_group: there is no group '%.64s'%s%s (create it with "
                              "groupadd --system %.64s, or leave socket_group unset)", group,
                              errno ? ": " : "", errno ? strerror (errno) : "", group);
        return -1;
    }
    if (!s_member (gr->gr_gid)) {
        struct passwd *pw = getpwuid (geteuid ());
        char user [64];
        if (pw && pw->pw_name)
            snprintf (user, sizeof user, "%s", pw->pw_name);
        else
            snprintf (user, sizeof user, "uid %u", (unsigned) geteuid ());
        *error = hny_sprintf ("socket_group: honyakud runs as %s, who is not in group '%.64s',"
                              " so it cannot give its socket to that group (run it with that"
                              " group, as the unit's Group= does, or add %s to it)", user, group,
                              user);
        return -1;
    }
    *gid = gr->gr_gid;
    return 0;
}

int
hny_access_socket (const char *endpoint, const char *group, char **error)
{
    const char *path = s_socket_path (endpoint);
    if (!path)
        return 0;
    if (!group || !*group) {
        /* honyakud's umask already makes it so; this covers a caller that
           changed it. */
        if (chmod (path, 0600) != 0)
            hny_warn ("%s: cannot make the socket file 0600: %s", endpoint, strerror (errno));
        return 0;
    }
    gid_t gid;
    if (hny_access_group (group, &gid, error))
        return -1;
    /* Group first, then the mode: never a moment of 0660 for another group. */
    if (chown (path, (uid_t) -1, gid) != 0 || chmod (path, 0660) != 0) {
        *error = hny_sprintf ("%s: cannot give the socket file to group '%.64s' (mode 0660): %s",
                              endpoint, group, strerror (errno));
        return -1;
    }
    return 0;
}

void
hny_access_check_dirs (const char *endpoint, const char *group)
{
    const char *path = s_socket_path (endpoint);
    gid_t gid;
    char *error = NULL;
    if (!group || !*group)
        return;
    if (!path) {
        hny_warn ("socket_group %s changes nothing: the client endpoint %s is no socket file",
                  group, endpoint);
        return;
    }
    if (hny_access_group (group, &gid, &error)) {
        free (error);
        return;
    }
    /* From the socket's directory up to the root (a relative path: up to
       ".", then its absolute parents). */
    char *dir = realpath (path, NULL);
    if (!dir)
        return;
    for (char *slash = strrchr (dir, '/'); slash; slash = strrchr (dir, '/')) {
        if (slash == dir)
            slash [1] = 0;          /* "/" itself */
        else
            *slash = 0;
        struct stat st;
        if (stat (dir, &st) != 0)
            break;
        int open_to_group = (st.st_mode & S_IXOTH) || (st.st_gid == gid && (st.st_mode & S_IXGRP));
        if (!open_to_group) {
            struct group *gr = getgrgid (st.st_gid);
            char owner [64];
            if (gr && gr->gr_name)
                snprintf (owner, sizeof owner, "%s", gr->gr_name);
            else
                snprintf (owner, sizeof owner, "%u", (unsigned) st.st_gid);
            hny_warn ("socket_group %s: its members cannot reach %s: the directory %s (mode %04o,"
                      " group %s) is closed to them; let them through with: chgrp %s %s &&"
                      " chmod g+x %s", group, path, dir, (unsigned) (st.st_mode & 07777), owner,
                      group, dir, dir);
            break;
        }
        if (slash == dir)
            break;
    }
    free (dir);
}
