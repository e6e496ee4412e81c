// vmctl-launch: starts one VMM (QEMU) unprivileged and confined, in the Firecracker jailer's order. The VM's wrapper
// shell execs it as root in place of the VMM; it opens what the VMM needs while still root, then drops everything.
//
// Why C: it must be single-threaded when it unshares and changes ids, needs pivot_root (no glibc wrapper; Swift
// cannot call the variadic syscall()), and runs once per VM start: a C program has no runtime to load (about 1 ms).
//
//   vmctl-launch --uid N --gid N [--nofile N] [--nproc N] [--dev kvm|net/tun]…
//                [--file FD:r|w|a|k:PATH] [--listen FD:PATH] [--connect FD:PATH] [--tap FD:NAME] [--raw-tap FD:NAME]
//                [--ro DIR] [--env VMCTL_VMM_X=V]… -- VMM ARGS…
//
// --file opens PATH read-only (r), read-write (w), append-only, created 0600 (a), or read-only and reopenable by the
// VMM's uid through /proc/self/fd (k: as is when world-readable, else a sealed memfd copy; for -kernel/-initrd, which
// QEMU opens by path); --listen binds and listens on a
// unix socket at PATH (a stale one is replaced); --connect connects one; --tap attaches to an existing tap with a
// virtio-net header (QEMU), --raw-tap without (vmctl-vmm). Each becomes descriptor FD in the VMM; every other
// descriptor but 0-2 is closed. --ro binds a host folder read-only at the same path in the jail (the Swift runtime
// of a vmctl-vmm that is not linked statically). The VMM's environment is empty but for --env, which passes only
// vmctl-vmm's own switches (VMCTL_VMM_*: seccomp mode, test triggers). Exit 126 when a step fails.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#define JAIL "/tmp"   // any existing folder: the jail's tmpfs is mounted over it in the VMM's namespace only

static void die(const char *format, ...) {
    int error = errno;   // 0: no system call failed
    va_list args;
    va_start(args, format);
    fputs("vmctl-launch: ", stderr);
    vfprintf(stderr, format, args);
    if (error) fprintf(stderr, ": %s", strerror(error));
    fputc('\n', stderr);
    va_end(args);
    exit(126);
}

static long number(const char *text, long max) {
    char *end;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno || *end || value < 0 || value > max) { errno = 0; die("not a number in range: %s", text); }
    return value;
}

// "FD:REST" → FD (at least 3), REST in *rest.
static int target(const char *spec, const char **rest) {
    const char *colon = strchr(spec, ':');
    if (!colon) { errno = 0; die("expected FD:…, got %s", spec); }
    char digits[16];
    size_t length = (size_t)(colon - spec);
    if (length == 0 || length >= sizeof digits) { errno = 0; die("bad descriptor in %s", spec); }
    memcpy(digits, spec, length);
    digits[length] = 0;
    *rest = colon + 1;
    int fd = (int)number(digits, 1023);
    if (fd < 3) { errno = 0; die("descriptor %d is stdin, stdout or stderr", fd); }
    return fd;
}

// Moves `fd` to `wanted`, inheritable. Safe in any order: only the targets placed so far are open above 2.
static void place(int fd, int wanted, const char *what) {
    if (fd < 0) die("%s", what);
    if (fd != wanted) {
        if (fcntl(wanted, F_GETFD) != -1) { errno = 0; die("descriptor %d given twice", wanted); }
        if (dup2(fd, wanted) < 0) die("dup2 %s", what);
        close(fd);
    } else if (fcntl(fd, F_SETFD, 0) < 0) die("%s", what);
}

static int unix_socket(const char *path, struct sockaddr_un *address) {
    memset(address, 0, sizeof *address);
    address->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof address->sun_path) { errno = ENAMETOOLONG; die("%s", path); }
    strcpy(address->sun_path, path);
    return socket(AF_UNIX, SOCK_STREAM, 0);
}

