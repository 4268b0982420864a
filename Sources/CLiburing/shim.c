#define _GNU_SOURCE
#include "CLiburing.h"
#include <pthread.h>
#include <sched.h>
#include <string.h>
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
