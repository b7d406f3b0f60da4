/*
 * imap_ssl.h -- the OpenSSL headers the engine uses, included before
 * anything else.  OpenSSL's types.h declares a type ERR_STATE, which
 * collides with the error category ERR_STATE of util/err.h: the type is
 * renamed here (the engine never uses it).
 */
#ifndef IMAP_SSL_H
#define IMAP_SSL_H

#define ERR_STATE openssl_ERR_STATE
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#undef ERR_STATE

#endif
