/*
 * report_html.c -- the report as one self-contained HTML page (no external
 * file, script or font): the runbook admins keep during a migration, with
 * a progress bar per phase.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "migrate/report.h"
#include "util/timeutil.h"

static void esc(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		default:
			if ((unsigned char)*s < 0x20 && *s != '\n')
				fputc('?', out);
			else
				fputc(*s, out);
		}
	}
}

static void cell(FILE *out, const char *s)
{
	fputs("<td>", out);
	esc(out, s && *s ? s : "-");
	fputs("</td>", out);
}

static void num(FILE *out, int64_t v)
{
	if (v < 0)
		fputs("<td class=n>-</td>", out);
	else
		fprintf(out, "<td class=n>%" PRId64 "</td>", v);
}

static const char style[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}"
	"table{border-collapse:collapse;margin:.5em 0 1.5em}"
	"th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left}"
	"th{background:#f3f3f3}td.n{text-align:right}"
	".bar{width:24em;height:1em;background:#eee;display:flex}"
	".bar span{display:block;height:100%}"
	".ok{background:#3a3}.cut{background:#8c8}.fail{background:#c33}"
	"pre{background:#f7f7f7;padding:.6em;overflow:auto}";

static void phase_bars(const struct report *r, FILE *out)
{
	size_t i;

	fputs("<h2>Phases</h2>\n<table><tr><th>Phase</th><th>From</th>"
	      "<th>To</th><th>Users</th><th>Progress</th><th>Pending</th>"
	      "<th>Prestaged</th><th>Cut over</th><th>Verified</th>"
	      "<th>Failed</th><th>Rolled back</th></tr>\n", out);
	for (i = 0; i < r->n_phases; i++) {
		const struct report_phase *p = &r->phases[i];
		double n = p->n_users ? (double)p->n_users : 1;
		size_t s;

		fputs("<tr>", out);
		cell(out, p->name);
		cell(out, p->from);
		cell(out, p->to);
		fprintf(out, "<td class=n>%zu</td>", p->n_users);
		fprintf(out, "<td><div class=bar title=\"%.0f%% moved\">"
			"<span class=ok style=\"width:%.1f%%\"></span>"
			"<span class=cut style=\"width:%.1f%%\"></span>"
			"<span class=fail style=\"width:%.1f%%\"></span>"
			"</div></td>",
			100.0 * (double)(p->by_status[USER_VERIFIED] +
					 p->by_status[USER_CUTOVER]) / n,
			100.0 * (double)p->by_status[USER_VERIFIED] / n,
			100.0 * (double)p->by_status[USER_CUTOVER] / n,
			100.0 * (double)p->by_status[USER_FAILED] / n);
		for (s = 0; s < REPORT_N_STATUS; s++)
			fprintf(out, "<td class=n>%zu</td>", p->by_status[s]);
		fputs("</tr>\n", out);
	}
	fputs("</table>\n", out);
}

static void dns_section(const struct report *r, FILE *out)
{
	size_t i;

	if (!r->n_dns)
		return;
	fputs("<h2>DNS records</h2>\n<table><tr><th>Name</th><th>Type</th>"
	      "<th>Records</th><th>TTL</th><th>State</th>"
	      "<th>Planned change</th></tr>\n", out);
	for (i = 0; i < r->n_dns; i++) {
		const struct report_dns *d = &r->dns[i];

		fputs("<tr>", out);
		cell(out, d->name);
		cell(out, d->type);
		fputs("<td><pre>", out);
		esc(out, d->records ? d->records : "-");
		fputs("</pre></td>", out);
		num(out, d->ttl);
		cell(out, d->state);
		cell(out, d->planned);
		fputs("</tr>\n", out);
	}
	fputs("</table>\n", out);
}

void report_write_html(const struct report *r, FILE *out)
{
	char t[32], ts[32];
	size_t i;

	fputs("<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
	      "<title>Who lives where: ", out);
	esc(out, r->migration);
	fprintf(out, "</title><style>%s</style></head><body>\n", style);
	fputs("<h1>Who lives where: ", out);
	esc(out, r->migration);
	fprintf(out, "</h1>\n<p>Generated %s.%s</p>\n",
		timeutil_format_rfc3339(r->generated, t, sizeof t),
		r->from_state ? "" : " Nothing has run yet: users are where "
				     "the plan says they start.");
	fputs("<p>Lives on:", out);
	for (i = 0; i < r->n_backends; i++) {
		fputs(i ? ", " : " ", out);
		esc(out, r->backends[i].name);
		fprintf(out, " %zu", r->backends[i].n_users);
	}
	fprintf(out, " (of %zu users)</p>\n", r->n_users);
	phase_bars(r, out);
	dns_section(r, out);
	if (r->routing_path) {
		fputs("<h2>Routing rules in force</h2>\n<p><code>", out);
		esc(out, r->routing_path);
		if (r->routing) {
			fprintf(out, "</code>, version %lld, sha256 <code>",
				(long long)r->routing_version);
			esc(out, r->routing_sha256);
			fputs("</code></p>\n<pre>", out);
			esc(out, r->routing);
			fputs("</pre>\n", out);
		} else {
			fputs("</code>: not written by migrate yet.</p>\n", out);
		}
	}
	fputs("<h2>Users</h2>\n<table><tr><th>Address</th><th>Group</th>"
	      "<th>Lives on</th><th>Phase</th><th>State</th>"
	      "<th>Last sync</th><th>Source msgs</th><th>Source bytes</th>"
	      "<th>Dest. msgs</th><th>Dest. bytes</th><th>Last error</th>"
	      "</tr>\n", out);
	for (i = 0; i < r->n_users; i++) {
		const struct report_user *u = &r->users[i];

		fputs("<tr>", out);
		cell(out, u->address);
		cell(out, u->group);
		cell(out, u->backend);
		cell(out, u->in_plan ? u->phase : "(not in plan)");
		cell(out, state_user_status_name(u->status));
		cell(out, u->last_sync ? timeutil_format_rfc3339(u->last_sync,
								 ts, sizeof ts) :
					 "never");
		num(out, u->src_msgs);
		num(out, u->src_bytes);
		num(out, u->dst_msgs);
		num(out, u->dst_bytes);
		cell(out, u->last_error);
		fputs("</tr>\n", out);
	}
	fputs("</table>\n</body></html>\n", out);
}
