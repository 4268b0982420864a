#define _GNU_SOURCE
#include "CLibSSL.h"
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <malloc.h>
#include <time.h>

// MARK: The pipe BIO

static BIO_METHOD *pipe_method;
static pthread_once_t pipe_method_once = PTHREAD_ONCE_INIT;

static int pipe_read(BIO *bio, char *buffer, int length) {
    CLibSSL_Pipe *pipe = BIO_get_data(bio);
    BIO_clear_retry_flags(bio);
    if (pipe->reader != bio || pipe->input_length == 0 || length <= 0) {
        BIO_set_retry_read(bio);
        return -1;
    }
    size_t count = pipe->input_length < (size_t)length ? pipe->input_length : (size_t)length;
    memcpy(buffer, pipe->input, count);
    pipe->input += count;
    pipe->input_length -= count;
    return (int)count;
}

static int pipe_write(BIO *bio, const char *bytes, int length) {
    CLibSSL_Pipe *pipe = BIO_get_data(bio);
    BIO_clear_retry_flags(bio);
    if (length <= 0) return 0;
    size_t needed = pipe->output_length + (size_t)length;
    if (needed > pipe->output_capacity) {
        size_t capacity = pipe->output_capacity ? pipe->output_capacity : 4096;
        while (capacity < needed) capacity *= 2;
        uint8_t *grown = realloc(pipe->output, capacity);
        if (!grown) return -1;
        pipe->output = grown;
        pipe->output_capacity = capacity;
    }
    memcpy(pipe->output + pipe->output_length, bytes, (size_t)length);
    pipe->output_length = needed;
    return length;
}

static long pipe_ctrl(BIO *bio, int command, long number, void *pointer) {
    (void)bio, (void)number, (void)pointer;
    return command == BIO_CTRL_FLUSH ? 1 : 0;
}

static int pipe_create(BIO *bio) {
    BIO_set_init(bio, 1);
    return 1;
}

static void make_pipe_method(void) {
    pipe_method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "ringgate pipe");
    BIO_meth_set_read(pipe_method, pipe_read);
    BIO_meth_set_write(pipe_method, pipe_write);
    BIO_meth_set_ctrl(pipe_method, pipe_ctrl);
    BIO_meth_set_create(pipe_method, pipe_create);
}

CLibSSL_Pipe *CLibSSL_pipe_new(void) { return calloc(1, sizeof(CLibSSL_Pipe)); }

void CLibSSL_pipe_free(CLibSSL_Pipe *pipe) {
    if (!pipe) return;
    free(pipe->output);
    free(pipe);
}

void CLibSSL_pipe_trim(CLibSSL_Pipe *pipe, size_t keep) {
    if (pipe->output_length == 0 && pipe->output_capacity > keep) {
        free(pipe->output);
        pipe->output = NULL;
        pipe->output_capacity = 0;
    }
}

// MARK: Contexts

