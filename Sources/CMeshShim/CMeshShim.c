#include "CMeshShim.h"

#include <errno.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>

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

int cmesh_tun_set_vnet_hdr_size(int fd, int size) { return ioctl(fd, TUNSETVNETHDRSZ, &size); }

int cmesh_setns_net(int fd) { return setns(fd, CLONE_NEWNET); }

int cmesh_recvmmsg(int fd, struct cmesh_mmsghdr *vec, unsigned int count, int flags) {
  return recvmmsg(fd, (struct mmsghdr *)vec, count, flags, NULL);
}

int cmesh_sendmmsg(int fd, struct cmesh_mmsghdr *vec, unsigned int count, int flags) {
  return sendmmsg(fd, (struct mmsghdr *)vec, count, flags);
}
