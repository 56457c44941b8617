#ifndef CSODIUM_SHIM_H
#define CSODIUM_SHIM_H
#include <sodium.h>

/* Thin shims over libsodium that take `void *`, so Swift can pass raw buffer pointers
   without rebinding memory to `unsigned char`. */

static inline void csodium_randombytes(void *buf, size_t len) {
  randombytes_buf(buf, len);
}

static inline void csodium_memzero(void *buf, size_t len) {
  sodium_memzero(buf, len);
}

static inline int csodium_memcmp(const void *a, const void *b, size_t len) {
  return sodium_memcmp(a, b, len);
}

static inline int csodium_scalarmult_base(void *q, const void *n) {
  return crypto_scalarmult_base((unsigned char *)q, (const unsigned char *)n);
}

static inline int csodium_scalarmult(void *q, const void *n, const void *p) {
  return crypto_scalarmult((unsigned char *)q, (const unsigned char *)n,
                           (const unsigned char *)p);
}

static inline int csodium_aead_seal_detached(void *c, void *mac, const void *m, size_t mlen,
                                             const void *ad, size_t adlen, const void *npub,
                                             const void *k) {
  return crypto_aead_chacha20poly1305_ietf_encrypt_detached(
      (unsigned char *)c, (unsigned char *)mac, NULL, (const unsigned char *)m,
      (unsigned long long)mlen, (const unsigned char *)ad, (unsigned long long)adlen, NULL,
      (const unsigned char *)npub, (const unsigned char *)k);
}

static inline int csodium_aead_open_detached(void *m, const void *c, size_t clen,
                                             const void *mac, const void *ad, size_t adlen,
                                             const void *npub, const void *k) {
  return crypto_aead_chacha20poly1305_ietf_decrypt_detached(
      (unsigned char *)m, NULL, (const unsigned char *)c, (unsigned long long)clen,
      (const unsigned char *)mac, (const unsigned char *)ad, (unsigned long long)adlen,
      (const unsigned char *)npub, (const unsigned char *)k);
}

static inline int csodium_generichash_init(void *state, const void *key, size_t keylen,
                                           size_t outlen) {
  return crypto_generichash_init((crypto_generichash_state *)state,
                                 (const unsigned char *)key, keylen, outlen);
}

static inline int csodium_generichash_update(void *state, const void *in, size_t inlen) {
  return crypto_generichash_update((crypto_generichash_state *)state,
                                   (const unsigned char *)in, (unsigned long long)inlen);
}

static inline int csodium_generichash_final(void *state, void *out, size_t outlen) {
  return crypto_generichash_final((crypto_generichash_state *)state, (unsigned char *)out,
                                  outlen);
}

static inline int csodium_pwhash_argon2id(void *out, size_t outlen, const void *passwd,
                                          size_t passwdlen, const void *salt,
                                          unsigned long long opslimit, size_t memlimit) {
  return crypto_pwhash((unsigned char *)out, (unsigned long long)outlen, (const char *)passwd,
                       (unsigned long long)passwdlen, (const unsigned char *)salt, opslimit,
                       memlimit, crypto_pwhash_ALG_ARGON2ID13);
}

/// XChaCha20-Poly1305 (IETF) with the tag appended; `c` holds `mlen + 16` bytes.
static inline int csodium_xaead_seal(void *c, const void *m, size_t mlen, const void *ad,
                                     size_t adlen, const void *nonce, const void *key) {
  return crypto_aead_xchacha20poly1305_ietf_encrypt((unsigned char *)c, NULL,
                                                    (const unsigned char *)m, mlen,
                                                    (const unsigned char *)ad, adlen, NULL,
                                                    (const unsigned char *)nonce,
                                                    (const unsigned char *)key);
}

/// Opens XChaCha20-Poly1305 (IETF); `m` receives `clen - 16` bytes. Returns -1 on forgery.
static inline int csodium_xaead_open(void *m, const void *c, size_t clen, const void *ad,
                                     size_t adlen, const void *nonce, const void *key) {
  return crypto_aead_xchacha20poly1305_ietf_decrypt((unsigned char *)m, NULL, NULL,
                                                    (const unsigned char *)c, clen,
                                                    (const unsigned char *)ad, adlen,
                                                    (const unsigned char *)nonce,
                                                    (const unsigned char *)key);
}

