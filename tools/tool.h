/* The rpmsg command: one function per subcommand. */
#ifndef RPMSG_TOOL_H
#define RPMSG_TOOL_H

int cmd_demo(int argc, char **argv);

#endif
