// Fan-out reference: holds WebSocket connections and, on `broadcast <bytes>` from its control port, sends one
// prebuilt frame to every one of them: one send per connection from one shared buffer, straight from the
// ring's file table. The kernel's own cost of what sendToAll asks of the gateway, with nothing else around it.
//
//   ringgate-reference-fanout --port P --control C [--rings N]
//
// Control protocol (the NIO baseline's): `count` → `clients <n>`; `broadcast <bytes>` → `done <recipients>`
// once every ring has submitted its sends.
#include "reference.h"

enum state { FREE, HANDSHAKING, OPEN };

struct connection {
    uint8_t state;
    uint32_t generation;
    struct ref_pending head;
    char *response;
};

struct shard {
    pthread_t thread;
    struct ref_ring ring;
    int listener;
    int wakeup;
    unsigned capacity;
    struct connection *connections;
    _Atomic long open;
    uint64_t wake_counter;
    uint64_t broadcasts_seen;
};

static struct shard *shards;
static int shard_count = 1;
static uint16_t client_port;

// The broadcast being sent: written by the control thread before it wakes the shards.
static uint8_t *frame;
static size_t frame_length;
static _Atomic uint64_t broadcast_number;
static pthread_mutex_t done_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done_signal = PTHREAD_COND_INITIALIZER;
static int shards_done;

static void close_connection(struct shard *s, unsigned slot) {
    struct connection *c = &s->connections[slot];
    if (c->state == OPEN) s->open--;
    c->state = FREE;
    ref_pending_free(&c->head);
    ref_close(&s->ring, slot, c->generation);
}

static void handshake(struct shard *s, unsigned slot, const uint8_t *bytes, size_t count) {
    struct connection *c = &s->connections[slot];
    if (ref_pending_append(&c->head, bytes, count) != 0 || c->head.count > REF_HANDSHAKE_LIMIT)
        return close_connection(s, slot);
    char response[256];
    int length = ref_websocket_accept(c->head.bytes, c->head.count, response, sizeof response);
    if (length == 0) return;
    if (length < 0) return close_connection(s, slot);
    ref_pending_free(&c->head);
    c->response = malloc((size_t)length);
    if (!c->response) return close_connection(s, slot);
    memcpy(c->response, response, (size_t)length);
    ref_send(&s->ring, slot, c->response, (size_t)length, ref_tag(REF_SEND, c->generation, slot));
    c->state = OPEN;
    s->open++;
}

static void send_broadcast(struct shard *s) {
    for (unsigned slot = 0; slot < s->capacity; slot++) {
        struct connection *c = &s->connections[slot];
        if (c->state == OPEN) ref_send(&s->ring, slot, frame, frame_length, ref_tag(REF_IGNORE, 0, slot));
    }
    io_uring_submit(&s->ring.ring);
    pthread_mutex_lock(&done_lock);
    shards_done++;
    pthread_cond_signal(&done_signal);
    pthread_mutex_unlock(&done_lock);
}

static void arm_wakeup(struct shard *s) {
    struct io_uring_sqe *sqe = ref_sqe(&s->ring);
    io_uring_prep_read(sqe, s->wakeup, &s->wake_counter, sizeof s->wake_counter, 0);
    io_uring_sqe_set_data64(sqe, ref_tag(REF_WAKE, 0, 0));
}

