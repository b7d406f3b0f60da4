/*
 * imap_ssl.h -- the OpenSSL headers the engine uses.
 */
#ifndef IMAP_SSL_H
#define IMAP_SSL_H

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#endif
