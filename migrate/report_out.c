/*
 * report_out.c -- render a struct report as a terminal table, CSV, JSON or
 * Markdown.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migrate/report.h"
#include "migrate/table.h"
#include "util/json.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

static const char *count_str(int64_t v, char *buf, size_t size)
{
	if (v < 0)
		return "-";
	snprintf(buf, size, "%" PRId64, v);
	return buf;
}

/* 1536 -> "1.5 KiB" (terminal and Markdown); raw numbers elsewhere. */
static const char *bytes_str(int64_t v, char *buf, size_t size)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double d = (double)v;
	int u = 0;

	if (v < 0)
		return "-";
	while (d >= 1024 && u < 4) {
		d /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, size, "%" PRId64 " B", v);
	else
		snprintf(buf, size, "%.1f %s", d, unit[u]);
	return buf;
}

static const char *time_str(time_t t, char *buf, size_t size)
{
	if (!t)
		return "-";
	return timeutil_format_rfc3339(t, buf, size);
}

static void users_table(const struct report *r, bool human,
			enum table_style style, FILE *out, bool bold)
{
	static const char *const human_h[] = {
		"ADDRESS", "GROUP", "LIVES ON", "PHASE", "STATE", "LAST SYNC",
		">SRC MSGS", ">SRC SIZE", ">DST MSGS", ">DST SIZE", "LAST ERROR",
	};
	static const char *const csv_h[] = {
		"address", "group", "backend", "phase", "state", "last_sync",
		"src_msgs", "src_bytes", "dst_msgs", "dst_bytes", "last_error",
	};
	struct table *t = table_new(11, human ? human_h : csv_h);
	char b[5][48];
	size_t i;

	for (i = 0; i < r->n_users; i++) {
		const struct report_user *u = &r->users[i];
		const char *cells[11] = {
			u->address,
			u->group ? u->group : (human ? "-" : ""),
			u->backend,
			u->phase ? u->phase : (human ? "-" : ""),
			state_user_status_name(u->status),
			u->last_sync ? time_str(u->last_sync, b[0], 48) :
				       (human ? "never" : ""),
			count_str(u->src_msgs, b[1], 48),
			human ? bytes_str(u->src_bytes, b[2], 48) :
				count_str(u->src_bytes, b[2], 48),
			count_str(u->dst_msgs, b[3], 48),
			human ? bytes_str(u->dst_bytes, b[4], 48) :
				count_str(u->dst_bytes, b[4], 48),
			u->last_error ? u->last_error : "",
		};
		if (!human) {	/* CSV: empty for unknown, not "-" */
			size_t c;

			for (c = 6; c < 10; c++)
				if (!strcmp(cells[c], "-"))
					cells[c] = "";
		}
		if (!u->in_plan && human)
			cells[3] = "(not in plan)";
		table_add(t, cells);
	}
	table_print(t, style, out, bold);
	table_free(t);
}

static void phases_table(const struct report *r, enum table_style style,
			 FILE *out, bool bold)
{
	static const char *const h[] = {
		"PHASE", "FROM", "TO", ">USERS", ">PENDING", ">PRESTAGED",
		">CUT OVER", ">VERIFIED", ">FAILED", ">ROLLED BACK",
	};
	struct table *t = table_new(10, h);
	char b[7][24];
	size_t i, s;

	for (i = 0; i < r->n_phases; i++) {
		const struct report_phase *p = &r->phases[i];
		const char *cells[10] = { p->name, p->from, p->to };

		snprintf(b[0], 24, "%zu", p->n_users);
		cells[3] = b[0];
		for (s = 0; s < REPORT_N_STATUS; s++) {
			snprintf(b[s + 1], 24, "%zu", p->by_status[s]);
			cells[4 + s] = b[s + 1];
		}
		table_add(t, cells);
	}
	table_print(t, style, out, bold);
	table_free(t);
}

static void backends_line(const struct report *r, FILE *out)
{
	size_t i;

	fprintf(out, "lives on:");
	for (i = 0; i < r->n_backends; i++)
		fprintf(out, "%s %s %zu", i ? "," : "", r->backends[i].name,
			r->backends[i].n_users);
	fprintf(out, " (of %zu users)\n", r->n_users);
}

