// See include/ckvm_tap.h for the contract.
#define _GNU_SOURCE
#include "ckvm_tap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int ckvm_tap_open(const char *name) {
    size_t length = strlen(name);
    if (length == 0) return -EINVAL;
    if (length > (size_t)CKVM_TAP_NAME_MAX) return -ENAMETOOLONG;
    // The runtime creates persistent taps; attaching must not silently create a fresh one nobody bridges.
    if (if_nametoindex(name) == 0) return -ENODEV;
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return -errno;
    struct ifreq request;
    memset(&request, 0, sizeof request);
    memcpy(request.ifr_name, name, length);  // length < IFNAMSIZ, and the rest stays NUL
    request.ifr_flags = IFF_TAP | IFF_NO_PI;
    if (ioctl(fd, TUNSETIFF, &request) < 0) {
        int saved = errno;
        close(fd);
        return -saved;
    }
    return fd;
}

int ckvm_tap_adopt(int fd, const char *name) {
    struct ifreq request;
    memset(&request, 0, sizeof request);
    if (ioctl(fd, TUNGETIFF, &request) < 0) return errno == EBADF ? -EBADF : -EBADFD;
    if (strncmp(request.ifr_name, name, IFNAMSIZ) != 0) return -EINVAL;
    if ((request.ifr_flags & (IFF_TUN | IFF_TAP | IFF_NO_PI | IFF_VNET_HDR)) != (IFF_TAP | IFF_NO_PI)) return -EINVAL;
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) return -errno;
    return fd;
}
