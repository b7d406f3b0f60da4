#!/usr/bin/python3
"""byeproxy.py LISTEN_PORT SERVER_PORT PIDFILE [SECONDS]

A TCP proxy on 127.0.0.1 in front of an IMAP server that plays a busy
server once: on the first session, when the client asks for message
bodies (a UID FETCH with BODY.PEEK[]), it answers

    * BYE [UNAVAILABLE] Server busy. Suggested Backoff Time: SECONDS seconds

instead of forwarding the command, and closes the session.  Every other
byte, and every later session, passes through unchanged.  Test tool of
t_sync_fail.bats (server back-off); runs until killed.
"""
import os
import socket
import sys
import threading

listen_port, server_port, pidfile = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
secs = sys.argv[4] if len(sys.argv) > 4 else "2"
state = {"sessions": 0}
lock = threading.Lock()


def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def client_side(client, server, busy):
    buf = b""
    try:
        while True:
            data = client.recv(65536)
            if not data:
                break
            if busy:
                buf += data
                line_end = buf.rfind(b"\r\n")
                if b"UID FETCH" in buf.upper() and b"BODY.PEEK[]" in buf.upper():
                    msg = ("* BYE [UNAVAILABLE] Server busy. Suggested "
                           "Backoff Time: %s seconds\r\n" % secs)
                    client.sendall(msg.encode())
                    break
                if line_end >= 0:
                    buf = buf[line_end + 2:]
            server.sendall(data)
    except OSError:
        pass
    for s in (client, server):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def serve(client):
    with lock:
        state["sessions"] += 1
        busy = state["sessions"] == 1
    server = socket.create_connection(("127.0.0.1", server_port))
    threading.Thread(target=pump, args=(server, client), daemon=True).start()
    client_side(client, server, busy)


ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", listen_port))
ls.listen(16)
with open(pidfile, "w") as f:
    f.write("%d\n" % os.getpid())
while True:
    c, _ = ls.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
