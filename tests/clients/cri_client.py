#!/usr/bin/python3
"""tests/clients/cri_client.py: a minimal CRI (Kubernetes Container Runtime
Interface) client for tests/clients/cri.sh, the role crictl or the kubelet
plays.

    cri_client.py --socket SOCK --descriptors FILE [--timeout SECS]
                  [--stream [--stdin TEXT]] METHOD [JSON]

calls METHOD (e.g. RunPodSandbox, of runtime.v1.RuntimeService or
runtime.v1.ImageService) over gRPC on the unix socket SOCK. The request is
JSON (the argument, or stdin when it is "-" or absent) in the proto3 JSON
mapping with the .proto field names; the response is printed as one line of
JSON the same way, with every field (defaults included) and the bytes fields
of the response (ExecSync's stdout and stderr) as text rather than base64.

FILE is a descriptor set that protoc made from tests/clients/cri/api.proto
(protoc --descriptor_set_out=FILE api.proto): the messages are built from it
at run time, so no generated code is kept anywhere.

With --stream (for Exec), the client then connects to the URL the runtime
returned, as kubectl exec does through the API server: a WebSocket with the
Kubernetes "v4.channel.k8s.io" subprotocol (each message is one channel byte,
0 stdin, 1 stdout, 2 stderr, 3 the final status, then the data). It prints
{"url", "stdout", "stderr", "status", "exit_code"}. With --stdin TEXT (for an
Exec that asked for stdin) TEXT is sent on stdin, which then stays open: with
a tty, containerd takes the end of stdin for a detach and closes the output.

Exit status: 0 on success; 1 when the call fails, with "rpc error: code = CODE
desc = MESSAGE" on stderr (MESSAGE is the server's, e.g. containerd's error),
or when the stream fails; 2 on a usage error.
"""

import argparse
import base64
import json
import os
import socket
import struct
import sys
import urllib.parse

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory

PACKAGE = "runtime.v1"
SERVICES = ("RuntimeService", "ImageService")


def message_class(desc):
    """The Python class of a message descriptor, whichever protobuf API this is."""
    get = getattr(message_factory, "GetMessageClass", None)
    if get is not None:
        return get(desc)
    return message_factory.MessageFactory(desc.file.pool).GetPrototype(desc)


def load_pool(path):
    with open(path, "rb") as f:
        fds = descriptor_pb2.FileDescriptorSet.FromString(f.read())
    pool = descriptor_pool.DescriptorPool()
    for fd in fds.file:
        pool.AddSerializedFile(fd.SerializeToString())
    return pool


def find_method(pool, name):
    for svc in SERVICES:
        sd = pool.FindServiceByName(PACKAGE + "." + svc)
        m = sd.methods_by_name.get(name)
        if m is not None:
            return "/%s.%s/%s" % (PACKAGE, svc, name), m
    return None, None


def to_json(msg):
    try:
        d = json_format.MessageToDict(msg, preserving_proto_field_name=True,
                                      including_default_value_fields=True)
    except TypeError:                       # protobuf >= 5.26 renamed it
        d = json_format.MessageToDict(msg, preserving_proto_field_name=True,
                                      always_print_fields_with_no_presence=True)
    # bytes are base64 in proto3 JSON: give the text of the top-level ones
    for field in msg.DESCRIPTOR.fields:
        if field.type == field.TYPE_BYTES and field.label != field.LABEL_REPEATED:
            d[field.name] = getattr(msg, field.name).decode("utf-8", "replace")
    return json.dumps(d, sort_keys=True)


# ---- the streaming server (Exec's URL) ------------------------------------------

WS_PROTOCOL = "v4.channel.k8s.io"


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError("connection closed in a frame")
        buf += chunk
    return buf


def ws_send(sock, opcode, payload):
    """One masked frame (a client must mask what it sends)."""
    head = bytes([0x80 | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", n)
    mask = os.urandom(4)
    sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))


