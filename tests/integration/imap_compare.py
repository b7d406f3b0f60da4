#!/usr/bin/python3
# imap_compare.py -- an independent oracle for the sync tests: compare a
# user's mailbox on two IMAP servers, folder by folder, as multisets of
# (SHA-256 of BODY[], flags, INTERNALDATE).  Plain IMAP on 127.0.0.1.
#
#   imap_compare.py SRC_PORT DST_PORT USER PASSWORD [SRC=DST ...]
#
# SRC=DST maps a source folder to a differently named destination folder
# (names in UTF-8 with the server's own delimiter; modified UTF-7 is
# handled here; a mapped name is taken as is).  Options: --no-flags
# (bodies and dates only), --dst-prefix P, --dst-sep C,
# --exclude NAME, --dst-user USER --dst-password PW.
# Prints every difference and "same: N messages in M folders"; exit 0
# when both sides agree, 1 otherwise, 2 on errors.
import hashlib, imaplib, re, sys, base64

def mutf7_decode(s):
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c == '&':
            j = s.index('-', i)
            if j == i + 1:
                out.append('&')
            else:
                b = s[i + 1:j].replace(',', '/')
                b += '=' * (-len(b) % 4)
                out.append(base64.b64decode(b).decode('utf-16-be'))
            i = j + 1
        else:
            out.append(c)
            i += 1
    return ''.join(out)

def mutf7_encode(s):
    out, run = [], []
    def flush():
        if run:
            b = base64.b64encode(''.join(run).encode('utf-16-be')).decode()
            out.append('&' + b.rstrip('=').replace('/', ',') + '-')
            run.clear()
    for ch in s:
        if 0x20 <= ord(ch) <= 0x7e:
            flush()
            out.append('&-' if ch == '&' else ch)
        else:
            run.append(ch)
    flush()
    return ''.join(out)

LIST_RE = re.compile(rb'\((?P<flags>[^)]*)\) (?P<sep>"[^"]*"|NIL) (?P<name>.*)$')

def folders(m):
    typ, data = m.list('""', '*')
    out = {}
    for line in data:
        if isinstance(line, tuple):
            line = line[0] + b'"' + line[1] + b'"'
        mo = LIST_RE.match(line)
        flags = mo.group('flags').decode()
        name = mo.group('name').decode()
        if name.startswith('"'):
            name = name[1:-1].replace('\\"', '"').replace('\\\\', '\\')
        out[mutf7_decode(name)] = ('\\Noselect' in flags or '\\NonExistent' in flags, name)
    return out

def messages(m, raw):
    typ, _ = m.select('"%s"' % raw.replace('\\', '\\\\').replace('"', '\\"'), readonly=True)
    if typ != 'OK':
        raise SystemExit('cannot select %r' % raw)
    typ, data = m.uid('FETCH', '1:*', '(FLAGS INTERNALDATE BODY.PEEK[])')
    res = []
    for item in data:
        if not isinstance(item, tuple):
            continue
        meta, body = item
        flags = re.search(rb'FLAGS \(([^)]*)\)', meta).group(1).decode().split()
        flags = ' '.join(sorted(f for f in flags if f != '\\Recent'))
        date = re.search(rb'INTERNALDATE "([^"]*)"', meta).group(1).decode()
        d = imaplib.Internaldate2tuple(b'INTERNALDATE "' + date.encode() + b'"')
        res.append((hashlib.sha256(body).hexdigest(), flags, tuple(d)[:6], len(body)))
    return res

def main(argv):
    args, maps, excl = [], {}, set()
    noflags, du, dp, dsep, dpre = False, None, None, None, ''
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == '--no-flags': noflags = True
        elif a == '--exclude': excl.add(argv[i + 1]); i += 1
        elif a == '--dst-user': du = argv[i + 1]; i += 1
        elif a == '--dst-password': dp = argv[i + 1]; i += 1
        elif a == '--dst-sep': dsep = argv[i + 1]; i += 1
        elif a == '--dst-prefix': dpre = argv[i + 1]; i += 1
        elif '=' in a and len(args) >= 4: s, d = a.split('=', 1); maps[s] = d
        else: args.append(a)
        i += 1
    sp, dport, user, pw = args
    src = imaplib.IMAP4('127.0.0.1', int(sp)); src.login(user, pw)
    dst = imaplib.IMAP4('127.0.0.1', int(dport)); dst.login(du or user, dp or pw)
    sf, df = folders(src), folders(dst)
    bad, total, nf = 0, 0, 0
    for name, (nosel, raw) in sorted(sf.items()):
        if nosel or name in excl:
            continue
        target = maps.get(name, name)
        if target != 'INBOX' and name not in maps:
            target = dpre + (target.replace('/', dsep) if dsep else target)
        if target not in df:
            print('missing folder: %s -> %s' % (name, target)); bad += 1; continue
        a = messages(src, raw)
        b = messages(dst, df[target][1])
        if noflags:
            a = [(h, '', d, n) for h, f, d, n in a]
            b = [(h, '', d, n) for h, f, d, n in b]
        a.sort(); b.sort()
        nf += 1
        total += len(a)
        if a != b:
            bad += 1
            sa, sb = list(a), list(b)
            for x in a:
                if x in sb: sb.remove(x); sa.remove(x)
            for x in sa: print('%s: only on the source: %s' % (name, x))
            for x in sb: print('%s -> %s: only on the destination: %s' % (name, target, x))
    print('same: %d messages in %d folders' % (total, nf) if not bad else '%d folders differ' % bad)
    return 1 if bad else 0

if __name__ == '__main__':
    try:
        sys.exit(main(sys.argv[1:]))
    except SystemExit:
        raise
    except Exception as e:
        print('imap_compare: %s' % e, file=sys.stderr)
        sys.exit(2)