static void write_json(const struct report *r, FILE *out)
{
	struct json *root = json_object_new();
	struct json *users = json_array_new(), *phases = json_array_new();
	char t[32];
	size_t i, s;

	json_set_str(root, "migration", r->migration);
	json_set_str(root, "generated", time_str(r->generated, t, sizeof t));
	json_set_bool(root, "started", r->from_state);
	for (i = 0; i < r->n_users; i++) {
		const struct report_user *u = &r->users[i];
		struct json *o = json_object_new();

		json_set_str(o, "address", u->address);
		json_set_str(o, "group", u->group);
		json_set_str(o, "backend", u->backend);
		json_set_str(o, "phase", u->phase);
		json_set_str(o, "state", state_user_status_name(u->status));
		json_set_str(o, "last_sync",
			     u->last_sync ? time_str(u->last_sync, t, sizeof t) :
					    NULL);
#define NUM(k, v) do { if ((v) >= 0) json_set_int(o, k, v); \
		       else json_set_str(o, k, NULL); } while (0)
		NUM("src_msgs", u->src_msgs);
		NUM("src_bytes", u->src_bytes);
		NUM("dst_msgs", u->dst_msgs);
		NUM("dst_bytes", u->dst_bytes);
#undef NUM
		json_set_str(o, "last_error", u->last_error);
		json_set_bool(o, "in_plan", u->in_plan);
		json_append(users, o);
	}
	for (i = 0; i < r->n_phases; i++) {
		const struct report_phase *p = &r->phases[i];
		struct json *o = json_object_new(), *by = json_object_new();

		json_set_str(o, "name", p->name);
		json_set_str(o, "from", p->from);
		json_set_str(o, "to", p->to);
		json_set_int(o, "users", (long long)p->n_users);
		for (s = 0; s < REPORT_N_STATUS; s++)
			json_set_int(by, state_user_status_name(
						 (enum state_user_status)s),
				     (long long)p->by_status[s]);
		json_set(o, "by_state", by);
		json_append(phases, o);
	}
	json_set(root, "phases", phases);
	json_set(root, "users", users);
	{
		struct json *b = json_object_new();

		for (i = 0; i < r->n_backends; i++)
			json_set_int(b, r->backends[i].name,
				     (long long)r->backends[i].n_users);
		json_set(root, "lives_on", b);
	}
	{
		char *s2 = json_dump(root, true);

		fprintf(out, "%s\n", s2);
		free(s2);
	}
	json_free(root);
}

static void runbook_markdown(const struct report *r, FILE *out)
{
	static const char *const h[] = { "NAME", "TYPE", "RECORDS", ">TTL",
					  "STATE", "PLANNED CHANGE" };
	char ttl[24];
	size_t i;

	if (r->n_dns) {
		struct table *t = table_new(6, h);

		fprintf(out, "\n## DNS records\n\n");
		for (i = 0; i < r->n_dns; i++) {
			const struct report_dns *d = &r->dns[i];
			char *recs = xstrdup(d->records ? d->records : "-");
			char *nl;
			const char *cells[6];

			while ((nl = strchr(recs, '\n')))
				*nl = ';';
			snprintf(ttl, sizeof ttl, "%ld", d->ttl);
			cells[0] = d->name;
			cells[1] = d->type;
			cells[2] = recs;
			cells[3] = d->ttl >= 0 ? ttl : "-";
			cells[4] = d->state;
			cells[5] = d->planned ? d->planned : "-";
			table_add(t, cells);
			free(recs);
		}
		table_print(t, TABLE_MARKDOWN, out, false);
		table_free(t);
	}
	if (r->routing_path) {
		fprintf(out, "\n## Routing rules in force\n\n");
		if (r->routing) {
			fprintf(out, "`%s`, version %lld, sha256 `%s`:\n\n"
				"```\n%s%s```\n", r->routing_path,
				(long long)r->routing_version,
				r->routing_sha256, r->routing,
				r->routing[0] &&
				r->routing[strlen(r->routing) - 1] != '\n' ?
					"\n" : "");
		} else {
			fprintf(out, "`%s`: migrate has not written it yet; "
				"mail follows the site's own routing.\n",
				r->routing_path);
		}
	}
}

int report_write(const struct report *r, enum app_format fmt, FILE *out,
		 bool tty)
{
	char t[32];

	switch (fmt) {
	case FORMAT_CSV:
		users_table(r, false, TABLE_CSV, out, false);
		break;
	case FORMAT_JSON:
		write_json(r, out);
		break;
	case FORMAT_MARKDOWN:
		fprintf(out, "# Who lives where: %s\n\n", r->migration);
		fprintf(out, "Generated %s%s.\n\n",
			time_str(r->generated, t, sizeof t),
			r->from_state ? "" :
					" (nothing has run yet: users are "
					"where the plan says they start)");
		fprintf(out, "## Phases\n\n");
		phases_table(r, TABLE_MARKDOWN, out, false);
		runbook_markdown(r, out);
		fprintf(out, "\n## Users\n\n");
		users_table(r, true, TABLE_MARKDOWN, out, false);
		break;
	case FORMAT_HTML:
		report_write_html(r, out);
		break;
	case FORMAT_TABLE:
	default:
		if (!r->from_state)
			fprintf(out, "nothing has run yet: users are where "
				"the plan says they start\n\n");
		users_table(r, true, TABLE_TEXT, out, tty);
		fputc('\n', out);
		phases_table(r, TABLE_TEXT, out, tty);
		fputc('\n', out);
		backends_line(r, out);
		break;
	}
	return 0;
}
