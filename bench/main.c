/* ecgbench command line. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        printf("usage: ecgbench COMMAND [options]\n");
        return argc < 2 ? 2 : 0;
    }
    fprintf(stderr, "ecgbench: unknown command '%s' (try ecgbench --help)\n", argv[1]);
    return 2;
}