/* Base64, variant ORIGINAL (RFC 4648 section 4, padded), in libsodium's constant-time codec:
   no table lookup indexed by secret bytes. */

/// The size of the base64 text of `bin_len` bytes, terminating NUL included.
static inline size_t csodium_base64_encoded_len(size_t bin_len) {
  return sodium_base64_ENCODED_LEN(bin_len, sodium_base64_VARIANT_ORIGINAL);
}

/// Writes the NUL-terminated base64 text of `bin` into `b64`, which holds
/// `csodium_base64_encoded_len(bin_len)` bytes.
static inline void csodium_bin2base64(void *b64, size_t b64_maxlen, const void *bin,
                                      size_t bin_len) {
  sodium_bin2base64((char *)b64, b64_maxlen, (const unsigned char *)bin, bin_len,
                    sodium_base64_VARIANT_ORIGINAL);
}

/// Decodes padded base64 of exactly `b64_len` characters (nothing ignored, nothing left over)
/// into at most `bin_maxlen` bytes; 0 and the length in `bin_len`, or -1.
static inline int csodium_base642bin(void *bin, size_t bin_maxlen, const void *b64,
                                     size_t b64_len, size_t *bin_len) {
  return sodium_base642bin((unsigned char *)bin, bin_maxlen, (const char *)b64, b64_len, NULL,
                           bin_len, NULL, sodium_base64_VARIANT_ORIGINAL);
}

/* Ed25519 and the scalar arithmetic XEdDSA needs (libsodium 1.0.18). */

static inline int csodium_scalarmult_ed25519_base_noclamp(void *q, const void *n) {
  return crypto_scalarmult_ed25519_base_noclamp((unsigned char *)q, (const unsigned char *)n);
}

/// Reduces a 64-byte little-endian number modulo the group order L into 32 bytes.
static inline void csodium_scalar_reduce(void *r, const void *s) {
  crypto_core_ed25519_scalar_reduce((unsigned char *)r, (const unsigned char *)s);
}

static inline void csodium_scalar_negate(void *neg, const void *s) {
  crypto_core_ed25519_scalar_negate((unsigned char *)neg, (const unsigned char *)s);
}

static inline void csodium_scalar_add(void *z, const void *x, const void *y) {
  crypto_core_ed25519_scalar_add((unsigned char *)z, (const unsigned char *)x,
                                 (const unsigned char *)y);
}

static inline void csodium_scalar_mul(void *z, const void *x, const void *y) {
  crypto_core_ed25519_scalar_mul((unsigned char *)z, (const unsigned char *)x,
                                 (const unsigned char *)y);
}

static inline int csodium_sha512(void *out, const void *in, size_t inlen) {
  return crypto_hash_sha512((unsigned char *)out, (const unsigned char *)in,
                            (unsigned long long)inlen);
}

static inline int csodium_sign_seed_keypair(void *pk, void *sk, const void *seed) {
  return crypto_sign_seed_keypair((unsigned char *)pk, (unsigned char *)sk,
                                  (const unsigned char *)seed);
}

static inline int csodium_sign_keypair(void *pk, void *sk) {
  return crypto_sign_keypair((unsigned char *)pk, (unsigned char *)sk);
}

static inline int csodium_sign_detached(void *sig, const void *m, size_t mlen, const void *sk) {
  return crypto_sign_detached((unsigned char *)sig, NULL, (const unsigned char *)m,
                              (unsigned long long)mlen, (const unsigned char *)sk);
}

/// Returns 0 for a valid signature; -1 for a forgery, a non-canonical `s`, or a small-order
/// or non-canonical point.
static inline int csodium_sign_verify_detached(const void *sig, const void *m, size_t mlen,
                                               const void *pk) {
  return crypto_sign_verify_detached((const unsigned char *)sig, (const unsigned char *)m,
                                     (unsigned long long)mlen, (const unsigned char *)pk);
}

static inline int csodium_sign_pk_to_curve25519(void *x, const void *ed) {
  return crypto_sign_ed25519_pk_to_curve25519((unsigned char *)x, (const unsigned char *)ed);
}

#endif
