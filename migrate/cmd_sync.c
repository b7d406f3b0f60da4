/*
 * cmd_sync.c -- "migrate sync": pre-stage / delta IMAP sync only.
 */
#include "migrate/app.h"
#include "migrate/cmds.h"

int cmd_sync(struct app *app, int argc, char **argv)
{
	(void)argc, (void)argv;
	return not_yet(app, "it arrives with the IMAP sync engine");
}
