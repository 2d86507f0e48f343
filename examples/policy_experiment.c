/*
** policy_experiment.c -- a replacement-policy experiment: every policy on
** the same reference strings, for 1 to 5 frames, and Belady's anomaly.
**
**   cc policy_experiment.c $(pkg-config --cflags --libs vmlab) -o policy_experiment
**
** vml_policy_simulate() runs a policy alone on a reference string (no
** machine): each reference to a page not resident is a fault.
*/
#include <stdio.h>
#include <vmlab.h>

static uint64_t faults(vml_policy pol, uint64_t frames, const vml_ref *refs, size_t n)
{
    vml_policy_result r;
    uint64_t f;

    if (vml_policy_simulate(pol, frames, refs, n, &r) != VML_OK)
        return UINT64_MAX;
    f = r.faults;
    vml_policy_result_free(&r);
    return f;
}

int main(void)
{
    static const uint64_t belady[] = { 1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5 };
    vml_ref refs[sizeof belady / sizeof belady[0]];
    size_t n = sizeof belady / sizeof belady[0];

    for (size_t i = 0; i < n; i++)
        refs[i] = (vml_ref){ belady[i], 0 };
    printf("faults on 1,2,3,4,1,2,5,1,2,3,4,5\n%-8s", "frames");
    for (unsigned f = 1; f <= 5; f++)
        printf("%4u", f);
    printf("\n");
    for (unsigned p = 0; p < VML_N_POLICIES; p++) {
        if (faults((vml_policy)p, 1, refs, n) == UINT64_MAX)
            continue;                      /* ws runs only inside a machine */
        printf("%-8s", vml_policy_name((vml_policy)p));
        for (unsigned f = 1; f <= 5; f++)
            printf("%4llu", (unsigned long long)faults((vml_policy)p, f, refs, n));
        printf("\n");
    }
    printf("Belady's anomaly: FIFO takes %llu faults with 3 frames, %llu with 4\n",
           (unsigned long long)faults(VML_POLICY_FIFO, 3, refs, n),
           (unsigned long long)faults(VML_POLICY_FIFO, 4, refs, n));
    return 0;
}
