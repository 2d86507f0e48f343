/*
** policy.c -- the table of replacement policies and their names.
** Adding a policy is one file (its struct policy_ops) and one line in
** policies[] below, plus its entry in VML_POLICY_LIST (vmlab.h), which
** gives its name and description.
*/
#include <string.h>

#include "policy.h"

static const struct policy_ops *const policies[] = {
    &policy_fifo, &policy_lru, &policy_mru, &policy_clock, &policy_clock0, &policy_opt,
    &policy_lfu, &policy_arc, &policy_2q, &policy_lru2, &policy_clockpro, &policy_sieve,
    &policy_s3fifo, &policy_wsclock, &policy_nru, &policy_aging, &policy_random,
    &policy_optclean,
};

static const struct {
    const char *name, *desc;
} policy_text[] = {
#define VML_X_TEXT(id, name, desc) [id] = { name, desc },
    VML_POLICY_LIST(VML_X_TEXT)
#undef VML_X_TEXT
};

const struct policy_ops *policy_find(vml_policy id)
{
    for (size_t i = 0; i < sizeof policies / sizeof policies[0]; i++)
        if (policies[i]->id == id)
            return policies[i];
    return NULL;
}

const char *vml_policy_name(vml_policy p)
{
    return (unsigned)p < VML_N_POLICIES ? policy_text[p].name : "?";
}

const char *vml_policy_desc(vml_policy p)
{
    return (unsigned)p < VML_N_POLICIES ? policy_text[p].desc : "?";
}

vml_status vml_policy_parse(const char *name, vml_policy *out)
{
    if (name == NULL || out == NULL)
        return VML_E_INVALID;
    for (unsigned p = 0; p < VML_N_POLICIES; p++)
        if (strcmp(name, policy_text[p].name) == 0) {
            *out = (vml_policy)p;
            return VML_OK;
        }
    return VML_E_NOT_FOUND;
}
