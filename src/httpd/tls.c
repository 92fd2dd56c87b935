/*
 * HTTPS: the server's TLS context, checked at start-up.
 *
 * libre's tls_alloc() reads the certificate and the key from one file
 * and says little when either is wrong; operators hold them in two
 * (Let's Encrypt's fullchain.pem and privkey.pem), and a server that
 * starts with a key that does not match its certificate fails every
 * handshake later. So the context comes from libre and the two files
 * are loaded into its OpenSSL context here, each failure named: the
 * file cannot be opened (with the system's reason), is not PEM, or the
 * key is not the certificate's. An encrypted key is refused rather than
 * asked for on the terminal. Nothing read from the files is logged.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
/* libre declares its OpenSSL accessor only for USE_OPENSSL builds */
#define USE_OPENSSL 1
#include <re.h>
#define LOG_SUBSYS "http"
#include "util/util.h"
#include "httpd/httpd.h"


/* an encrypted key: no password is ever asked for */
static int no_password(char *buf, int size, int rwflag, void *arg)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)arg;

	return 0;
}


/* the file can be read by this process: else the system's reason */
static int file_check(const char *key, const char *path)
{
	FILE *f;

	if (!path || !*path) {
		log_error("%s is not set (https_listen needs tls_cert and "
			  "tls_key)", key);
		return EINVAL;
	}

	f = fopen(path, "r");
	if (!f) {
		int err = errno;

		log_error("%s %s: %s", key, path, strerror(err));
		return err;
	}
	(void)fclose(f);

	return 0;
}


/* the key alone, so that a bad file and a wrong key are told apart */
static EVP_PKEY *key_read(const char *key_file)
{
	EVP_PKEY *pkey;
	BIO *bio;

	bio = BIO_new_file(key_file, "r");
	if (!bio)
		return NULL;

	pkey = PEM_read_bio_PrivateKey(bio, NULL, no_password, NULL);
	BIO_free(bio);

	return pkey;
}


static int ctx_load(SSL_CTX *ctx, const char *cert_file,
		    const char *key_file)
{
	EVP_PKEY *pkey;
	int r;

	if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1) {
		log_error("tls_cert %s: no PEM certificate in it", cert_file);
		return EINVAL;
	}

	pkey = key_read(key_file);
	if (!pkey) {
		log_error("tls_key %s: no PEM private key in it (or it is "
			  "encrypted)", key_file);
		return EINVAL;
	}
	r = SSL_CTX_use_PrivateKey(ctx, pkey);
	EVP_PKEY_free(pkey);
	if (r != 1 || SSL_CTX_check_private_key(ctx) != 1) {
		log_error("tls_key %s is not the key of tls_cert %s",
			  key_file, cert_file);
		return EINVAL;
	}

	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1)
		return ENOTSUP;

	return 0;
}


int httpd_tls_alloc(struct tls **tlsp, const char *cert_file,
		    const char *key_file)
{
	struct tls *tls = NULL;
	SSL_CTX *ctx;
	int err;

	if (!tlsp)
		return EINVAL;

	err = file_check("tls_cert", cert_file);
	if (!err)
		err = file_check("tls_key", key_file);
	if (err)
		return err;

	err = tls_alloc(&tls, TLS_METHOD_SSLV23, NULL, NULL);
	if (err) {
		log_error("TLS context: %s", strerror(err));
		return err;
	}

	ctx = tls_openssl_context(tls);
	err = ctx ? ctx_load(ctx, cert_file, key_file) : ENOSYS;
	ERR_clear_error();

	if (err)
		mem_deref(tls);
	else
		*tlsp = tls;

	return err;
}
