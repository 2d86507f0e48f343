/*
** test_phys.c -- simulated physical memory (hw/phys.c): its size limits,
** zero-filled frames, and entries read and written little-endian at any
** physical address, as the page walker reads them.
*/
#define TESTUTIL_HW
#include "testutil.h"

static void phys_refuses_no_frames_and_more_than_2_to_the_32(void **state)
{
    struct phys ph;

    (void)state;
    assert_int_equal(VML_E_RANGE, phys_init(&ph, 0, 0));
    assert_null(ph.mem);
    assert_int_equal(0, ph.n_frames);
    assert_int_equal(VML_E_RANGE, phys_init(&ph, (UINT64_C(1) << 32) + 1, 0));
    assert_null(ph.mem);
}

static void frames_start_zero_and_hold_little_endian_entries(void **state)
{
    struct phys ph;
    char msg[120];

    (void)state;
    assert_int_equal(VML_OK, phys_init(&ph, 4, 0));
    assert_int_equal(0, phys_check(&ph, msg, sizeof msg));
    for (vml_pa pa = 0; pa < 4 * PAGE; pa += 8)
        assert_int_equal(0, phys_read64(&ph, pa));
    phys_write64(&ph, 0x1008, UINT64_C(0x8000000000123067));
    assert_int_equal(0x67, phys_frame(&ph, 1)[8]);           /* low byte first */
    assert_int_equal(0x80, phys_frame(&ph, 1)[15]);
    assert_int_equal(0x00123067, phys_read32(&ph, 0x1008));
    assert_int_equal(0x80000000, phys_read32(&ph, 0x100C));
    phys_write32(&ph, 0x100C, 0);                            /* a 4-byte entry */
    assert_int_equal(0x123067, phys_read64(&ph, 0x1008));
    phys_zero_frame(&ph, 1);
    assert_int_equal(0, phys_read64(&ph, 0x1008));
    phys_fini(&ph);
}

static void valid_ranges_end_at_the_last_byte(void **state)
{
    struct phys ph;

    (void)state;
    assert_int_equal(VML_OK, phys_init(&ph, 2, 0));
    assert_true(phys_valid(&ph, 0, 2 * PAGE));
    assert_true(phys_valid(&ph, 2 * PAGE - 8, 8));
    assert_false(phys_valid(&ph, 2 * PAGE - 7, 8));
    assert_false(phys_valid(&ph, 2 * PAGE, 0));
    assert_false(phys_valid(&ph, 8, UINT64_MAX));       /* no wrap-around */
    phys_fini(&ph);
}

/* data=off's frames: 64 GiB reserved without the host's commit charge
** (more than this host's RAM), zero, writable where a table lives. */
static void sparse_frames_reserve_more_than_the_host_has(void **state)
{
    struct phys ph;
    char msg[120];

    (void)state;
    assert_int_equal(VML_OK, phys_init(&ph, UINT64_C(1) << 24, PHYS_SPARSE));
    assert_int_equal(1, ph.mapped);
    assert_int_equal(0, phys_check(&ph, msg, sizeof msg));
    assert_int_equal(0, phys_read64(&ph, (UINT64_C(1) << 36) - 8));   /* the last entry */
    phys_write64(&ph, UINT64_C(0x800000008), 0x1067);
    assert_int_equal(0x1067, phys_read64(&ph, UINT64_C(0x800000008)));
    phys_fini(&ph);
    assert_null(ph.mem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(phys_refuses_no_frames_and_more_than_2_to_the_32),
        cmocka_unit_test(frames_start_zero_and_hold_little_endian_entries),
        cmocka_unit_test(valid_ranges_end_at_the_last_byte),
        cmocka_unit_test(sparse_frames_reserve_more_than_the_host_has),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
