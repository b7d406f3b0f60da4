/*
 * cmds.h -- the command handlers.  Each returns a process exit code
 * (util/err.h EXIT_*); argc/argv are the words after the plan file that
 * the option parser did not take (usually none).
 */
#ifndef CMDS_H
#define CMDS_H

struct app;

int cmd_check(struct app *app, int argc, char **argv);
int cmd_run(struct app *app, int argc, char **argv);
int cmd_sync(struct app *app, int argc, char **argv);
int cmd_rollback(struct app *app, int argc, char **argv);
int cmd_report(struct app *app, int argc, char **argv);
int cmd_status(struct app *app, int argc, char **argv);
int cmd_log(struct app *app, int argc, char **argv);
int cmd_gateway(struct app *app, int argc, char **argv);
int cmd_dns(struct app *app, int argc, char **argv);

#endif
