#define _GNU_SOURCE
#include "CLiburing.h"
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>
#include <spawn.h>
#include <linux/mman.h>

int CLiburing_pin_current_thread(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

int CLiburing_allowed_cpus(int *cpus, int capacity) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) != 0) return 0;
    int count = 0;
    for (int cpu = 0; cpu < CPU_SETSIZE && count < capacity; cpu++) {
        if (CPU_ISSET(cpu, &set)) cpus[count++] = cpu;
    }
    return count;
}

void CLiburing_name_current_thread(const char *name) { pthread_setname_np(pthread_self(), name); }

int CLiburing_current_cpu(void) { return sched_getcpu(); }

int CLiburing_accept4(int fd, struct sockaddr *address, socklen_t *length, int flags) {
    return accept4(fd, address, length, flags);
}

enum { CLIBURING_SOCKET_URING_OP_GETSOCKOPT = 2 };

void CLiburing_prep_getsockopt_fixed(struct io_uring_sqe *sqe, int file_index, int level, int optname,
                                     void *optval, int optlen) {
    memset(sqe, 0, sizeof(*sqe));
    sqe->opcode = IORING_OP_URING_CMD;
    sqe->fd = file_index;
    sqe->flags = IOSQE_FIXED_FILE;
    sqe->cmd_op = CLIBURING_SOCKET_URING_OP_GETSOCKOPT;
    unsigned char *raw = (unsigned char *)sqe;
    uint32_t level32 = (uint32_t)level, optname32 = (uint32_t)optname, optlen32 = (uint32_t)optlen;
    uint64_t optval64 = (uint64_t)(uintptr_t)optval;
    memcpy(raw + 16, &level32, 4);   // union with addr: { __u32 level; __u32 optname; }
    memcpy(raw + 20, &optname32, 4);
    memcpy(raw + 44, &optlen32, 4);  // union with file_index
    memcpy(raw + 48, &optval64, 8);  // union with addr3
}

void *CLiburing_mmap_huge_2mb(size_t length) {
    return mmap(NULL, length, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_HUGE_2MB | MAP_POPULATE, -1, 0);
}

void CLiburing_prep_fixed_fd_install(struct io_uring_sqe *sqe, int fixed_index, unsigned flags) {
    memset(sqe, 0, sizeof(*sqe));
    sqe->opcode = (uint8_t)CLiburing_IORING_OP_FIXED_FD_INSTALL;
    sqe->fd = fixed_index;
    sqe->flags = IOSQE_FIXED_FILE;  // the kernel answers -EBADF without it
    // install_fd_flags is the u32 of the op-flags union, which liburing 2.3 names rw_flags among others.
    _Static_assert(offsetof(struct io_uring_sqe, rw_flags) == 28, "op-flags union at its ABI offset");
    uint32_t install_flags = flags;
    memcpy((unsigned char *)sqe + offsetof(struct io_uring_sqe, rw_flags), &install_flags, 4);
}

size_t CLiburing_scm_rights_space(int count) { return CMSG_SPACE(sizeof(int) * (size_t)count); }

void CLiburing_fill_scm_rights(void *control, size_t control_length, const int *fds, int count) {
    struct msghdr msg;
    memset(&msg, 0, sizeof(msg));
    memset(control, 0, control_length);
    msg.msg_control = control;
    msg.msg_controllen = control_length;
    struct cmsghdr *header = CMSG_FIRSTHDR(&msg);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)count);
    memcpy(CMSG_DATA(header), fds, sizeof(int) * (size_t)count);
}

int CLiburing_collect_scm_rights(const struct msghdr *msg, int *fds, int capacity) {
    int copied = 0;
    for (struct cmsghdr *header = CMSG_FIRSTHDR((struct msghdr *)msg); header != NULL;
         header = CMSG_NXTHDR((struct msghdr *)msg, header)) {
        if (header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS) continue;
        size_t count = (header->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        const unsigned char *data = CMSG_DATA(header);
        for (size_t index = 0; index < count; index++) {
            int fd;
            memcpy(&fd, data + index * sizeof(int), sizeof(int));
            if (copied < capacity) fds[copied++] = fd;
            else close(fd);
        }
    }
    return copied;
}

int CLiburing_spawn_close_from(posix_spawn_file_actions_t *actions, int lowest) {
    return posix_spawn_file_actions_addclosefrom_np(actions, lowest);
}