// A file the VMM's uid may open again through /proc/self/fd: the file itself when anyone may read it, else a copy.
static int reopenable(int fd, const char *path) {
    struct stat info;
    if (fstat(fd, &info) < 0) die("%s", path);
    if (info.st_mode & S_IROTH) return fd;
    int copy = memfd_create("vmctl-launch", MFD_ALLOW_SEALING);
    if (copy < 0) die("memfd_create");
    for (off_t done = 0; done < info.st_size;) {
        ssize_t sent = sendfile(copy, fd, NULL, (size_t)(info.st_size - done));
        if (sent <= 0) die("copy %s", path);
        done += sent;
    }
    if (fcntl(copy, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0) die("seal %s", path);
    close(fd);
    return copy;
}

static void open_resource(const char *option, const char *spec) {
    const char *rest;
    int wanted = target(spec, &rest), fd;
    struct sockaddr_un address;
    if (!strcmp(option, "--file")) {
        if (strlen(rest) < 3 || rest[1] != ':') { errno = 0; die("expected FD:r|w|a:PATH, got %s", spec); }
        const char *path = rest + 2;
        int flags = rest[0] == 'r' || rest[0] == 'k' ? O_RDONLY : rest[0] == 'w' ? O_RDWR
                  : rest[0] == 'a' ? O_WRONLY | O_APPEND | O_CREAT : -1;
        if (flags < 0) { errno = 0; die("mode must be r, w or a: %s", spec); }
        fd = open(path, flags | O_NOCTTY, 0600);
        if (fd >= 0 && rest[0] == 'k') fd = reopenable(fd, path);
        place(fd, wanted, path);
    } else if (!strcmp(option, "--listen")) {
        fd = unix_socket(rest, &address);
        unlink(rest);
        if (fd < 0 || bind(fd, (struct sockaddr *)&address, sizeof address) < 0 || listen(fd, 16) < 0) die("listen %s", rest);
        place(fd, wanted, rest);
    } else if (!strcmp(option, "--connect")) {
        fd = unix_socket(rest, &address);
        if (fd < 0 || connect(fd, (struct sockaddr *)&address, sizeof address) < 0) die("connect %s", rest);
        place(fd, wanted, rest);
    } else if (!strcmp(option, "--tap") || !strcmp(option, "--raw-tap")) {
        struct ifreq request;
        memset(&request, 0, sizeof request);
        if (strlen(rest) >= IFNAMSIZ) { errno = 0; die("tap name too long: %s", rest); }
        strcpy(request.ifr_name, rest);
        request.ifr_flags = IFF_TAP | IFF_NO_PI | (strcmp(option, "--tap") ? 0 : IFF_VNET_HDR);
        fd = open("/dev/net/tun", O_RDWR);
        if (fd < 0 || ioctl(fd, TUNSETIFF, &request) < 0) die("tap %s", rest);
        place(fd, wanted, rest);
    } else {
        errno = 0;
        die("unknown option %s", option);
    }
}

static void limit(int resource, rlim_t value, const char *name) {
    struct rlimit limit = {value, value};
    if (setrlimit(resource, &limit) < 0) die("setrlimit %s", name);
}

static void mount_or_die(const char *source, const char *target, const char *type, unsigned long flags, const char *data) {
    if (mount(source, target, type, flags, data) < 0) die("mount %s on %s", source ? source : "(none)", target);
}

// A read-only bind of a host folder or file into the jail.
static void bind_read_only(const char *host, const char *inside) {
    mount_or_die(host, inside, NULL, MS_BIND | MS_REC, NULL);
    mount_or_die(NULL, inside, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL);
}

// /lib, /bin…: the same symlink as on the host (merged /usr), else a read-only bind.
static void mirror_top_level(const char *name) {
    char host[64], inside[64], link[256];
    snprintf(host, sizeof host, "/%s", name);
    snprintf(inside, sizeof inside, JAIL "/%s", name);
    struct stat info;
    if (lstat(host, &info) < 0) return;
    if (S_ISLNK(info.st_mode)) {
        ssize_t length = readlink(host, link, sizeof link - 1);
        if (length < 0) die("readlink %s", host);
        link[length] = 0;
        if (symlink(link, inside) < 0) die("symlink %s", inside);
    } else if (S_ISDIR(info.st_mode)) {
        if (mkdir(inside, 0755) < 0) die("mkdir %s", inside);
        bind_read_only(host, inside);
    }
}

// A device node in the jail's /dev: made with mknod, or where that is refused (a container), bound from the host.
static void device(const char *name, unsigned major, unsigned minor, mode_t mode, uid_t owner, gid_t group) {
    char inside[64], host[64];
    snprintf(inside, sizeof inside, JAIL "/dev/%s", name);
    snprintf(host, sizeof host, "/dev/%s", name);
    if (mknod(inside, S_IFCHR | mode, makedev(major, minor)) == 0) {
        if (chmod(inside, mode) < 0 || chown(inside, owner, group) < 0) die("chmod %s", inside);
        return;
    }
    int fd = open(inside, O_CREAT | O_WRONLY, 0600);
    if (fd < 0) die("create %s", inside);
    close(fd);
    mount_or_die(host, inside, NULL, MS_BIND, NULL);
}

// mkdir -p of an absolute folder inside the jail (its tmpfs is empty: every level is made).
static void make_path(const char *inside) {
    char path[4096];
    if (snprintf(path, sizeof path, "%s", inside) >= (int)sizeof path) { errno = ENAMETOOLONG; die("%s", inside); }
    for (char *slash = strchr(path + strlen(JAIL) + 1, '/');; slash = strchr(slash + 1, '/')) {
        if (slash) *slash = 0;
        if (mkdir(path, 0755) < 0 && errno != EEXIST) die("mkdir %s", path);
        if (!slash) break;
        *slash = '/';
    }
}

// An absolute, normalized path of at least one component, not under a folder the jail has already.
static int extra_folder_ok(const char *path) {
    if (path[0] != '/' || path[1] == 0 || strstr(path, "//") || strstr(path, "/./") || strstr(path, "/../")) return 0;
    size_t length = strlen(path);
    if (path[length - 1] == '/' || (length >= 2 && !strcmp(path + length - 2, "/.")) || (length >= 3 && !strcmp(path + length - 3, "/..")))
        return 0;
    const char *taken[] = {"/usr", "/etc", "/proc", "/dev", "/lib", "/lib64", "/bin", "/sbin"};
    for (size_t i = 0; i < sizeof taken / sizeof *taken; i++) {
        size_t n = strlen(taken[i]);
        if (!strncmp(path, taken[i], n) && (path[n] == 0 || path[n] == '/')) return 0;
    }
    return 1;
}

// A private mount namespace whose root is an empty read-only tmpfs holding /usr (and its /lib, /bin links) read-only,
// /etc/ld.so.cache, /proc, and a /dev with only null, zero, urandom and the devices asked for.
static void enter_jail(char **devices, int device_count, char **extra, int extra_count, uid_t uid, gid_t gid) {
    if (unshare(CLONE_NEWNS) < 0) die("unshare(CLONE_NEWNS)");
    // Nothing mounted here reaches the host; the host's later mounts may still show (slave, as the jailer does).
    mount_or_die(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL);
    mount_or_die("vmctl-jail", JAIL, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=64k");
    const char *folders[] = {JAIL "/usr", JAIL "/etc", JAIL "/proc", JAIL "/dev"};
    for (size_t i = 0; i < sizeof folders / sizeof *folders; i++)
        if (mkdir(folders[i], 0755) < 0) die("mkdir %s", folders[i]);
    bind_read_only("/usr", JAIL "/usr");
    const char *top[] = {"lib", "lib64", "lib32", "libx32", "bin", "sbin"};
    for (size_t i = 0; i < sizeof top / sizeof *top; i++) mirror_top_level(top[i]);
    if (access("/etc/ld.so.cache", R_OK) == 0) {   // only speeds up loading QEMU's libraries
        int fd = open(JAIL "/etc/ld.so.cache", O_CREAT | O_WRONLY, 0644);
        if (fd < 0) die("create ld.so.cache");
        close(fd);
        bind_read_only("/etc/ld.so.cache", JAIL "/etc/ld.so.cache");
    }
    for (int i = 0; i < extra_count; i++) {
        char inside[4096];
        snprintf(inside, sizeof inside, JAIL "%s", extra[i]);
        make_path(inside);
        bind_read_only(extra[i], inside);
    }
    // /proc/self/fd/N names the kernel and initrd QEMU gets as descriptors.
    mount_or_die("/proc", JAIL "/proc", NULL, MS_BIND | MS_REC, NULL);
    mount_or_die("vmctl-dev", JAIL "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k");
    device("null", 1, 3, 0666, 0, 0);
    device("zero", 1, 5, 0666, 0, 0);
    device("urandom", 1, 9, 0666, 0, 0);
    for (int i = 0; i < device_count; i++) {
        if (!strcmp(devices[i], "kvm")) device("kvm", 10, 232, 0600, uid, gid);
        else if (!strcmp(devices[i], "net/tun")) {
            if (mkdir(JAIL "/dev/net", 0755) < 0) die("mkdir /dev/net");
            device("net/tun", 10, 200, 0600, uid, gid);
        } else { errno = 0; die("unknown device %s", devices[i]); }
    }
    mount_or_die(NULL, JAIL "/dev", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NOEXEC, NULL);
    if (chdir(JAIL) < 0) die("chdir " JAIL);
    // pivot_root(".", "."): the old root ends up on top of the new one, and is detached at once.
    if (syscall(SYS_pivot_root, ".", ".") < 0) die("pivot_root");
    if (umount2(".", MNT_DETACH) < 0) die("detach the old root");
    if (chdir("/") < 0) die("chdir /");
    mount_or_die(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL);
}

// Ids last: no capability left (bounding, ambient, inheritable; permitted and effective go with uid 0), and
// no_new_privs so no later exec can gain any.
static void drop_privileges(uid_t uid, gid_t gid) {
    for (int cap = 0; cap <= 63; cap++)
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) die("drop capability %d", cap);
    errno = 0;
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) die("clear ambient capabilities");
    if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0) die("setgid %u", gid);
    if (setresuid(uid, uid, uid) < 0) die("setuid %u", uid);
    struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct none[2] = {{0, 0, 0}, {0, 0, 0}};
    if (syscall(SYS_capset, &header, none) < 0) die("capset");
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) die("no_new_privs");
    if (getuid() == 0 || geteuid() == 0 || getegid() == 0 || setuid(0) == 0) { errno = 0; die("still root"); }
}

