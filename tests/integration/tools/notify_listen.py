#!/usr/bin/env python3
"""notify_listen.py SOCKET OUT: a stand-in for systemd's notify socket.

Binds a datagram socket at SOCKET and appends every message to OUT, one line
per message (its newlines shown as '|'). A BARRIER=1 message comes with a
pipe: closing it is the answer, as systemd gives it. Runs until killed.
"""
import array
import os
import socket
import sys

path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
with open(out, "a") as f:
    f.write("listening\n")
while True:
    fds = array.array("i")
    msg, anc, _flags, _addr = s.recvmsg(4096, socket.CMSG_SPACE(16 * fds.itemsize))
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
    for fd in fds:
        os.close(fd)
    with open(out, "a") as f:
        f.write(msg.decode(errors="replace").rstrip("\n").replace("\n", "|") + "\n")
