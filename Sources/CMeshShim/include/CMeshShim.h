#ifndef CMESHSHIM_H
#define CMESHSHIM_H
// Small C helpers for what Swift cannot express directly: variadic ioctl, the struct ifreq
// unions and the GNU-only declarations that Swift's Glibc module hides (setns, recvmmsg,
// sendmmsg). Every function is prefixed `cmesh_`. The epoll and eventfd headers are included
// here so that their types and constants are visible to Swift through this module.

#include <stddef.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

/// Attaches the open `/dev/net/tun` descriptor `fd` to a TAP/TUN device with `flags`
/// (IFF_TAP, IFF_NO_PI, ...) via TUNSETIFF. `name` may be NULL or empty for a kernel-chosen
/// name. On success copies the resulting NUL-terminated name into `out_name` (at least
/// IFNAMSIZ bytes) and returns 0; on failure returns -1 with errno set.
int cmesh_tun_set_iff(int fd, const char *name, int flags, char *out_name);

/// Sets (1) or clears (0) TUNSETPERSIST on a TAP/TUN descriptor. Returns 0 or -1 with errno.
int cmesh_tun_set_persist(int fd, int persist);

/// The IFF_TAP flag of TUNSETIFF.
int cmesh_iff_tap(void);
/// The IFF_NO_PI flag of TUNSETIFF.
int cmesh_iff_no_pi(void);

/// Moves the calling thread into the network namespace referred to by `fd`
/// (setns(fd, CLONE_NEWNET)). Returns 0 or -1 with errno.
int cmesh_setns_net(int fd);

/// Same layout as glibc's `struct mmsghdr` (which Swift cannot see without _GNU_SOURCE).
struct cmesh_mmsghdr {
  struct msghdr msg_hdr;
  unsigned int msg_len;
};

/// recvmmsg(2) without a timeout. Returns the number of messages or -1 with errno.
int cmesh_recvmmsg(int fd, struct cmesh_mmsghdr *vec, unsigned int count, int flags);

/// sendmmsg(2). Returns the number of messages sent or -1 with errno.
int cmesh_sendmmsg(int fd, struct cmesh_mmsghdr *vec, unsigned int count, int flags);

#endif