int main(int argc, char **argv) {
    // 1. Nothing inherited but stdin, stdout and stderr; no environment.
    if (syscall(SYS_close_range, 3, ~0U, 0) < 0)
        for (int fd = 3; fd < 65536; fd++) close(fd);
    clearenv();
    umask(022);   // the jail's folders; files the launcher creates are 0600 by their own mode
    long uid = -1, gid = -1, nofile = 4096, nproc = 512;
    char *devices[4], *extra[4], *environment[9] = {NULL};
    int device_count = 0, extra_count = 0, environment_count = 0, i = 1;
    // 2. Parse, opening each descriptor as its option comes (still root, the host's view).
    for (; i < argc && strcmp(argv[i], "--"); i += 2) {
        if (i + 1 >= argc) { errno = 0; die("%s needs a value", argv[i]); }
        const char *option = argv[i], *value = argv[i + 1];
        if (!strcmp(option, "--uid")) uid = number(value, 0xFFFFFFFE);
        else if (!strcmp(option, "--gid")) gid = number(value, 0xFFFFFFFE);
        else if (!strcmp(option, "--nofile")) nofile = number(value, 1 << 20);
        else if (!strcmp(option, "--nproc")) nproc = number(value, 1 << 20);
        else if (!strcmp(option, "--dev")) {
            if (device_count == 4) { errno = 0; die("too many --dev"); }
            devices[device_count++] = argv[i + 1];
        } else if (!strcmp(option, "--env")) {
            if (environment_count == 8) { errno = 0; die("too many --env"); }
            if (strncmp(value, "VMCTL_VMM_", 10) || !strchr(value, '=')) { errno = 0; die("--env passes VMCTL_VMM_NAME=VALUE only: %s", value); }
            environment[environment_count++] = argv[i + 1];
        } else if (!strcmp(option, "--ro")) {
            if (extra_count == 4) { errno = 0; die("too many --ro"); }
            if (!extra_folder_ok(value)) { errno = 0; die("--ro needs an absolute, normalized folder outside /usr, /etc, /proc, /dev: %s", value); }
            struct stat info;
            if (stat(value, &info) < 0) die("--ro %s", value);
            if (!S_ISDIR(info.st_mode)) { errno = ENOTDIR; die("--ro %s", value); }
            extra[extra_count++] = argv[i + 1];
        } else open_resource(option, value);
    }
    if (i + 1 >= argc) { errno = 0; die("usage: vmctl-launch --uid N --gid N [options] -- VMM ARGS…"); }
    if (uid <= 0 || gid <= 0) { errno = 0; die("--uid and --gid must name an unprivileged user"); }
    char **vmm = argv + i + 1;
    // The VMM's binary, opened now: it is exec'ed from this descriptor after the root changed.
    int binary = open(vmm[0], O_RDONLY | O_CLOEXEC);
    if (binary < 0) die("%s", vmm[0]);
    // 3. Limits: no core dump of guest memory; bounded descriptors and threads (counted per uid: this VM's alone).
    limit(RLIMIT_CORE, 0, "RLIMIT_CORE");
    limit(RLIMIT_NOFILE, (rlim_t)nofile, "RLIMIT_NOFILE");
    limit(RLIMIT_NPROC, (rlim_t)nproc, "RLIMIT_NPROC");
    // 4. (The wrapper already joined the VM's cgroup.) Mount namespace and jail; 5. ids and capabilities; 6. exec.
    enter_jail(devices, device_count, extra, extra_count, (uid_t)uid, (gid_t)gid);
    drop_privileges((uid_t)uid, (gid_t)gid);
    fexecve(binary, vmm, environment);
    die("exec %s", vmm[0]);
}
