/*
 * commands.h - the commands' entry points, one per helper/cmd_*.c, for
 * main.c's dispatch table. Each cmd_*.c includes it for its own prototype
 * only: a command never calls another (what they share is cli.h's).
 *
 * Calling sequence: rc = cmd_NAME(&cli, argc, argv), argv[0] the command's
 * name; the result is the process's exit code.
 *
 * Error handling: a command reports its failure once (cli_fail) and returns
 * the exit code of its cause (cli_exit_code, helper/exitcodes.c).
 */
#ifndef ITH_COMMANDS_H
#define ITH_COMMANDS_H

#include "cli.h"

int cmd_get(struct cli *cli, int argc, char **argv);
int cmd_rotate(struct cli *cli, int argc, char **argv);
int cmd_status(struct cli *cli, int argc, char **argv);
int cmd_list(struct cli *cli, int argc, char **argv);
int cmd_revoke(struct cli *cli, int argc, char **argv);
int cmd_check(struct cli *cli, int argc, char **argv);
int cmd_watch(struct cli *cli, int argc, char **argv);
int cmd_exec(struct cli *cli, int argc, char **argv);

#endif
