/* Processes: fork.  (execve, SCM_RIGHTS and death come with the process
 * lifecycle work.) */
#ifndef SN_PROCESS_H
#define SN_PROCESS_H

void sn_process_init(void);   /* registers the fork handlers */

#endif
