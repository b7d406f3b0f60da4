/*
 * gateway_int.h -- private to gateway/: the object behind struct gateway
 * and the kinds in the registry.
 */
#ifndef GATEWAY_INT_H
#define GATEWAY_INT_H

#include "gateway/gateway.h"
#include "util/err.h"

#define GATEWAY_TIMEOUT_MS 60000

struct gateway {
	const struct gateway_ops *ops;
	char *type;			/* the kind, for messages */
	char *name;			/* "postfix (config /etc/postfix)" */
	struct gateway_config cfg;	/* points at the copies below */
	char *map_type, *postmap, *postconf, *config_dir, *reload_cwd;
	char **reload;
	struct err last_error;
};

/* gateway_postfix.c */
extern const struct gateway_ops gateway_postfix_ops;

#endif
