#ifndef CLIBSSL_H
#define CLIBSSL_H
#include <stddef.h>
#include <stdint.h>
#include <openssl/ssl.h>

/// The bytes one shard's TLS sessions exchange with OpenSSL, instead of a socket: every session's BIO
/// reads ciphertext from `input` (the receive buffer being decrypted, lent for one call) and appends
/// what OpenSSL writes to `output` (drained by the caller after each call). Only the BIO named
/// `reader` may read, so a session written to while another one is decrypting never sees its bytes.
typedef struct CLibSSL_Pipe {
    const uint8_t *input;
    size_t input_length;
    BIO *reader;
    uint8_t *output;
    size_t output_length;
    size_t output_capacity;
} CLibSSL_Pipe;

CLibSSL_Pipe *CLibSSL_pipe_new(void);
void CLibSSL_pipe_free(CLibSSL_Pipe *pipe);
/// Frees the output buffer when it grew beyond `keep` bytes (after a burst).
void CLibSSL_pipe_trim(CLibSSL_Pipe *pipe, size_t keep);

/// Options of a context; strings may be NULL (OpenSSL's defaults).
typedef struct CLibSSL_ContextOptions {
    int server;
    const char *certificate_chain_path;
    const char *private_key_path;
    /// TLS1_2_VERSION or TLS1_3_VERSION; 0: OpenSSL's default.
    int minimum_version;
    int maximum_version;
    const char *cipher_list;
    const char *cipher_suites;
    /// CA file: a server asks clients for a certificate signed by it; a client verifies the server.
    const char *ca_path;
    /// Server: refuse clients without a valid certificate. Client: verify the server's certificate.
    int verify_peer;
    /// Server: select "http/1.1" when the client offers it.
    int alpn_http11;
} CLibSSL_ContextOptions;

/// A new SSL_CTX, or NULL with a message in `error`.
SSL_CTX *CLibSSL_context_new(const CLibSSL_ContextOptions *options, char *error, size_t error_capacity);
void CLibSSL_context_free(SSL_CTX *context);
/// The leaf certificate's notAfter in seconds since the epoch (0 when there is none).
int64_t CLibSSL_context_not_after(SSL_CTX *context);
/// The leaf certificate's subject as one line, into `buffer`.
void CLibSSL_context_subject(SSL_CTX *context, char *buffer, size_t capacity);

/// SNI: `primary` switches a handshake to the first of `alternatives` whose certificate matches the
/// server name the client sent (X509_check_host: SANs and wildcards). Returns the selector to free
/// (after `primary`), or NULL when out of memory.
typedef struct CLibSSL_SNI CLibSSL_SNI;
CLibSSL_SNI *CLibSSL_sni_install(SSL_CTX *primary, SSL_CTX *const *alternatives, size_t count);
void CLibSSL_sni_free(CLibSSL_SNI *sni);

/// A session on `context` whose BIO is `pipe`; buffers released while idle (SSL_MODE_RELEASE_BUFFERS).
SSL *CLibSSL_session_new(SSL_CTX *context, CLibSSL_Pipe *pipe, int server, const char *server_name);
void CLibSSL_session_free(SSL *session);

/// Results of the calls below.
enum {
    CLibSSL_WANT_INPUT = 0,
    CLibSSL_CLOSED = -1,
    CLibSSL_FAILED = -2,
};
/// 1: the handshake is complete; CLibSSL_WANT_INPUT, or CLibSSL_FAILED (see failure_reason).
int CLibSSL_handshake(SSL *session, CLibSSL_Pipe *pipe, const uint8_t *input, size_t input_length,
                      size_t *consumed);
/// Plaintext bytes read (> 0), CLibSSL_WANT_INPUT, CLibSSL_CLOSED (close_notify) or CLibSSL_FAILED.
int CLibSSL_read(SSL *session, CLibSSL_Pipe *pipe, const uint8_t *input, size_t input_length, size_t *consumed,
                 uint8_t *plaintext, size_t capacity);
/// Encrypts `length` bytes into the pipe's output; returns 1, or CLibSSL_FAILED.
int CLibSSL_write(SSL *session, CLibSSL_Pipe *pipe, const uint8_t *plaintext, size_t length);
/// Queues a close_notify alert into the pipe's output.
void CLibSSL_shutdown(SSL *session, CLibSSL_Pipe *pipe);

/// Why the last failed call failed, as a metric label: unsupported_version, no_shared_cipher,
/// not_tls, certificate, alert, protocol. Clears OpenSSL's error queue; `detail` gets its text.
const char *CLibSSL_failure_reason(char *detail, size_t capacity);
/// Clears OpenSSL's thread error queue.
void CLibSSL_clear_errors(void);

/// The negotiated protocol ("TLSv1.3"), the SNI name (or ""), the ALPN protocol (or "").
const char *CLibSSL_session_version(SSL *session);
const char *CLibSSL_session_server_name(SSL *session);
void CLibSSL_session_alpn(SSL *session, char *buffer, size_t capacity);
/// Subject of the certificate the peer presented, into `buffer` ("" when none).
void CLibSSL_session_peer_subject(SSL *session, char *buffer, size_t capacity);


/// Bytes of the heap in use (glibc mallinfo2 uordblks): benchmarks measure what sessions cost.
size_t CLibSSL_heap_in_use(void);

#endif
