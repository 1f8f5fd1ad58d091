/* static_hello: a statically linked program (no PT_INTERP, so nothing can
 * be preloaded into it) for tests/integration/static_refusal.sh: `simnet
 * run` refuses it, and runs it with --allow-static. */
#include <stdio.h>

int main(int argc, char **argv)
{
    printf("static hello, %d argument(s)\n", argc - 1);
    return argc > 1 && argv[1][0] == 'x' ? 7 : 0;
}
