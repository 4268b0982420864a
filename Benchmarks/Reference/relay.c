// Relay reference: WebSocket clients on one side, business workers (GatewayProtocol) on the other, the
// framing work of a gateway in between and nothing else: each client frame is unmasked and forwarded to a
// worker as CMD_ON_MESSAGE; each CMD_SEND_TO_ONE from a worker is framed and sent to its client. Output is
// batched per connection per loop turn (one send per connection per turn), as the gateway batches.
//
//   ringgate-reference-relay --port P --inner I [--rings N]
//
// Ring i listens for workers on I + i (a worker connects to every ring, as to every gateway shard); the
// connection_id in events is the client's slot in its ring. Sessions, uids, groups, routing by worker key and
// every other command are left out on purpose.
#include "reference.h"

enum state { FREE, HANDSHAKING, OPEN, WORKER };

struct output {
    uint8_t *bytes;
    uint32_t count;
    uint32_t capacity;
};

struct connection {
    uint8_t state;
    uint8_t opcode;
    uint8_t dirty;
    uint8_t sending;
    uint32_t generation;
    uint32_t sent;
    struct ref_pending input;
    struct output queued;
    struct output in_flight;
};

struct shard {
    pthread_t thread;
    struct ref_ring ring;
    int listener;
    int inner_listener;
    uint16_t inner_port;
    unsigned capacity;
    struct connection *connections;
    int worker;
    unsigned *dirty;
    unsigned dirty_count;
};

static uint16_t client_port;

static int output_reserve(struct output *o, size_t more) {
    if (o->count + more <= o->capacity) return 0;
    uint32_t capacity = o->capacity ? o->capacity : 512;
    while (capacity < o->count + more) capacity *= 2;
    uint8_t *grown = realloc(o->bytes, capacity);
    if (!grown) return -1;
    o->bytes = grown;
    o->capacity = capacity;
    return 0;
}

static void mark_dirty(struct shard *s, unsigned slot) {
    struct connection *c = &s->connections[slot];
    if (c->dirty) return;
    c->dirty = 1;
    s->dirty[s->dirty_count++] = slot;
}

static void put32(uint8_t *out, uint32_t value) {
    out[0] = (uint8_t)(value >> 24);
    out[1] = (uint8_t)(value >> 16);
    out[2] = (uint8_t)(value >> 8);
    out[3] = (uint8_t)value;
}

static void put16(uint8_t *out, uint16_t value) {
    out[0] = (uint8_t)(value >> 8);
    out[1] = (uint8_t)value;
}

static uint32_t get32(const uint8_t *in) {
    return ((uint32_t)in[0] << 24) | ((uint32_t)in[1] << 16) | ((uint32_t)in[2] << 8) | in[3];
}

/// Appends an event packet (28-byte header, then `body`) to the worker's output.
static void event_to_worker(struct shard *s, uint8_t command, unsigned slot, const uint8_t *body, size_t length) {
    if (s->worker < 0) return;
    struct output *o = &s->connections[s->worker].queued;
    if (output_reserve(o, 28 + length) != 0) return;
    uint8_t *h = o->bytes + o->count;
    put32(h, (uint32_t)(28 + length));
    h[4] = command;
    put32(h + 5, 0x7F000001);
    put16(h + 9, s->inner_port);
    put32(h + 11, 0x7F000001);
    put16(h + 15, 0);
    put32(h + 17, slot);
    h[21] = 0x01;  // FLAG_BODY_IS_SCALAR: the body is the raw message, as PHP's encode sets for a string
    put16(h + 22, client_port);
    put32(h + 24, 0);
    if (length) memcpy(h + 28, body, length);
    o->count += (uint32_t)(28 + length);
    mark_dirty(s, (unsigned)s->worker);
}

static void close_connection(struct shard *s, unsigned slot) {
    struct connection *c = &s->connections[slot];
    if (c->state == OPEN) event_to_worker(s, 4, slot, NULL, 0);
    if (c->state == WORKER && s->worker == (int)slot) s->worker = -1;
    c->state = FREE;
    ref_pending_free(&c->input);
    c->queued.count = 0;
    ref_close(&s->ring, slot, c->generation);
}

