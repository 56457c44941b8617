#include "CMeshShim.h"

#include <errno.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>

_Static_assert(sizeof(struct cmesh_mmsghdr) == sizeof(struct mmsghdr), "mmsghdr layout");
_Static_assert(offsetof(struct cmesh_mmsghdr, msg_len) == offsetof(struct mmsghdr, msg_len),
               "mmsghdr layout");

int cmesh_tun_set_iff(int fd, const char *name, int flags, char *out_name) {
  struct ifreq ifr;
  memset(&ifr, 0, sizeof(ifr));
  if (name != NULL) {
    if (strlen(name) >= IFNAMSIZ) {
      errno = EINVAL;
      return -1;
    }
    strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
  }
  ifr.ifr_flags = (short)flags;
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) return -1;
  memcpy(out_name, ifr.ifr_name, IFNAMSIZ);
  out_name[IFNAMSIZ - 1] = '\0';
  return 0;
}

int cmesh_tun_set_persist(int fd, int persist) {
  return ioctl(fd, TUNSETPERSIST, (unsigned long)(persist ? 1 : 0));
}

int cmesh_iff_tap(void) { return IFF_TAP; }
int cmesh_iff_no_pi(void) { return IFF_NO_PI; }

int cmesh_iff_vnet_hdr(void) { return IFF_VNET_HDR; }

int cmesh_tun_set_offload(int fd, unsigned int flags) {
  return ioctl(fd, TUNSETOFFLOAD, (unsigned long)flags);
}

unsigned int cmesh_tun_f_csum(void) { return TUN_F_CSUM; }
unsigned int cmesh_tun_f_tso4(void) { return TUN_F_TSO4; }
unsigned int cmesh_tun_f_tso6(void) { return TUN_F_TSO6; }
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#endif
#ifndef TUN_F_USO6
#define TUN_F_USO6 0x40
#endif
unsigned int cmesh_tun_f_uso4(void) { return TUN_F_USO4; }
unsigned int cmesh_tun_f_uso6(void) { return TUN_F_USO6; }

int cmesh_tun_set_vnet_hdr_size(int fd, int size) { return ioctl(fd, TUNSETVNETHDRSZ, &size); }

int cmesh_setns_net(int fd) { return setns(fd, CLONE_NEWNET); }

int cmesh_recvmmsg(int fd, struct cmesh_mmsghdr *vec, unsigned int count, int flags) {
  return recvmmsg(fd, (struct mmsghdr *)vec, count, flags, NULL);
}

int cmesh_sendmmsg(int fd, struct cmesh_mmsghdr *vec, unsigned int count, int flags) {
  return sendmmsg(fd, (struct mmsghdr *)vec, count, flags);
}

#ifndef SOL_UDP
#define SOL_UDP 17
#endif
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif

_Static_assert(CMSG_SPACE(sizeof(int)) <= CMESH_UDP_CMSG_SPACE, "UDP control message room");
_Static_assert(CMSG_SPACE(sizeof(uint16_t)) <= CMESH_UDP_CMSG_SPACE, "UDP control message room");

int cmesh_udp_enable_gro(int fd) {
  int on = 1;
  return setsockopt(fd, SOL_UDP, UDP_GRO, &on, sizeof(on));
}

int cmesh_udp_probe_gso(int fd) {
  int off = 0;
  return setsockopt(fd, SOL_UDP, UDP_SEGMENT, &off, sizeof(off));
}

void cmesh_msg_set_segment(struct msghdr *msg, void *control, unsigned short segment) {
  if (segment == 0) {
    msg->msg_control = NULL;
    msg->msg_controllen = 0;
    return;
  }
  memset(control, 0, CMESH_UDP_CMSG_SPACE);
  msg->msg_control = control;
  msg->msg_controllen = CMSG_SPACE(sizeof(uint16_t));
  struct cmsghdr *c = CMSG_FIRSTHDR(msg);
  c->cmsg_level = SOL_UDP;
  c->cmsg_type = UDP_SEGMENT;
  c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
  uint16_t value = segment;
  memcpy(CMSG_DATA(c), &value, sizeof(value));
}

void cmesh_msg_expect_gro(struct msghdr *msg, void *control) {
  msg->msg_control = control;
  msg->msg_controllen = CMESH_UDP_CMSG_SPACE;
}

int cmesh_msg_gro_segment(const struct msghdr *msg) {
  if (msg->msg_controllen == 0) return 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR((struct msghdr *)msg); c != NULL;
       c = CMSG_NXTHDR((struct msghdr *)msg, c)) {
    if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO && c->cmsg_len >= CMSG_LEN(sizeof(int))) {
      int value;
      memcpy(&value, CMSG_DATA(c), sizeof(value));
      return value;
    }
  }
  return 0;
}

int cmesh_set_thread_name(const char *name) {
  return prctl(PR_SET_NAME, (unsigned long)name, 0UL, 0UL, 0UL);
}
