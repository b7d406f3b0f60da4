#!/usr/bin/python3
# mailflow.py PORT LOG USER... -- send a message every ~50 ms to a random
# user through the gateway's SMTP port until SIGTERM, one SMTP session
# per message.  Each accepted message is logged as "ID USER" in LOG
# (flushed at once), so the test can look for every one of them.
import random, signal, smtplib, sys, time

port, log, users = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
stop = False

def on_term(sig, frame):
    global stop
    stop = True

signal.signal(signal.SIGTERM, on_term)
rnd = random.Random(4711)
n = 0
with open(log, 'a') as out:
    while not stop:
        n += 1
        rcpt = rnd.choice(users)
        mid = 'flow-%06d' % n
        msg = ('From: flow@sender.example\r\nTo: %s\r\nSubject: %s\r\n'
               'Message-ID: <%s@sender.example>\r\n\r\nflow %d\r\n'
               % (rcpt, mid, mid, n))
        try:
            s = smtplib.SMTP('127.0.0.1', port, timeout=10)
            s.sendmail('flow@sender.example', [rcpt], msg)
            s.quit()
            out.write('%s %s\n' % (mid, rcpt))
            out.flush()
        except Exception as e:
            sys.stderr.write('mailflow: %s: %s\n' % (mid, e))
        time.sleep(0.05)
