/*
 * Internal: one process owns a thing (a gateway's receipt queue, a verifier's SQLite
 * database) for as long as it runs (owner_lock.c).  An exclusive flock on a lock file,
 * held until the descriptor is closed: it goes with the process, so a crash leaves nothing
 * to clean.  The file holds the owner's pid, for the message of whoever comes second (when
 * the disk takes it: a full disk does not stop the owner).
 */
#ifndef VT_BASE_OWNER_LOCK_H
#define VT_BASE_OWNER_LOCK_H

#include "veritee/base.h"

#define VT_OWNER_PID_MAX 24

/* Takes the lock at path (made 0600): *fd holds it (close to let go).  VT_E_POLICY when
 * another process holds it, with its pid in owner ("" when it wrote none), and no message
 * (the caller says what is in use and what to do); VT_E_IO naming path otherwise. */
vt_status vt__owner_lock(int *fd, char owner[VT_OWNER_PID_MAX], const char *path, vt_err *err);

#endif
