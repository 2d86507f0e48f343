/*
** test_pictures.c -- the pictures' library side: plots of synthetic
** miss-ratio curves (the interface replay's curves will use), the checks
** that refuse bad plots naming the problem, the VAD tree the models
** rebuild from levels, the frame classes adding up, the report and its
** SVG charts well-formed and complete, the diagrams' options, widths and
** colours.
*/
#include "testutil.h"
#include "view/model.h"

/* ---- a small XML well-formedness check (tags balance, attributes
** quoted, no bare < or &) ------------------------------------------------ */

static int xml_balanced(const char *s)
{
    char stack[64][32];
    size_t depth = 0;

    while (*s) {
        if (*s == '&') {
            const char *semi = strchr(s, ';');
            if (semi == NULL || semi - s > 8)
                return 0;
            s = semi + 1;
            continue;
        }
        if (*s != '<') {
            s++;
            continue;
        }
        if (strncmp(s, "<?", 2) == 0 || strncmp(s, "<!", 2) == 0) {
            s = strchr(s, '>');
            if (s == NULL)
                return 0;
            s++;
            continue;
        }
        int closing = s[1] == '/';
        const char *name = s + 1 + closing;
        size_t n = strcspn(name, " />\n");
        const char *end = name + n;
        int quote = 0;
        while (*end && (quote || *end != '>')) {
            if (*end == '"')
                quote = !quote;
            if (!quote && *end == '<')
                return 0;
            end++;
        }
        if (*end != '>' || n == 0 || n >= 32)
            return 0;
        if (closing) {
            if (depth == 0 || strncmp(stack[depth - 1], name, n) != 0 || stack[depth - 1][n])
                return 0;
            depth--;
        } else if (end[-1] != '/') {
            if (depth == 64)
                return 0;
            memcpy(stack[depth], name, n);
            stack[depth++][n] = '\0';
        }
        s = end + 1;
    }
    return depth == 0;
}

static size_t count_of(const char *s, const char *what)
{
    size_t n = 0;
    for (const char *p = strstr(s, what); p; p = strstr(p + 1, what))
        n++;
    return n;
}

/* ---- plots -------------------------------------------------------------------- */