static void completed(void *context, struct io_uring_cqe *cqe) {
    struct shard *s = context;
    uint64_t tag = cqe->user_data;
    unsigned slot = ref_tag_slot(tag);
    int more = cqe->flags & IORING_CQE_F_MORE;
    switch (ref_tag_kind(tag)) {
    case REF_ACCEPT:
        if (cqe->res >= 0 && (unsigned)cqe->res < s->capacity) {
            struct connection *c = &s->connections[cqe->res];
            c->generation++;
            c->state = HANDSHAKING;
            ref_recv(&s->ring, (unsigned)cqe->res, c->generation, REF_RECV);
        }
        if (!more) ref_accept(&s->ring, s->listener, REF_ACCEPT);
        break;
    case REF_RECV: {
        struct connection *c = &s->connections[slot];
        int has_buffer = cqe->flags & IORING_CQE_F_BUFFER;
        unsigned id = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
        int current = ref_tag_generation(tag) == (c->generation & 0xFFFFFF) && c->state != FREE;
        if (current && cqe->res > 0 && has_buffer && c->state == HANDSHAKING)
            handshake(s, slot, ref_buffer(&s->ring, id), (size_t)cqe->res);
        if (has_buffer) ref_recycle(&s->ring, id);
        if (!more && current && c->state != FREE) {
            if (cqe->res == -ENOBUFS) ref_recv(&s->ring, slot, c->generation, REF_RECV);
            else close_connection(s, slot);
        }
        break;
    }
    case REF_SEND: {
        struct connection *c = &s->connections[slot];
        free(c->response);
        c->response = NULL;
        break;
    }
    case REF_WAKE:
        arm_wakeup(s);
        if (broadcast_number != s->broadcasts_seen) {
            s->broadcasts_seen = broadcast_number;
            send_broadcast(s);
        }
        break;
    default:
        break;
    }
}

static void *run_shard(void *argument) {
    struct shard *s = argument;
    ref_ring_init(&s->ring, s->capacity);
    ref_accept(&s->ring, s->listener, REF_ACCEPT);
    arm_wakeup(s);
    for (;;) ref_turn(&s->ring, s, completed);
    return NULL;
}

static long open_connections(void) {
    long total = 0;
    for (int i = 0; i < shard_count; i++) total += shards[i].open;
    return total;
}

static void broadcast(size_t bytes) {
    uint8_t *next = malloc(bytes + 10);
    if (!next) return;
    size_t header = ref_frame_header(next, 0x1, bytes);
    memset(next + header, 'x', bytes);
    // The previous frame may still be in flight in the kernel for a moment: keep it (a benchmark's handful).
    frame = next;
    frame_length = header + bytes;
    pthread_mutex_lock(&done_lock);
    shards_done = 0;
    pthread_mutex_unlock(&done_lock);
    broadcast_number++;
    uint64_t one = 1;
    for (int i = 0; i < shard_count; i++) (void)!write(shards[i].wakeup, &one, sizeof one);
    pthread_mutex_lock(&done_lock);
    while (shards_done < shard_count) pthread_cond_wait(&done_signal, &done_lock);
    pthread_mutex_unlock(&done_lock);
}

static void serve_control(uint16_t port) {
    int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port)};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(listener, (struct sockaddr *)&address, sizeof address) != 0) ref_die("bind control", errno);
    listen(listener, 16);
    for (;;) {
        int fd = accept(listener, NULL, NULL);
        if (fd < 0) continue;
        FILE *in = fdopen(fd, "r+");
        char line[256];
        while (fgets(line, sizeof line, in)) {
            size_t bytes;
            if (strncmp(line, "count", 5) == 0) {
                fprintf(in, "clients %ld\n", open_connections());
            } else if (sscanf(line, "broadcast %zu", &bytes) == 1 && bytes <= (1u << 20)) {
                broadcast(bytes);
                fprintf(in, "done %ld\n", open_connections());
            } else {
                fprintf(in, "error unknown command\n");
            }
            fflush(in);
        }
        fclose(in);
    }
}

int main(int argc, char **argv) {
    uint16_t control_port = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--port") == 0) client_port = (uint16_t)atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--control") == 0) control_port = (uint16_t)atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--rings") == 0) shard_count = atoi(argv[i + 1]);
    }
    if (!client_port || !control_port || shard_count < 1) {
        fprintf(stderr, "usage: %s --port P --control C [--rings N]\n", argv[0]);
        return 2;
    }
    shards = calloc((size_t)shard_count, sizeof *shards);
    for (int i = 0; i < shard_count; i++) {
        struct shard *s = &shards[i];
        s->capacity = ref_table_size();
        s->connections = calloc(s->capacity, sizeof *s->connections);
        s->listener = ref_listen(client_port);
        s->wakeup = eventfd(0, EFD_CLOEXEC);
        pthread_create(&s->thread, NULL, run_shard, s);
    }
    serve_control(control_port);
    return 0;
}
