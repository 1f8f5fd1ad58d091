/* Processes: fork, vfork, daemon, posix_spawn, what execve leaves
 * behind, closefrom and close_range. */
#ifndef SN_PROCESS_H
#define SN_PROCESS_H

void sn_process_init(void);   /* registers the fork handlers */
/* At start-up: adopt simulated sockets inherited across execve. */
void sn_process_adopt_inherited(void);

#endif
