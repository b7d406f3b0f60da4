/*
 * cmd_dns.c -- "migrate dns": lower, change, restore and verify the
 * plan's DNS records (plumbing; the phase engine uses the same code).
 */
#include "migrate/app.h"
#include "migrate/cmds.h"

int cmd_dns(struct app *app, int argc, char **argv)
{
	(void)argc, (void)argv;
	return not_yet(app, "it arrives with DNS control");
}