static int alpn_select(SSL *session, const unsigned char **out, unsigned char *out_length, const unsigned char *in,
                       unsigned int in_length, void *argument) {
    (void)session, (void)argument;
    static const unsigned char http11[] = "\x08http/1.1";
    if (SSL_select_next_proto((unsigned char **)out, out_length, http11, sizeof(http11) - 1, in, in_length) ==
        OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_OK;
    return SSL_TLSEXT_ERR_NOACK;
}

static void set_error(char *error, size_t capacity, const char *what, const char *path) {
    char detail[256] = "";
    unsigned long code = ERR_peek_last_error();
    if (code) ERR_error_string_n(code, detail, sizeof(detail));
    ERR_clear_error();
    snprintf(error, capacity, "%s%s%s%s%s", what, path ? " " : "", path ? path : "", detail[0] ? ": " : "", detail);
}

SSL_CTX *CLibSSL_context_new(const CLibSSL_ContextOptions *options, char *error, size_t error_capacity) {
    ERR_clear_error();
    SSL_CTX *context = SSL_CTX_new(options->server ? TLS_server_method() : TLS_client_method());
    if (!context) {
        set_error(error, error_capacity, "cannot create a TLS context", NULL);
        return NULL;
    }
    SSL_CTX_set_mode(context, SSL_MODE_RELEASE_BUFFERS);
    // Session IDs would be kept per context for every client; stateless tickets resume without that
    // (and the test and benchmark clients do not resume).
    SSL_CTX_set_session_cache_mode(context, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(context, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    if (options->minimum_version && !SSL_CTX_set_min_proto_version(context, options->minimum_version)) goto version;
    if (options->maximum_version && !SSL_CTX_set_max_proto_version(context, options->maximum_version)) goto version;
    if (options->cipher_list && !SSL_CTX_set_cipher_list(context, options->cipher_list)) {
        set_error(error, error_capacity, "no usable cipher in the TLS 1.2 cipher list", options->cipher_list);
        goto fail;
    }
    if (options->cipher_suites && !SSL_CTX_set_ciphersuites(context, options->cipher_suites)) {
        set_error(error, error_capacity, "no usable suite in the TLS 1.3 cipher suites", options->cipher_suites);
        goto fail;
    }
    if (options->certificate_chain_path &&
        SSL_CTX_use_certificate_chain_file(context, options->certificate_chain_path) != 1) {
        set_error(error, error_capacity, "cannot load the certificate chain", options->certificate_chain_path);
        goto fail;
    }
    if (options->private_key_path &&
        SSL_CTX_use_PrivateKey_file(context, options->private_key_path, SSL_FILETYPE_PEM) != 1) {
        int mismatch = ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH;
        set_error(error, error_capacity,
                  mismatch ? "the private key does not match the certificate:" : "cannot load the private key",
                  options->private_key_path);
        goto fail;
    }
    if (options->certificate_chain_path && options->private_key_path && SSL_CTX_check_private_key(context) != 1) {
        set_error(error, error_capacity, "the private key does not match the certificate", options->private_key_path);
        goto fail;
    }
    if (options->ca_path) {
        if (SSL_CTX_load_verify_locations(context, options->ca_path, NULL) != 1) {
            set_error(error, error_capacity, "cannot load the CA file", options->ca_path);
            goto fail;
        }
        if (options->server) {
            STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(options->ca_path);
            if (names) SSL_CTX_set_client_CA_list(context, names);
        }
    }
    if (options->verify_peer) {
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER | (options->server ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0), NULL);
    } else if (options->server && options->ca_path) {
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, NULL);
    }
    if (options->server && options->alpn_http11) SSL_CTX_set_alpn_select_cb(context, alpn_select, NULL);
    if (!options->server && options->alpn_http11) {
        static const unsigned char http11[] = "\x08http/1.1";
        SSL_CTX_set_alpn_protos(context, http11, sizeof(http11) - 1);
    }
    return context;
version:
    set_error(error, error_capacity, "unsupported TLS version bound", NULL);
fail:
    SSL_CTX_free(context);
    return NULL;
}

void CLibSSL_context_free(SSL_CTX *context) { SSL_CTX_free(context); }

int64_t CLibSSL_context_not_after(SSL_CTX *context) {
    X509 *certificate = SSL_CTX_get0_certificate(context);
    if (!certificate) return 0;
    struct tm moment;
    if (ASN1_TIME_to_tm(X509_get0_notAfter(certificate), &moment) != 1) return 0;
    return (int64_t)timegm(&moment);
}

void CLibSSL_context_subject(SSL_CTX *context, char *buffer, size_t capacity) {
    buffer[0] = 0;
    X509 *certificate = SSL_CTX_get0_certificate(context);
    if (certificate) X509_NAME_oneline(X509_get_subject_name(certificate), buffer, (int)capacity);
}

// MARK: SNI

struct CLibSSL_SNI {
    size_t count;
    SSL_CTX *contexts[];
};

static int select_by_name(SSL *session, int *alert, void *argument) {
    (void)alert;
    const CLibSSL_SNI *sni = argument;
    const char *name = SSL_get_servername(session, TLSEXT_NAMETYPE_host_name);
    if (!name) return SSL_TLSEXT_ERR_NOACK;
    for (size_t index = 0; index < sni->count; index++) {
        X509 *certificate = SSL_CTX_get0_certificate(sni->contexts[index]);
        if (certificate && X509_check_host(certificate, name, 0, 0, NULL) == 1) {
            if (sni->contexts[index] != SSL_get_SSL_CTX(session)) SSL_set_SSL_CTX(session, sni->contexts[index]);
            return SSL_TLSEXT_ERR_OK;
        }
    }
    return SSL_TLSEXT_ERR_OK;
}

CLibSSL_SNI *CLibSSL_sni_install(SSL_CTX *primary, SSL_CTX *const *alternatives, size_t count) {
    CLibSSL_SNI *sni = malloc(sizeof(CLibSSL_SNI) + count * sizeof(SSL_CTX *));
    if (!sni) return NULL;
    sni->count = count;
    for (size_t index = 0; index < count; index++) {
        SSL_CTX_up_ref(alternatives[index]);
        sni->contexts[index] = alternatives[index];
    }
    SSL_CTX_set_tlsext_servername_callback(primary, select_by_name);
    SSL_CTX_set_tlsext_servername_arg(primary, sni);
    return sni;
}

void CLibSSL_sni_free(CLibSSL_SNI *sni) {
    if (!sni) return;
    for (size_t index = 0; index < sni->count; index++) SSL_CTX_free(sni->contexts[index]);
    free(sni);
}

// MARK: Sessions

SSL *CLibSSL_session_new(SSL_CTX *context, CLibSSL_Pipe *pipe, int server, const char *server_name) {
    pthread_once(&pipe_method_once, make_pipe_method);
    if (!pipe_method) return NULL;
    SSL *session = SSL_new(context);
    if (!session) return NULL;
    BIO *bio = BIO_new(pipe_method);
    if (!bio) {
        SSL_free(session);
        return NULL;
    }
    BIO_set_data(bio, pipe);
    SSL_set_bio(session, bio, bio);
    if (server) {
        SSL_set_accept_state(session);
    } else {
        SSL_set_connect_state(session);
        if (server_name) {
            SSL_set_tlsext_host_name(session, server_name);
            SSL_set1_host(session, server_name);
        }
    }
    return session;
}

void CLibSSL_session_free(SSL *session) { SSL_free(session); }

static void lend(CLibSSL_Pipe *pipe, SSL *session, const uint8_t *input, size_t length) {
    pipe->input = input;
    pipe->input_length = length;
    pipe->reader = SSL_get_rbio(session);
}

static void take_back(CLibSSL_Pipe *pipe, size_t length, size_t *consumed) {
    *consumed = length - pipe->input_length;
    pipe->input = NULL;
    pipe->input_length = 0;
    pipe->reader = NULL;
}

static int classify(SSL *session, int result) {
    switch (SSL_get_error(session, result)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE: return CLibSSL_WANT_INPUT;
    case SSL_ERROR_ZERO_RETURN: return CLibSSL_CLOSED;
    default: return CLibSSL_FAILED;
    }
}

int CLibSSL_handshake(SSL *session, CLibSSL_Pipe *pipe, const uint8_t *input, size_t input_length,
                      size_t *consumed) {
    ERR_clear_error();
    lend(pipe, session, input, input_length);
    int result = SSL_do_handshake(session);
    take_back(pipe, input_length, consumed);
    if (result == 1) {
        // The handshake's read buffer is not released by SSL_MODE_RELEASE_BUFFERS until application data
        // was read; an idle connection should not keep it.
        SSL_free_buffers(session);
        return 1;
    }
    int outcome = classify(session, result);
    return outcome == CLibSSL_CLOSED ? CLibSSL_FAILED : outcome;
}

int CLibSSL_read(SSL *session, CLibSSL_Pipe *pipe, const uint8_t *input, size_t input_length, size_t *consumed,
                 uint8_t *plaintext, size_t capacity) {
    ERR_clear_error();
    lend(pipe, session, input, input_length);
    int result = SSL_read(session, plaintext, capacity > INT32_MAX ? INT32_MAX : (int)capacity);
    take_back(pipe, input_length, consumed);
    if (result > 0) return result;
    int outcome = classify(session, result);
    // Waiting for more bytes: whatever buffer is empty goes (a partial record keeps the read buffer).
    if (outcome == CLibSSL_WANT_INPUT) SSL_free_buffers(session);
    return outcome;
}

int CLibSSL_write(SSL *session, CLibSSL_Pipe *pipe, const uint8_t *plaintext, size_t length) {
    (void)pipe;
    ERR_clear_error();
    while (length > 0) {
        size_t piece = length > (1 << 30) ? (1 << 30) : length;
        int result = SSL_write(session, plaintext, (int)piece);
        if (result <= 0) return CLibSSL_FAILED;
        plaintext += result;
        length -= (size_t)result;
    }
    return 1;
}

void CLibSSL_shutdown(SSL *session, CLibSSL_Pipe *pipe) {
    (void)pipe;
    ERR_clear_error();
    if (SSL_is_init_finished(session)) SSL_shutdown(session);
    ERR_clear_error();
}

const char *CLibSSL_failure_reason(char *detail, size_t capacity) {
    unsigned long code = ERR_peek_error();
    if (detail && capacity) {
        detail[0] = 0;
        if (code) ERR_error_string_n(code, detail, capacity);
    }
    ERR_clear_error();
    if (!code || ERR_GET_LIB(code) != ERR_LIB_SSL) return "protocol";
    int reason = ERR_GET_REASON(code);
    switch (reason) {
    case SSL_R_UNSUPPORTED_PROTOCOL:
    case SSL_R_VERSION_TOO_LOW:
    case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION: return "unsupported_version";
    case SSL_R_NO_SHARED_CIPHER:
    case SSL_R_NO_SHARED_GROUPS:
    case SSL_R_NO_SUITABLE_SIGNATURE_ALGORITHM:
    case SSL_R_TLSV1_ALERT_INSUFFICIENT_SECURITY:
    case SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE: return "no_shared_cipher";
    case SSL_R_HTTP_REQUEST:
    case SSL_R_HTTPS_PROXY_REQUEST:
    case SSL_R_WRONG_VERSION_NUMBER:
    case SSL_R_UNKNOWN_PROTOCOL:
    case SSL_R_PACKET_LENGTH_TOO_LONG:
    case SSL_R_RECORD_LENGTH_MISMATCH:
    case SSL_R_ENCRYPTED_LENGTH_TOO_LONG: return "not_tls";
    case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
    case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
    case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
    case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
    case SSL_R_CERTIFICATE_VERIFY_FAILED:
    case SSL_R_NO_CERTIFICATES_RETURNED: return "certificate";
    default: return reason >= SSL_AD_REASON_OFFSET && reason < SSL_AD_REASON_OFFSET + 256 ? "alert" : "protocol";
    }
}

void CLibSSL_clear_errors(void) { ERR_clear_error(); }

const char *CLibSSL_session_version(SSL *session) { return SSL_get_version(session); }

const char *CLibSSL_session_server_name(SSL *session) {
    const char *name = SSL_get_servername(session, TLSEXT_NAMETYPE_host_name);
    return name ? name : "";
}

void CLibSSL_session_alpn(SSL *session, char *buffer, size_t capacity) {
    const unsigned char *protocol = NULL;
    unsigned int length = 0;
    SSL_get0_alpn_selected(session, &protocol, &length);
    if (length >= capacity) length = (unsigned int)capacity - 1;
    if (protocol) memcpy(buffer, protocol, length);
    buffer[length] = 0;
}

void CLibSSL_session_peer_subject(SSL *session, char *buffer, size_t capacity) {
    buffer[0] = 0;
    X509 *certificate = SSL_get1_peer_certificate(session);
    if (!certificate) return;
    X509_NAME_oneline(X509_get_subject_name(certificate), buffer, (int)capacity);
    X509_free(certificate);
}

size_t CLibSSL_heap_in_use(void) {
    struct mallinfo2 info = mallinfo2();
    return info.uordblks;
}
