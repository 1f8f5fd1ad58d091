/* static_hello: a statically linked program (no PT_INTERP, so nothing can
 * be preloaded into it) for tests/integration/static_refusal.sh: `simnet
 * run` refuses it, and runs it with --allow-static.
 *   static_hello [x...]   greets; exit 7 when the first argument starts
 *                         with 'x'
 *   static_hello socket   makes an inet socket (the trap stops it there) */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "socket") == 0) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        printf("socket returned %s\n", s >= 0 ? "an fd" : "-1");
        return 0;
    }
    printf("static hello, %d argument(s)\n", argc - 1);
    return argc > 1 && argv[1][0] == 'x' ? 7 : 0;
}
