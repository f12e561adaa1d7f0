/* `ecgbench data SUB`: dispatches to the dataset subcommands. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

int ecg_cmd_data(int argc, char **argv) {
    static const struct {
        const char *name;
        int (*run)(int, char **);
        const char *help;
    } subs[] = {
        {"info", ecg_cmd_data_info, "TASK: examples per class for each split"},
        {"export", ecg_cmd_data_export, "TASK --split S --out F: the split's examples as safetensors (x, y, features)"},
        {"qrs-eval", ecg_cmd_qrs_eval, "QRS detector sensitivity / positive predictivity on MIT-BIH"},
        {"p-eval", ecg_cmd_p_eval, "P waves found in sinus rhythm vs atrial fibrillation on MIT-BIH"},
    };
    if (argc >= 2)
        for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
            if (!strcmp(argv[1], subs[i].name)) return subs[i].run(argc - 1, argv + 1);
    int help = argc >= 2 && !strcmp(argv[1], "--help");
    FILE *f = help ? stdout : stderr;
    if (argc >= 2 && !help) fprintf(f, "ecgbench data: unknown subcommand '%s'\n", argv[1]);
    fprintf(f, "usage: ecgbench data SUBCOMMAND [options]\n");
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) fprintf(f, "  %-10s %s\n", subs[i].name, subs[i].help);
    return f == stdout ? 0 : 2;
}