def ws_messages(sock):
    """Yields (opcode, payload) of each complete message until the close frame."""
    opcode, data = None, b""
    while True:
        b0, b1 = recv_exact(sock, 2)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", recv_exact(sock, 2))[0]
        elif n == 127:
            n = struct.unpack("!Q", recv_exact(sock, 8))[0]
        mask = recv_exact(sock, 4) if b1 & 0x80 else None
        payload = recv_exact(sock, n)
        if mask:
            payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        op = b0 & 0x0F
        if op == 0x8:                       # close
            ws_send(sock, 0x8, payload[:2])
            return
        if op == 0x9:                       # ping
            ws_send(sock, 0xA, payload)
            continue
        if op == 0xA:                       # pong
            continue
        if op != 0x0:
            opcode, data = op, b""
        data += payload
        if b0 & 0x80:                       # FIN: the message is complete
            yield opcode, data


def stream(url, timeout, stdin_text=None):
    u = urllib.parse.urlsplit(url)
    if u.scheme != "http":
        raise ValueError("unsupported stream URL %r" % url)
    key = base64.b64encode(os.urandom(16)).decode()
    sock = socket.create_connection((u.hostname, u.port or 80), timeout=timeout)
    try:
        path = u.path + ("?" + u.query if u.query else "")
        sock.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
                      "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                      "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: %s\r\n"
                      "Origin: http://%s\r\n\r\n"
                      % (path, u.netloc, key, WS_PROTOCOL, u.netloc)).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = sock.recv(1)
            if not chunk:
                raise EOFError("connection closed in the handshake: %r" % head)
            head += chunk
        status_line = head.split(b"\r\n", 1)[0].decode("latin-1")
        if " 101 " not in status_line + " ":
            raise ConnectionError("no WebSocket upgrade: %s" % status_line)
        if stdin_text:
            ws_send(sock, 0x2, b"\x00" + stdin_text.encode())
        out = {1: b"", 2: b"", 3: b""}
        for _, data in ws_messages(sock):
            if data and data[0] in out:
                out[data[0]] += data[1:]
    finally:
        sock.close()
    status = out[3].decode("utf-8", "replace")
    # v4: a metav1.Status, "Success", or "Failure" with the exit code as the
    # message of the cause whose reason is "ExitCode"
    exit_code = None
    if status:
        st = json.loads(status)
        if st.get("status") == "Success":
            exit_code = 0
        for cause in st.get("details", {}).get("causes", []):
            if cause.get("reason") == "ExitCode":
                exit_code = int(cause.get("message"))
    return {"url": url, "stdout": out[1].decode("utf-8", "replace"),
            "stderr": out[2].decode("utf-8", "replace"), "status": status,
            "exit_code": exit_code}


def main():
    ap = argparse.ArgumentParser(description="call one CRI method")
    ap.add_argument("--socket", required=True, help="the CRI unix socket")
    ap.add_argument("--descriptors", required=True, help="descriptor set of api.proto")
    ap.add_argument("--timeout", type=float, default=60, help="deadline in seconds")
    ap.add_argument("--stream", action="store_true",
                    help="Exec: then run the stream at the URL it returns")
    ap.add_argument("--stdin", dest="stdin_text", metavar="TEXT",
                    help="with --stream: send TEXT on stdin")
    ap.add_argument("method")
    ap.add_argument("request", nargs="?", default="-")
    a = ap.parse_args()

    pool = load_pool(a.descriptors)
    path, md = find_method(pool, a.method)
    if md is None:
        print("cri_client: no method %s in %s" % (a.method, ", ".join(SERVICES)), file=sys.stderr)
        return 2
    req_cls = message_class(md.input_type)
    resp_cls = message_class(md.output_type)

    text = sys.stdin.read() if a.request == "-" else a.request
    req = req_cls()
    try:
        json_format.Parse(text.strip() or "{}", req)
    except json_format.ParseError as e:
        print("cri_client: bad %s request: %s" % (md.input_type.name, e), file=sys.stderr)
        return 2

    with grpc.insecure_channel("unix:" + a.socket) as ch:
        call = ch.unary_unary(path, request_serializer=req_cls.SerializeToString,
                              response_deserializer=resp_cls.FromString)
        try:
            resp = call(req, timeout=a.timeout)
        except grpc.RpcError as e:
            print("rpc error: code = %s desc = %s" % (e.code().name, e.details()), file=sys.stderr)
            return 1
    if not a.stream:
        print(to_json(resp))
        return 0
    try:
        print(json.dumps(stream(resp.url, a.timeout, a.stdin_text), sort_keys=True))
    except (OSError, EOFError, ValueError) as e:
        print("cri_client: stream %s: %s" % (resp.url, e), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
