#include "CLibCrypto.h"
#include <openssl/evp.h>

int CLibCrypto_sha1(const uint8_t *bytes, size_t length, uint8_t digest[20]) {
    unsigned int digest_length = 0;
    if (EVP_Digest(bytes, length, digest, &digest_length, EVP_sha1(), NULL) != 1) return 0;
    return digest_length == 20;
}