/* Synthetic miss-ratio curves of three policies over 1..8 frames, as
** replay will hand them over: LRU, FIFO (with Belady's bump) and OPT. */
static const double frames8[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
static const double lru8[8]  = { 1, .9, .8, .62, .5, .3, .2, .1 };
static const double fifo8[8] = { 1, .95, .75, .83, .55, .35, .25, .1 };
static const double opt8[8]  = { 1, .7, .5, .4, .3, .2, .1, .1 };

static vml_plot mrc_plot(vml_series *ser)
{
    ser[0] = (vml_series){ "lru", frames8, lru8, 8 };
    ser[1] = (vml_series){ "fifo", frames8, fifo8, 8 };
    ser[2] = (vml_series){ "opt", frames8, opt8, 8 };
    return (vml_plot){ "mrc", "Miss-ratio curves", "memory", "frames", "miss ratio", "",
                       0, ser, 3 };
}

static void synthetic_curves_plot_as_one_svg(void **state)
{
    vml_series ser[3];
    vml_plot pl = mrc_plot(ser);
    vml_text t = {0};
    (void)state;

    tu_assert_eq(VML_OK, vml_plot_check(&pl, NULL, 0));
    tu_assert_eq(VML_OK, vml_plot_svg(&pl, &t));
    assert_true(xml_balanced(t.s));
    assert_non_null(strstr(t.s, "xmlns=\"http://www.w3.org/2000/svg\""));
    tu_assert_eq(3, count_of(t.s, "<polyline class=\"series"));
    assert_non_null(strstr(t.s, "data-series=\"fifo\""));
    assert_non_null(strstr(t.s, ">memory (frames)</text>"));   /* the axis and its unit */
    assert_non_null(strstr(t.s, ">miss ratio</text>"));
    assert_non_null(strstr(t.s, ">opt</text>"));               /* the legend */
    assert_non_null(strstr(t.s, "fifo: (1, 1) (2, 0.95) (3, 0.75) (4, 0.83)"));   /* <desc> */
    /* a step plot draws a corner before each point after the first */
    vml_text_free(&t);
    pl.flags = VML_PLOT_STEP;
    tu_assert_eq(VML_OK, vml_plot_svg(&pl, &t));
    assert_true(xml_balanced(t.s));
    vml_text_free(&t);
}

static void bad_plots_are_refused_naming_the_point(void **state)
{
    vml_series ser[3];
    vml_plot pl = mrc_plot(ser);
    double nan_y[8], back_x[8], zero_x[8];
    char err[256];
    vml_text t = {0};
    (void)state;

    memcpy(nan_y, lru8, sizeof nan_y);
    nan_y[5] = 0.0 / 0.0;
    ser[0].y = nan_y;
    tu_assert_eq(VML_E_INVALID, vml_plot_check(&pl, err, sizeof err));
    assert_string_equal("plot mrc, series 'lru', point 5: not a finite number", err);
    tu_assert_eq(VML_E_INVALID, vml_plot_svg(&pl, &t));
    assert_null(t.s);                                   /* nothing appended */
    ser[0].y = lru8;
    memcpy(back_x, frames8, sizeof back_x);
    back_x[3] = 2;
    ser[1].x = back_x;
    tu_assert_eq(VML_E_INVALID, vml_plot_check(&pl, err, sizeof err));
    assert_non_null(strstr(err, "series 'fifo', point 3: x 2 is less than the x before it (3)"));
    ser[1].x = frames8;
    memcpy(zero_x, frames8, sizeof zero_x);
    zero_x[0] = 0;
    ser[2].x = zero_x;
    tu_assert_eq(VML_OK, vml_plot_check(&pl, err, sizeof err));
    pl.flags = VML_PLOT_LOG_X;
    tu_assert_eq(VML_E_INVALID, vml_plot_check(&pl, err, sizeof err));
    assert_non_null(strstr(err, "logarithmic"));
    ser[2].x = frames8;
    tu_assert_eq(VML_OK, vml_plot_check(&pl, err, sizeof err));
    pl.id = "Bad Id";
    tu_assert_eq(VML_E_INVALID, vml_plot_check(&pl, err, sizeof err));
    pl.id = "mrc";
    pl.n_series = 0;
    tu_assert_eq(VML_E_INVALID, vml_plot_check(&pl, err, sizeof err));
}

/* Regression (fuzz_plotcsv, y_2e23_cast_to_long_long): a tick or a value
** past the range of long long was cast to it to see if it was whole. */
static void values_past_long_long_plot_without_overflow(void **state)
{
    static const double x[3] = { 2, 4, 6 }, y[3] = { 0.5, 2e23, -3e30 };
    vml_series ser = { "huge", x, y, 3 };
    vml_plot pl = { "huge", "Huge values", "x", "", "y", "", 0, &ser, 1 };
    vml_text t = {0};
    (void)state;

    tu_assert_eq(VML_OK, vml_plot_svg(&pl, &t));
    assert_true(xml_balanced(t.s));
    assert_non_null(strstr(t.s, "huge: (2, 0.5) (4, 2e+23) (6, -3e+30)"));
    vml_text_free(&t);
}

/* ---- the report ---------------------------------------------------------------- */

static void a_report_holds_every_chart_and_the_callers_plots(void **state)
{
    struct rig *r = *state;
    vml_series ser[3];
    vml_plot pl[2];
    vml_report_opts o = { "test", pl, 1, 0 };
    vml_rec_config rc = { .clock = VML_CLOCK_ACCESSES, .every = 1 };
    vml_text html = {0};
    vml_proc *b = new_proc(r->m, "B");
    size_t i, n_svg = 0;

    pl[0] = mrc_plot(ser);
    tu_assert_eq(VML_OK, vml_record_start(r->m, &rc));
    vml_va va = alloc(r->p, 4 * PAGE);
    for (i = 0; i < 4; i++)
        write_byte(r->p, va + i * PAGE, 1);
    write_byte(b, alloc(b, PAGE), 1);
    tu_assert_eq(VML_OK, vml_report_html(r->m, &o, &html));
    assert_true(xml_balanced(strstr(html.s, "<html")));
    assert_null(strstr(html.s, "<script"));
    assert_null(strstr(html.s, "http://"));       /* nothing to fetch... */
    assert_null(strstr(html.s, "https://"));      /* ...but the svg namespace: standalone only */
    tu_assert_eq(vml_pfn_total(r->m), count_of(html.s, "<rect class=\"cell "));
    tu_assert_eq(2, count_of(html.s, "<details class=\"proc\""));
    tu_assert_eq(vml_vad_count(r->p) + vml_vad_count(b), count_of(html.s, "<g class=\"vadnode\""));
    assert_non_null(strstr(html.s, "data-chart=\"mrc\""));
    assert_non_null(strstr(html.s, "id=\"t-mrc\""));
    assert_non_null(strstr(html.s, "data-chart=\"timeline-ws\""));
    /* the charts one by one: the same charts, standalone */
    for (i = 0;; i++) {
        vml_text s = {0};
        char name[64];
        vml_status st = vml_report_svg(r->m, &o, i, &s, name, sizeof name);
        if (st == VML_E_NOT_FOUND) {
            assert_null(s.s);
            break;
        }
        tu_assert_eq(VML_OK, st);
        assert_true(xml_balanced(s.s));
        assert_true(strncmp(s.s, "<?xml", 5) == 0);
        assert_non_null(strstr(s.s, "<style>"));
        n_svg++;
        vml_text_free(&s);
    }
    /* usecounts frames standby, space and vad of 2 processes, 4 timelines, 1 plot */
    tu_assert_eq(3 + 2 * 2 + 4 + 1, n_svg);
    /* plots that repeat an id are refused, nothing appended */
    pl[1] = pl[0];
    o.n_plots = 2;
    size_t len = html.len;
    tu_assert_eq(VML_E_INVALID, vml_report_html(r->m, &o, &html));
    tu_assert_eq(len, html.len);
    vml_text_free(&html);
}

/* ---- models --------------------------------------------------------------------- */

/* 200 VADs: the tree rebuilt from their levels is the AVL tree (VW3). */
static void the_vad_tree_comes_back_from_the_levels(void **state)
{
    struct rig *r = *state;
    struct vw_vad_model vm;
    size_t i, n_root = 0;

    for (i = 0; i < 200; i++)
        alloc(r->p, PAGE);
    tu_assert_eq(VML_OK, vw_vad_build(r->p, 0, &vm));
    tu_assert_eq(200, vm.n);
    for (i = 0; i < vm.n; i++) {
        const struct vw_vad_row *row = &vm.rows[i];
        int hl = row->left == VW_NONE ? 0 : vm.rows[row->left].height;
        int hr = row->right == VW_NONE ? 0 : vm.rows[row->right].height;
        n_root += row->parent == VW_NONE;
        assert_true(row->balance >= -1 && row->balance <= 1);
        tu_assert_eq(hr - hl, row->balance);
        tu_assert_eq(1 + (hl > hr ? hl : hr), row->height);
        if (row->left != VW_NONE)
            assert_true(row->left < i && vm.rows[row->left].parent == i);
        if (row->right != VW_NONE)
            assert_true(row->right > i && vm.rows[row->right].parent == i);
    }
    tu_assert_eq(1, n_root);
    assert_true(vm.rows[vm.root].height <= 11);      /* 1.44 log2(202) */
    vw_vad_free(&vm);
    vw_vad_free(&vm);                                /* VW1: twice is harmless */
}

static void frame_classes_add_up(void **state)
{
    struct rig *r = *state;
    struct vw_frames_model fm;
    uint64_t sum = 0, sum2 = 0;

    write_byte(r->p, alloc(r->p, PAGE), 1);
    tu_assert_eq(VML_OK, vw_frames_build(r->m, &fm));
    for (unsigned k = 0; k < VW_N_FCLASSES; k++)
        sum += fm.per_class[k];
    for (unsigned u = 0; u < VML_N_USES; u++)
        for (unsigned l = 0; l < VML_N_LISTS; l++)
            sum2 += fm.use_list[u][l];
    tu_assert_eq(fm.n_frames, sum);
    tu_assert_eq(fm.n_frames, sum2);
    tu_assert_eq(1, fm.per_class[VW_FC_PRIVATE]);
    tu_assert_eq(64, vw_frames_group(262144, 4096));
    tu_assert_eq(1, vw_frames_group(2048, 4096));
    vw_frames_free(&fm);
}

/* ---- diagrams ---------------------------------------------------------------------- */

static void diagrams_keep_to_their_width_and_charset(void **state)
{
    struct rig *r = *state;
    vml_va va = alloc(r->p, 3 * PAGE);
    vml_proc *procs[2] = { r->p, r->p };
    vml_va vas[2] = { va, va + PAGE };
    unsigned widths[] = { 40, 80, 133 };

    write_byte(r->p, va, 1);
    for (size_t w = 0; w < N_OF(widths); w++) {
        for (int ascii = 0; ascii < 2; ascii++) {
            vml_diagram_opts o = { ascii ? VML_DIAG_ASCII : 0u, widths[w] };
            vml_text t = {0};
            tu_assert_eq(VML_OK, vml_diagram_walk(r->p, va, &o, &t));
            tu_assert_eq(VML_OK, vml_diagram_space(r->p, &o, &t));
            tu_assert_eq(VML_OK, vml_diagram_vad(r->p, &o, &t));
            tu_assert_eq(VML_OK, vml_diagram_lists(r->m, &o, &t));
            tu_assert_eq(VML_OK, vml_diagram_share(procs, vas, 2, &o, &t));
            /* every line within the width (columns: UTF-8 lead bytes) */
            size_t cols = 0;
            for (const unsigned char *p = (const unsigned char *)t.s; *p; p++) {
                if (*p == '\n') {
                    assert_true(cols <= widths[w]);
                    cols = 0;
                    continue;
                }
                if (ascii)
                    assert_true(*p < 0x80);
                assert_true(*p != 0x1B);              /* no colour unless asked */
                cols += (*p & 0xC0) != 0x80;
            }
            vml_text_free(&t);
        }
    }
}

static void colour_opens_and_closes_on_each_line(void **state)
{
    struct rig *r = *state;
    vml_diagram_opts o = { VML_DIAG_COLOR, 80 };
    vml_text t = {0};

    tu_assert_eq(VML_OK, vml_diagram_lists(r->m, &o, &t));
    assert_non_null(strstr(t.s, "\x1b["));
    for (char *line = t.s, *nl; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
        char *last = NULL;
        for (char *p = line; p < nl; p++)
            if (*p == 0x1B)
                last = p;
        if (last != NULL)                          /* DG2: the line ends reset */
            assert_true(strncmp(last, "\x1b[0m", 4) == 0);
    }
    vml_text_free(&t);
}

static void bad_diagram_arguments_append_nothing(void **state)
{
    struct rig *r = *state;
    vml_diagram_opts narrow = { 0, 39 }, wide = { 0, 1001 }, flags = { 0x80, 80 };
    vml_text t = {0};
    vml_proc *procs[17];
    vml_va vas[17] = {0};

    for (int i = 0; i < 17; i++)
        procs[i] = r->p;
    tu_assert_eq(VML_E_RANGE, vml_diagram_lists(r->m, &narrow, &t));
    tu_assert_eq(VML_E_RANGE, vml_diagram_vad(r->p, &wide, &t));
    tu_assert_eq(VML_E_INVALID, vml_diagram_space(r->p, &flags, &t));
    tu_assert_eq(VML_E_INVALID, vml_diagram_walk(NULL, 0, NULL, &t));
    tu_assert_eq(VML_E_INVALID, vml_diagram_lists(r->m, NULL, NULL));
    tu_assert_eq(VML_E_INVALID, vml_diagram_share(procs, vas, 17, NULL, &t));
    tu_assert_eq(VML_E_INVALID, vml_diagram_share(procs, vas, 0, NULL, &t));
    tu_assert_eq(VML_E_RANGE, vml_diagram_walk(r->p, 0x0000900000000000ull, NULL, &t));
    assert_null(t.s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(synthetic_curves_plot_as_one_svg),
        cmocka_unit_test(bad_plots_are_refused_naming_the_point),
        cmocka_unit_test(values_past_long_long_plot_without_overflow),
        cmocka_unit_test_setup_teardown(a_report_holds_every_chart_and_the_callers_plots,
                                        rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(the_vad_tree_comes_back_from_the_levels, rig_setup,
                                        rig_teardown),
        cmocka_unit_test_setup_teardown(frame_classes_add_up, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(diagrams_keep_to_their_width_and_charset, rig_setup,
                                        rig_teardown),
        cmocka_unit_test_setup_teardown(colour_opens_and_closes_on_each_line, rig_setup,
                                        rig_teardown),
        cmocka_unit_test_setup_teardown(bad_diagram_arguments_append_nothing, rig_setup,
                                        rig_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
