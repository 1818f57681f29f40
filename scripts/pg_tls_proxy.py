"""A TLS front for a PostgreSQL server built without TLS (pgserver's build has none), for EmbedSync's TLS tests.

Usage: python scripts/pg_tls_proxy.py --upstream-port PORT --cert server.crt --key server.key

Listens on 127.0.0.1 on a free port, printed as the first line of stdout, and speaks PostgreSQL's opening as a server
with `hostssl` only would: a client's SSLRequest is answered 'S' and the connection becomes TLS (OpenSSL through
Python's ssl module), then every byte is relayed to the upstream server in plain text. A GSSENCRequest is answered
'N'. A client that starts without TLS (sslmode=disable) gets the FATAL error PostgreSQL sends for `hostnossl ...
reject` ("... no encryption") and is closed. Runs until killed.
"""
import argparse
import socket
import ssl
import struct
import sys
import threading

SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104


def read_exactly(sock, count):
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def refuse_plain(sock, length):
    """Answers a plain-text startup message as a server that requires TLS does, then closes."""
    body = read_exactly(sock, length - 8)  # after the length and the protocol version
    parts = body.split(b"\0")
    params = dict(zip(parts[0::2], parts[1::2]))
    user = params.get(b"user", b"").decode(errors="replace")
    database = params.get(b"database", b"").decode(errors="replace") or user
    message = (f'pg_hba.conf rejects connection for host "127.0.0.1", user "{user}", database "{database}", '
               "no encryption")
    fields = b"".join(code + value.encode() + b"\0" for code, value in
                      ((b"S", "FATAL"), (b"V", "FATAL"), (b"C", "28000"), (b"M", message))) + b"\0"
    sock.sendall(b"E" + struct.pack("!I", len(fields) + 4) + fields)
    sock.close()


def relay(source, target):
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            target.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (source, target):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def serve(client, context, upstream_port):
    try:
        while True:
            length, code = struct.unpack("!II", read_exactly(client, 8))
            if length == 8 and code == GSSENC_REQUEST:
                client.sendall(b"N")
                continue
            if length == 8 and code == SSL_REQUEST:
                client.sendall(b"S")
                break
            refuse_plain(client, length)
            return
        secure = context.wrap_socket(client, server_side=True)
        upstream = socket.create_connection(("127.0.0.1", upstream_port))
        threading.Thread(target=relay, args=(upstream, secure), daemon=True).start()
        relay(secure, upstream)
    except (ConnectionError, OSError, ssl.SSLError):
        client.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--upstream-port", type=int, required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    args = parser.parse_args()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    print(listener.getsockname()[1], flush=True)
    while True:
        client, _ = listener.accept()
        threading.Thread(target=serve, args=(client, context, args.upstream_port), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
