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

/// The IFF_VNET_HDR flag of TUNSETIFF: every frame read or written is preceded by a
/// `struct virtio_net_hdr` describing checksum and segmentation offloads.
int cmesh_iff_vnet_hdr(void);

/// Sets the offloads the TAP may hand us (TUNSETOFFLOAD), a mask of the `cmesh_tun_f_*`
/// values. Returns 0 or -1 with errno (EINVAL when the kernel lacks one).
int cmesh_tun_set_offload(int fd, unsigned int flags);

/// TUN_F_CSUM: frames may carry a partial checksum for the receiver to complete.
unsigned int cmesh_tun_f_csum(void);
/// TUN_F_TSO4: TCP over IPv4 may come as one large segment.
unsigned int cmesh_tun_f_tso4(void);
/// TUN_F_TSO6: TCP over IPv6 may come as one large segment.
unsigned int cmesh_tun_f_tso6(void);
/// TUN_F_USO4 (Linux 6.2+): UDP over IPv4 may come as one large segment.
unsigned int cmesh_tun_f_uso4(void);
/// TUN_F_USO6 (Linux 6.2+): UDP over IPv6 may come as one large segment.
unsigned int cmesh_tun_f_uso6(void);

/// The size of the virtio-net header the TAP uses (TUNSETVNETHDRSZ). Returns 0 or -1.
int cmesh_tun_set_vnet_hdr_size(int fd, int size);

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

/// The room one UDP_SEGMENT or UDP_GRO control message needs (CMSG_SPACE of an int).
#define CMESH_UDP_CMSG_SPACE 24

/// Turns on UDP generic receive offload (UDP_GRO): the kernel may hand over several
/// same-sized datagrams from one sender as one buffer, with their size in a control message.
/// Returns 0 or -1 with errno (ENOPROTOOPT on kernels without it).
int cmesh_udp_enable_gro(int fd);

/// Whether the kernel takes UDP_SEGMENT (UDP generic segmentation offload) on this socket.
/// Returns 0 or -1 with errno.
int cmesh_udp_probe_gso(int fd);

/// Attaches a UDP_SEGMENT control message for `segment`-byte datagrams to `msg`, written
/// into `control` (CMESH_UDP_CMSG_SPACE bytes); `segment` 0 removes any control message.
void cmesh_msg_set_segment(struct msghdr *msg, void *control, unsigned short segment);

/// Points `msg` at `control` (CMESH_UDP_CMSG_SPACE bytes) to receive a UDP_GRO message.
void cmesh_msg_expect_gro(struct msghdr *msg, void *control);

/// The segment size from a received UDP_GRO control message, or 0 when there is none.
int cmesh_msg_gro_segment(const struct msghdr *msg);

/// Names the calling thread (prctl PR_SET_NAME; the kernel keeps 15 bytes), as `top -H`,
/// `ps -L` and `perf` show it. Returns 0 or -1 with errno.
int cmesh_set_thread_name(const char *name);

#endif
