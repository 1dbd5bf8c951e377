/* The rpmsg command: one function per subcommand. */
#ifndef RPMSG_TOOL_H
#define RPMSG_TOOL_H

int cmd_demo(int argc, char **argv);
int cmd_sim(int argc, char **argv);
int cmd_remote(int argc, char **argv);
int cmd_ls(int argc, char **argv);
int cmd_send(int argc, char **argv);
int cmd_recv(int argc, char **argv);
int cmd_ping(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_vhost_user(int argc, char **argv);

#endif
