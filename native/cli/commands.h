/* native/cli/commands.h: the subcommands of crmsync; each takes argv from its own name. */
#ifndef CRM_CLI_COMMANDS_H
#define CRM_CLI_COMMANDS_H
int crm_cmd_eval(int argc, char **argv);
int crm_cmd_sandbox(int argc, char **argv);
int crm_cmd_issues(int argc, char **argv);
int crm_cmd_api(int argc, char **argv);
int crm_cmd_sync(int argc, char **argv);
int crm_cmd_serve(int argc, char **argv);
#endif
