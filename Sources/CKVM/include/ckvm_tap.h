// CKVM tap helpers: the TUNSETIFF ioctl takes a struct ifreq (a union Swift handles badly), so opening a tap
// interface by name is done here. Same contract as ckvm.h: a value on success, -errno on failure.

#ifndef CKVM_TAP_H
#define CKVM_TAP_H

#pragma clang assume_nonnull begin

/// The longest interface name Linux takes (IFNAMSIZ - 1).
static const int CKVM_TAP_NAME_MAX = 15;

/// Opens the existing tap interface `name` as a raw Ethernet device: open("/dev/net/tun", O_RDWR | O_NONBLOCK |
/// O_CLOEXEC), then TUNSETIFF with IFF_TAP | IFF_NO_PI (no packet-info prefix, no virtio-net header: every
/// read(2) is one frame, every write(2) sends one). Returns the fd or -errno: -ENAMETOOLONG for a name longer
/// than CKVM_TAP_NAME_MAX, -ENODEV when no interface has that name (TUNSETIFF would otherwise create a new,
/// unconnected one), -EINVAL when it is a tun (layer 3) device, -EBUSY when another process has it open, -EPERM
/// when this user may not attach to it.
int ckvm_tap_open(const char *name);

/// Adopts `fd`, a tap another process attached (vmctl-launch, as root): checks with TUNGETIFF that it is the tap
/// interface `name` in raw mode (IFF_TAP | IFF_NO_PI, no IFF_VNET_HDR), then makes it non-blocking and close-on-exec.
/// Returns fd or -errno: -EBADFD when it is not a tap, -EINVAL when its name or flags differ.
int ckvm_tap_adopt(int fd, const char *name);

#pragma clang assume_nonnull end

#endif
