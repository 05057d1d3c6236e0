/* One owner process per lock file (owner_lock.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "base/owner_lock.h"

vt_status vt__owner_lock(int *fd, char owner[VT_OWNER_PID_MAX], const char *path, vt_err *err)
{
    char pid[VT_OWNER_PID_MAX];
    ssize_t n;
    int e;

    owner[0] = '\0';
    *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (*fd < 0)
        return vt_err_set(err, VT_E_IO, "cannot open %s: %s", path, strerror(errno));
    while (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
        e = errno;
        if (e == EINTR)
            continue;
        if (e == EWOULDBLOCK) {
            n = pread(*fd, owner, VT_OWNER_PID_MAX - 1, 0);
            owner[n > 0 ? (size_t)n : 0] = '\0';
            owner[strspn(owner, "0123456789")] = '\0'; /* the holder's pid, if it wrote one */
        }
        close(*fd);
        *fd = -1;
        return e == EWOULDBLOCK ? VT_E_POLICY : vt_err_set(err, VT_E_IO, "cannot lock %s: %s", path, strerror(e));
    }
    /* The pid is for the second one's message only: a full disk that refuses it does not stop
     * the owner (the lock is what counts), it leaves the file empty. */
    n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
    if (ftruncate(*fd, 0) == 0)
        (void)!pwrite(*fd, pid, (size_t)n, 0);
    return VT_OK;
}
