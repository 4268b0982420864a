#ifndef CLIBCRYPTO_H
#define CLIBCRYPTO_H
#include <stddef.h>
#include <stdint.h>

/// SHA-1 of `length` bytes at `bytes` into `digest` (20 bytes), through OpenSSL's EVP interface
/// (the low-level SHA1() is deprecated in OpenSSL 3). Returns 1 on success, 0 on failure.
int CLibCrypto_sha1(const uint8_t *bytes, size_t length, uint8_t digest[20]);

#endif
