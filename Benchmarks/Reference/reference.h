// What both reference programs share: one io_uring per thread with a SO_REUSEPORT listener accepting
// straight into the ring's file table, receives from a provided-buffer ring, and the WebSocket upgrade and
// frame work a gateway does. Deliberately minimal: the shortest path the kernel allows for what the gateway
// does, so that RingGate's figures can be read as a fraction of it. Not hardened: loopback benchmarks only.
#ifndef RINGGATE_REFERENCE_H
#define RINGGATE_REFERENCE_H

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define REF_BUFFER_SIZE 4096
#define REF_BUFFER_COUNT 4096
#define REF_BUFFER_GROUP 1
#define REF_HANDSHAKE_LIMIT 4096

// user_data: | kind 8 | generation 24 | slot 32 |
enum ref_kind { REF_ACCEPT = 1, REF_RECV, REF_SEND, REF_CLOSE, REF_WAKE, REF_INNER_ACCEPT, REF_WORKER_RECV,
    REF_WORKER_SEND, REF_IGNORE };

static inline uint64_t ref_tag(enum ref_kind kind, uint32_t generation, uint32_t slot) {
    return ((uint64_t)kind << 56) | ((uint64_t)(generation & 0xFFFFFF) << 32) | slot;
}
static inline enum ref_kind ref_tag_kind(uint64_t tag) { return (enum ref_kind)(tag >> 56); }
static inline uint32_t ref_tag_generation(uint64_t tag) { return (uint32_t)(tag >> 32) & 0xFFFFFF; }
static inline uint32_t ref_tag_slot(uint64_t tag) { return (uint32_t)tag; }

static void ref_die(const char *what, int error) {
    fprintf(stderr, "reference: %s: %s\n", what, strerror(error));
    exit(1);
}

/// Connections one ring can hold: its file table is capped by RLIMIT_NOFILE.
static unsigned ref_table_size(void) {
    struct rlimit limit;
    getrlimit(RLIMIT_NOFILE, &limit);
    unsigned size = limit.rlim_cur > 200 ? (unsigned)limit.rlim_cur - 100 : 100;
    return size > 1000000 ? 1000000 : size;
}

static int ref_listen(uint16_t port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) ref_die("socket", errno);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port)};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&address, sizeof address) != 0) ref_die("bind", errno);
    if (listen(fd, 65535) != 0) ref_die("listen", errno);
    return fd;
}

/// A ring with a sparse file table of `files` slots and a provided-buffer ring.
struct ref_ring {
    struct io_uring ring;
    struct io_uring_buf_ring *buffers;
    uint8_t *buffer_memory;
    unsigned mask;
};

