/*
 * seed_corpus.h -- the tables behind build/tools/seed (included by seed.c
 * only): folders with their share of the messages, date ranges and flag
 * habits; the scales; words, people and subjects.  Changing anything here
 * changes every seeded corpus, so the bytes for a seed change too.
 */
#ifndef SEED_CORPUS_H
#define SEED_CORPUS_H

#include <stddef.h>

enum folder_kind { FK_NORMAL, FK_SENT, FK_DRAFTS, FK_TRASH, FK_JUNK, FK_PROJECT };

struct folder_def {
	const char *name;	/* IMAP name, UTF-8, "/" separated */
	unsigned weight;	/* share of the messages; 0: stays empty */
	int year_from, month_from, year_to, month_to;
	enum folder_kind kind;
};

static const struct folder_def folder_defs[] = {
	{ "INBOX", 30, 2009, 1, 2026, 10, FK_NORMAL },
	{ "Sent", 13, 2009, 1, 2026, 10, FK_SENT },
	{ "Drafts", 2, 2024, 1, 2026, 10, FK_DRAFTS },
	{ "Trash", 5, 2020, 1, 2026, 10, FK_TRASH },
	{ "Junk", 4, 2025, 1, 2026, 10, FK_JUNK },
	{ "Archive", 3, 2009, 1, 2018, 12, FK_NORMAL },
	{ "Archive/2019", 4, 2019, 1, 2019, 12, FK_NORMAL },
	{ "Archive/2019/Q1", 6, 2019, 1, 2019, 3, FK_NORMAL },
	{ "Archive/2019/Q2", 6, 2019, 4, 2019, 6, FK_NORMAL },
	{ "Archive/2020", 6, 2020, 1, 2020, 12, FK_NORMAL },
	{ "Entw\xc3\xbcrfe", 2, 2023, 1, 2026, 10, FK_DRAFTS },
	{ "R\xc3\xa9unions", 4, 2015, 1, 2026, 10, FK_NORMAL },
	{ "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 4, 2012, 1, 2026, 10, FK_NORMAL },
	{ "Projects", 0, 2021, 1, 2026, 10, FK_PROJECT },
	{ "Projects/Project-X", 5, 2021, 1, 2026, 10, FK_PROJECT },
	{ "Lists/dev & ops", 6, 2016, 1, 2026, 10, FK_NORMAL },
};
#define NFOLDERS (sizeof(folder_defs) / sizeof(folder_defs[0]))

struct scale_def {
	const char *name;
	unsigned messages;	/* before duplicates */
	size_t mid_max;		/* most attachments are below this */
	size_t attach_max;	/* the rare big attachment */
	size_t big;		/* the one largest message */
};

static const struct scale_def scales[] = {
	{ "small", 240, 48 * 1024, 160 * 1024, 1024 * 1024 },
	{ "demo", 1200, 160 * 1024, 1024 * 1024, 4 * 1024 * 1024 },
	{ "full", 5000, 256 * 1024, 2 * 1024 * 1024, 10 * 1024 * 1024 },
};

static const char *const words[] = {
	"the", "quarterly", "report", "meeting", "budget", "server", "mailbox",
	"migration", "please", "review", "attached", "draft", "schedule",
	"customer", "invoice", "project", "deadline", "update", "thanks",
	"regards", "tomorrow", "agenda", "network", "backup", "contract",
	"office", "travel", "approval", "figures", "summary", "team", "and",
	"of", "to", "for", "with", "on", "in", "we", "will", "should", "is",
	"Besprechung", "Rechnung", "Grüße", "Termin", "réunion", "équipe",
	"budgété", "naïve", "café", "déjà", "Übersicht", "größer",
};

static const char *const people[] = {
	"Alice Example <alice@corp.example>",
	"Bob Builder <bob@corp.example>",
	"\"Carol, IT\" <carol@corp.example>",
	"dave@corp.example",
	"J\xc3\xbcrgen M\xc3\xbcller <j.mueller@partner.example>",
	"=?UTF-8?Q?Ren=C3=A9e_Dupont?= <renee.dupont@client.example>",
	"\xe5\xb1\xb1\xe7\x94\xb0\xe5\xa4\xaa\xe9\x83\x8e <yamada@tokyo.example>",
	"Support Desk <support@vendor.example>",
	"newsletter@lists.example",
	"Erin Ops <erin@corp.example>",
};

static const char *const subjects_ascii[] = {
	"Quarterly report", "Re: Budget 2020", "Meeting tomorrow",
	"Fwd: Contract draft", "Server maintenance window", "Invoice 4711",
	"Lunch?", "Re: Re: Project X kickoff", "Backup failed on host db2",
	"[dev-ops] weekly digest",
};

static const char *const subjects_utf8[] = {
	"Gr\xc3\xbc\xc3\x9f\x65 aus M\xc3\xbcnchen",
	"R\xc3\xa9union d'\xc3\xa9quipe \xe2\x80\x93 ordre du jour",
	"\xe4\xbc\x9a\xe8\xad\xb0\xe3\x81\xae\xe3\x81\x8a\xe7\x9f\xa5\xe3\x82\x89\xe3\x81\x9b",
	"\xc3\x9c\x62\x65rsicht Q1 \xe2\x82\xac",
};

static const int tz_offsets[] = { 0, 100, 200, -500, 900, 530, -800 };

#endif
