#ifndef CLIBURING_H
#define CLIBURING_H

// <sys/types.h> must come before <liburing.h>: otherwise Swift sees two layouts of fd_set and the
// module fails to import.
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <liburing.h>
#include <malloc.h>
#include <stdint.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/epoll.h>
#include <spawn.h>

// IOSQE_* are macros built from enum shifts that Swift cannot import.
static const uint8_t CLiburing_IOSQE_FIXED_FILE = IOSQE_FIXED_FILE;
static const uint8_t CLiburing_IOSQE_IO_LINK = IOSQE_IO_LINK;
static const uint8_t CLiburing_IOSQE_BUFFER_SELECT = IOSQE_BUFFER_SELECT;
static const uint8_t CLiburing_IOSQE_CQE_SKIP_SUCCESS = IOSQE_CQE_SKIP_SUCCESS;

static const uint32_t CLiburing_POLLIN = POLLIN;
static const int CLiburing_RLIMIT_NOFILE = RLIMIT_NOFILE;
static const int CLiburing_RLIMIT_MEMLOCK = RLIMIT_MEMLOCK;

/// Pins the calling thread to one CPU (GNU-only call, not importable).
int CLiburing_pin_current_thread(int cpu);
/// The CPUs this process may run on (sched_getaffinity), in ascending order, at most `capacity` of them;
/// returns how many were written (0 on failure).
int CLiburing_allowed_cpus(int *cpus, int capacity);

/// Names the calling thread (GNU-only, shows in top -H and /proc).
void CLiburing_name_current_thread(const char *name);

/// accept4(2) (GNU-only, not importable): accepts with flags such as SOCK_NONBLOCK | SOCK_CLOEXEC.
int CLiburing_accept4(int fd, struct sockaddr *address, socklen_t *length, int flags);

/// The CPU the calling thread runs on, or -1.
int CLiburing_current_cpu(void);

/// Prepares IORING_OP_URING_CMD / SOCKET_URING_OP_GETSOCKOPT (Linux 6.7) on a fixed file. liburing 2.3
/// predates the `level`, `optname`, `optlen` and `optval` fields, so they are written at their ABI offsets.
void CLiburing_prep_getsockopt_fixed(struct io_uring_sqe *sqe, int file_index, int level, int optname,
                                     void *optval, int optlen);

/// IORING_OP_FIXED_FD_INSTALL (Linux 6.8). liburing 2.3's headers predate it; 54 is its value in the kernel ABI
/// (include/uapi/linux/io_uring.h).
static const int CLiburing_IORING_OP_FIXED_FD_INSTALL = 54;

/// Prepares IORING_OP_FIXED_FD_INSTALL on direct descriptor `fixed_index`: the kernel installs the file as an
/// ordinary descriptor of the submitting task. `flags` is `install_fd_flags` (0 = O_CLOEXEC). Written by hand:
/// liburing 2.3 has no io_uring_prep_fixed_fd_install, and the kernel refuses the request (-EINVAL) unless off,
/// addr, len, buf_index, splice_fd_in and addr3 are 0.
void CLiburing_prep_fixed_fd_install(struct io_uring_sqe *sqe, int fixed_index, unsigned flags);

/// Bytes of control buffer one SCM_RIGHTS message with `count` descriptors needs (CMSG_SPACE, a macro).
size_t CLiburing_scm_rights_space(int count);
/// Writes one SCM_RIGHTS control message carrying `fds[0..<count]` into `control`, which is
/// `CLiburing_scm_rights_space(count)` bytes, 8-byte aligned (CMSG_FIRSTHDR/CMSG_DATA are macros).
void CLiburing_fill_scm_rights(void *control, size_t control_length, const int *fds, int count);
/// Copies the descriptors of every SCM_RIGHTS message in a received `msg` into `fds` (at most `capacity`),
/// closing any that do not fit so that none leaks; returns how many were copied.
int CLiburing_collect_scm_rights(const struct msghdr *msg, int *fds, int capacity);

/// MAP_HUGETLB | MAP_HUGE_2MB anonymous mapping, or MAP_FAILED.
void *CLiburing_mmap_huge_2mb(size_t length);

/// posix_spawn_file_actions_addclosefrom_np (glibc 2.34, GNU-only): the child closes every descriptor from
/// `lowest` up, so nothing the parent inherited without FD_CLOEXEC (a test harness's pipe) reaches it.
int CLiburing_spawn_close_from(posix_spawn_file_actions_t *actions, int lowest);

#endif