static void flush(struct shard *s, unsigned slot) {
    struct connection *c = &s->connections[slot];
    c->dirty = 0;
    if (c->state == FREE || c->sending || c->queued.count == 0) return;
    struct output swap = c->in_flight;
    c->in_flight = c->queued;
    c->queued = swap;
    c->queued.count = 0;
    c->sending = 1;
    c->sent = 0;
    ref_send(&s->ring, slot, c->in_flight.bytes, c->in_flight.count, ref_tag(REF_SEND, c->generation, slot));
}

static void send_completed(struct shard *s, unsigned slot, int result) {
    struct connection *c = &s->connections[slot];
    if (c->state == FREE) {
        c->sending = 0;
        return;
    }
    if (result <= 0) {
        c->sending = 0;
        return close_connection(s, slot);
    }
    c->sent += (uint32_t)result;
    if (c->sent < c->in_flight.count) {
        ref_send(&s->ring, slot, c->in_flight.bytes + c->sent, c->in_flight.count - c->sent,
            ref_tag(REF_SEND, c->generation, slot));
        return;
    }
    c->sending = 0;
    c->in_flight.count = 0;
    if (c->queued.count) mark_dirty(s, slot);
}

/// Client frames in `bytes` (unmasked in place) go to the worker; returns the bytes consumed, -1 to close.
static long client_frames(struct shard *s, unsigned slot, uint8_t *bytes, size_t count) {
    size_t consumed = 0;
    while (consumed < count) {
        uint8_t opcode;
        uint8_t *payload;
        size_t length;
        long size = ref_client_frame(bytes + consumed, count - consumed, &opcode, &payload, &length);
        if (size == 0) break;
        if (size < 0 || opcode == 0x8) return -1;
        if (opcode == 0x1 || opcode == 0x2) {
            s->connections[slot].opcode = opcode;
            event_to_worker(s, 3, slot, payload, length);
        }
        consumed += (size_t)size;
    }
    return (long)consumed;
}

/// Worker packets in `bytes`: CMD_SEND_TO_ONE is framed for its client; returns the bytes consumed, -1 to close.
static long worker_packets(struct shard *s, const uint8_t *bytes, size_t count) {
    size_t consumed = 0;
    while (count - consumed >= 28) {
        const uint8_t *p = bytes + consumed;
        uint32_t length = get32(p);
        if (length < 28 || length > (10u << 20)) return -1;
        if (count - consumed < length) break;
        uint32_t ext = get32(p + 24);
        if (ext > length - 28) return -1;
        if (p[4] == 5) {
            unsigned target = get32(p + 17);
            const uint8_t *body = p + 28 + ext;
            size_t body_length = length - 28 - ext;
            if (target < s->capacity && s->connections[target].state == OPEN) {
                struct connection *c = &s->connections[target];
                if (output_reserve(&c->queued, body_length + 10) == 0) {
                    uint8_t *out = c->queued.bytes + c->queued.count;
                    size_t header = ref_frame_header(out, c->opcode ? c->opcode : 0x1, body_length);
                    memcpy(out + header, body, body_length);
                    c->queued.count += (uint32_t)(header + body_length);
                    mark_dirty(s, target);
                }
            }
        }
        consumed += length;
    }
    return (long)consumed;
}

/// Runs `parse` over what is kept plus `bytes`, keeping what is left incomplete.
static int stream_input(struct shard *s, unsigned slot, uint8_t *bytes, size_t count) {
    struct connection *c = &s->connections[slot];
    int worker = c->state == WORKER;
    if (c->input.count == 0) {
        long used = worker ? worker_packets(s, bytes, count) : client_frames(s, slot, bytes, count);
        if (used < 0) return -1;
        if ((size_t)used < count) return ref_pending_append(&c->input, bytes + used, count - (size_t)used);
        return 0;
    }
    if (ref_pending_append(&c->input, bytes, count) != 0) return -1;
    long used = worker ? worker_packets(s, c->input.bytes, c->input.count)
                       : client_frames(s, slot, c->input.bytes, c->input.count);
    if (used < 0) return -1;
    ref_pending_consume(&c->input, (size_t)used);
    return 0;
}

