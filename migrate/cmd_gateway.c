/*
 * cmd_gateway.c -- "migrate gateway": render and install the routing
 * table for the current state (plumbing; the phase engine uses the same
 * code).
 */
#include "migrate/app.h"
#include "migrate/cmds.h"

int cmd_gateway(struct app *app, int argc, char **argv)
{
	(void)argc, (void)argv;
	return not_yet(app, "it arrives with the gateway writer");
}
