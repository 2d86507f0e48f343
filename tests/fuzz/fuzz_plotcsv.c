/*
** fuzz_plotcsv.c -- libFuzzer target for the plot files of report --plot
** (src/cli/plotcsv.c): any bytes give a plot that vml_plot_check accepts
** and vml_plot_svg draws, or an error message naming the file; never a
** crash, a leak or undefined behaviour.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct csv_plot p;
    char err[512];
    vml_text t = {0};

    if (csv_plot_parse("fuzz.csv", (const char *)data, size, 1, &p, err, sizeof err) != 0) {
        if (strncmp(err, "fuzz.csv", 8) != 0)
            abort();                      /* every refusal names the file */
        return 0;
    }
    if (vml_plot_check(&p.plot, err, sizeof err) != VML_OK)
        abort();                          /* CLI13: a plot read is a plot drawn */
    if (vml_plot_svg(&p.plot, &t) != VML_OK || t.s == NULL)
        abort();
    vml_text_free(&t);
    csv_plot_free(&p);
    return 0;
}