static void received(struct shard *s, unsigned slot, uint8_t *bytes, size_t count) {
    struct connection *c = &s->connections[slot];
    if (c->state == HANDSHAKING) {
        if (ref_pending_append(&c->input, bytes, count) != 0 || c->input.count > REF_HANDSHAKE_LIMIT)
            return close_connection(s, slot);
        char response[256];
        int length = ref_websocket_accept(c->input.bytes, c->input.count, response, sizeof response);
        if (length == 0) return;
        if (length < 0) return close_connection(s, slot);
        ref_pending_free(&c->input);
        if (output_reserve(&c->queued, (size_t)length) != 0) return close_connection(s, slot);
        memcpy(c->queued.bytes, response, (size_t)length);
        c->queued.count = (uint32_t)length;
        mark_dirty(s, slot);
        c->state = OPEN;
        event_to_worker(s, 1, slot, NULL, 0);
        return;
    }
    if (stream_input(s, slot, bytes, count) != 0) close_connection(s, slot);
}

static void completed(void *context, struct io_uring_cqe *cqe) {
    struct shard *s = context;
    uint64_t tag = cqe->user_data;
    unsigned slot = ref_tag_slot(tag);
    int more = cqe->flags & IORING_CQE_F_MORE;
    enum ref_kind kind = ref_tag_kind(tag);
    switch (kind) {
    case REF_ACCEPT:
    case REF_INNER_ACCEPT:
        if (cqe->res >= 0 && (unsigned)cqe->res < s->capacity) {
            struct connection *c = &s->connections[cqe->res];
            c->generation++;
            c->state = kind == REF_ACCEPT ? HANDSHAKING : WORKER;
            c->opcode = 0;
            if (kind == REF_INNER_ACCEPT) s->worker = cqe->res;
            ref_recv(&s->ring, (unsigned)cqe->res, c->generation, REF_RECV);
        }
        if (!more) ref_accept(&s->ring, kind == REF_ACCEPT ? s->listener : s->inner_listener, kind);
        break;
    case REF_RECV: {
        struct connection *c = &s->connections[slot];
        int has_buffer = cqe->flags & IORING_CQE_F_BUFFER;
        unsigned id = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
        int current = ref_tag_generation(tag) == (c->generation & 0xFFFFFF) && c->state != FREE;
        if (current && cqe->res > 0 && has_buffer) received(s, slot, ref_buffer(&s->ring, id), (size_t)cqe->res);
        if (has_buffer) ref_recycle(&s->ring, id);
        if (!more && current && c->state != FREE) {
            if (cqe->res == -ENOBUFS) ref_recv(&s->ring, slot, c->generation, REF_RECV);
            else close_connection(s, slot);
        }
        break;
    }
    case REF_SEND:
        if (ref_tag_generation(tag) == (s->connections[slot].generation & 0xFFFFFF))
            send_completed(s, slot, cqe->res);
        break;
    default:
        break;
    }
}

static void *run_shard(void *argument) {
    struct shard *s = argument;
    ref_ring_init(&s->ring, s->capacity);
    ref_accept(&s->ring, s->listener, REF_ACCEPT);
    ref_accept(&s->ring, s->inner_listener, REF_INNER_ACCEPT);
    for (;;) {
        ref_turn(&s->ring, s, completed);
        // One send per connection per turn: everything queued while handling this batch goes out together.
        for (unsigned i = 0; i < s->dirty_count; i++) flush(s, s->dirty[i]);
        s->dirty_count = 0;
    }
    return NULL;
}

int main(int argc, char **argv) {
    uint16_t inner_port = 0;
    int shard_count = 1;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--port") == 0) client_port = (uint16_t)atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--inner") == 0) inner_port = (uint16_t)atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--rings") == 0) shard_count = atoi(argv[i + 1]);
    }
    if (!client_port || !inner_port || shard_count < 1) {
        fprintf(stderr, "usage: %s --port P --inner I [--rings N]\n", argv[0]);
        return 2;
    }
    struct shard *shards = calloc((size_t)shard_count, sizeof *shards);
    for (int i = 0; i < shard_count; i++) {
        struct shard *s = &shards[i];
        s->capacity = ref_table_size();
        s->connections = calloc(s->capacity, sizeof *s->connections);
        s->dirty = calloc(s->capacity, sizeof *s->dirty);
        s->listener = ref_listen(client_port);
        s->inner_port = (uint16_t)(inner_port + i);
        s->inner_listener = ref_listen(s->inner_port);
        s->worker = -1;
        pthread_create(&s->thread, NULL, run_shard, s);
    }
    for (int i = 0; i < shard_count; i++) pthread_join(shards[i].thread, NULL);
    return 0;
}