static void ref_ring_init(struct ref_ring *r, unsigned files) {
    struct io_uring_params params = {0};
    params.flags = IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN
        | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
    params.cq_entries = 65536;
    int result = io_uring_queue_init_params(4096, &r->ring, &params);
    if (result < 0) ref_die("io_uring_queue_init_params", -result);
    result = io_uring_register_files_sparse(&r->ring, files);
    if (result < 0) ref_die("io_uring_register_files_sparse", -result);
    size_t ring_bytes = REF_BUFFER_COUNT * sizeof(struct io_uring_buf);
    r->buffers = mmap(NULL, ring_bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (r->buffers == MAP_FAILED) ref_die("mmap", errno);
    r->buffer_memory = malloc((size_t)REF_BUFFER_COUNT * REF_BUFFER_SIZE);
    if (!r->buffer_memory) ref_die("malloc", ENOMEM);
    io_uring_buf_ring_init(r->buffers);
    struct io_uring_buf_reg registration = {
        .ring_addr = (uint64_t)(uintptr_t)r->buffers, .ring_entries = REF_BUFFER_COUNT, .bgid = REF_BUFFER_GROUP};
    result = io_uring_register_buf_ring(&r->ring, &registration, 0);
    if (result < 0) ref_die("io_uring_register_buf_ring", -result);
    r->mask = io_uring_buf_ring_mask(REF_BUFFER_COUNT);
    for (unsigned id = 0; id < REF_BUFFER_COUNT; id++)
        io_uring_buf_ring_add(r->buffers, r->buffer_memory + (size_t)id * REF_BUFFER_SIZE, REF_BUFFER_SIZE,
            (unsigned short)id, r->mask, (int)id);
    io_uring_buf_ring_advance(r->buffers, REF_BUFFER_COUNT);
}

static inline uint8_t *ref_buffer(struct ref_ring *r, unsigned id) {
    return r->buffer_memory + (size_t)id * REF_BUFFER_SIZE;
}

static inline void ref_recycle(struct ref_ring *r, unsigned id) {
    io_uring_buf_ring_add(r->buffers, ref_buffer(r, id), REF_BUFFER_SIZE, (unsigned short)id, r->mask, 0);
    io_uring_buf_ring_advance(r->buffers, 1);
}

/// A submission entry, submitting what is queued when the submission queue is full.
static inline struct io_uring_sqe *ref_sqe(struct ref_ring *r) {
    struct io_uring_sqe *sqe = io_uring_get_sqe(&r->ring);
    while (!sqe) {
        io_uring_submit(&r->ring);
        sqe = io_uring_get_sqe(&r->ring);
    }
    return sqe;
}

static inline void ref_accept(struct ref_ring *r, int listener, enum ref_kind kind) {
    struct io_uring_sqe *sqe = ref_sqe(r);
    io_uring_prep_multishot_accept_direct(sqe, listener, NULL, NULL, 0);
    io_uring_sqe_set_data64(sqe, ref_tag(kind, 0, 0));
}

static inline void ref_recv(struct ref_ring *r, unsigned slot, uint32_t generation, enum ref_kind kind) {
    struct io_uring_sqe *sqe = ref_sqe(r);
    io_uring_prep_recv_multishot(sqe, (int)slot, NULL, 0, 0);
    sqe->flags |= IOSQE_FIXED_FILE | IOSQE_BUFFER_SELECT;
    sqe->buf_group = REF_BUFFER_GROUP;
    io_uring_sqe_set_data64(sqe, ref_tag(kind, generation, slot));
}

static inline void ref_send(
    struct ref_ring *r, unsigned slot, const void *bytes, size_t count, uint64_t tag) {
    struct io_uring_sqe *sqe = ref_sqe(r);
    io_uring_prep_send(sqe, (int)slot, bytes, count, MSG_NOSIGNAL);
    sqe->flags |= IOSQE_FIXED_FILE;
    io_uring_sqe_set_data64(sqe, tag);
}

static inline void ref_close(struct ref_ring *r, unsigned slot, uint32_t generation) {
    struct io_uring_sqe *sqe = ref_sqe(r);
    io_uring_prep_close_direct(sqe, slot);
    io_uring_sqe_set_data64(sqe, ref_tag(REF_CLOSE, generation, slot));
}

/// Submits what is queued, waits for at least one completion, and hands every completion to `completed`.
static inline void ref_turn(struct ref_ring *r, void *context, void (*completed)(void *, struct io_uring_cqe *)) {
    io_uring_submit_and_wait(&r->ring, 1);
    struct io_uring_cqe *cqe;
    unsigned head, handled = 0;
    io_uring_for_each_cqe(&r->ring, head, cqe) {
        completed(context, cqe);
        handled++;
    }
    io_uring_cq_advance(&r->ring, handled);
}

// MARK: WebSocket

/// Finds `Sec-WebSocket-Key` in a complete request head and writes the 101 response; 0 when the head is not
/// complete yet, -1 when it is not an upgrade.
static int ref_websocket_accept(const uint8_t *head, size_t count, char *response, size_t capacity) {
    const char *end = memmem(head, count, "\r\n\r\n", 4);
    if (!end) return 0;
    const char *name = "Sec-WebSocket-Key:";
    const char *cursor = (const char *)head;
    const char *key = NULL;
    size_t key_length = 0;
    while (cursor < end) {
        const char *line_end = memmem(cursor, (size_t)(end - cursor) + 2, "\r\n", 2);
        if (!line_end) break;
        if ((size_t)(line_end - cursor) > strlen(name) && strncasecmp(cursor, name, strlen(name)) == 0) {
            key = cursor + strlen(name);
            while (*key == ' ') key++;
            key_length = (size_t)(line_end - key);
        }
        cursor = line_end + 2;
    }
    if (!key || key_length == 0 || key_length > 64) return -1;
    char joined[128];
    memcpy(joined, key, key_length);
    memcpy(joined + key_length, "258EAFA5-E914-47DA-95CA-C5AB0DC85B11", 36);
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1((const unsigned char *)joined, key_length + 36, digest);
    char accept[32];
    EVP_EncodeBlock((unsigned char *)accept, digest, SHA_DIGEST_LENGTH);
    return snprintf(response, capacity,
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Accept: %s\r\n\r\n",
        accept);
}

/// Writes an unmasked server frame header for `length` payload bytes; returns its size.
static inline size_t ref_frame_header(uint8_t *out, uint8_t opcode, size_t length) {
    out[0] = 0x80 | opcode;
    if (length < 126) {
        out[1] = (uint8_t)length;
        return 2;
    }
    if (length <= 0xFFFF) {
        out[1] = 126;
        out[2] = (uint8_t)(length >> 8);
        out[3] = (uint8_t)length;
        return 4;
    }
    out[1] = 127;
    for (int i = 0; i < 8; i++) out[2 + i] = (uint8_t)((uint64_t)length >> (56 - 8 * i));
    return 10;
}

/// One masked client frame at the start of `bytes`: its opcode, payload (unmasked in place) and total size;
/// 0 when incomplete, -1 when malformed.
static inline long ref_client_frame(uint8_t *bytes, size_t count, uint8_t *opcode, uint8_t **payload,
    size_t *length) {
    if (count < 2) return 0;
    if (!(bytes[1] & 0x80)) return -1;
    size_t header = 2;
    uint64_t size = bytes[1] & 0x7F;
    if (size == 126) {
        if (count < 4) return 0;
        size = ((uint64_t)bytes[2] << 8) | bytes[3];
        header = 4;
    } else if (size == 127) {
        if (count < 10) return 0;
        size = 0;
        for (int i = 0; i < 8; i++) size = (size << 8) | bytes[2 + i];
        header = 10;
    }
    if (size > (1u << 20)) return -1;
    if (count < header + 4 + size) return 0;
    uint8_t *mask = bytes + header;
    uint8_t *data = mask + 4;
    for (uint64_t i = 0; i < size; i++) data[i] ^= mask[i & 3];
    *opcode = bytes[0] & 0x0F;
    *payload = data;
    *length = (size_t)size;
    return (long)(header + 4 + size);
}

/// Bytes kept for a connection between receives (a partial handshake or frame): heap only while needed.
struct ref_pending {
    uint8_t *bytes;
    uint32_t count;
    uint32_t capacity;
};

static inline int ref_pending_append(struct ref_pending *p, const uint8_t *bytes, size_t count) {
    if (p->count + count > p->capacity) {
        uint32_t capacity = p->capacity ? p->capacity : 256;
        while (capacity < p->count + count) capacity *= 2;
        uint8_t *grown = realloc(p->bytes, capacity);
        if (!grown) return -1;
        p->bytes = grown;
        p->capacity = capacity;
    }
    memcpy(p->bytes + p->count, bytes, count);
    p->count += (uint32_t)count;
    return 0;
}

static inline void ref_pending_consume(struct ref_pending *p, size_t count) {
    if (count >= p->count) {
        free(p->bytes);
        *p = (struct ref_pending){0};
        return;
    }
    memmove(p->bytes, p->bytes + count, p->count - count);
    p->count -= (uint32_t)count;
}

static inline void ref_pending_free(struct ref_pending *p) {
    free(p->bytes);
    *p = (struct ref_pending){0};
}

#endif
