#include "view/view.h"
VML_API vml_status vml_report_html(vml_machine *m, const vml_report_opts *o, vml_text *out)
{ (void)m; (void)o; (void)out; return VML_E_UNSUPPORTED; }
VML_API vml_status vml_report_svg(vml_machine *m, const vml_report_opts *o, size_t i, vml_text *out, char *name, size_t name_size)
{ (void)m; (void)o; (void)i; (void)out; (void)name; (void)name_size; return VML_E_UNSUPPORTED; }
VML_API vml_status vml_plot_svg(const vml_plot *pl, vml_text *out) { (void)pl; (void)out; return VML_E_UNSUPPORTED; }
