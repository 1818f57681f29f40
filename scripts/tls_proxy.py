"""A TLS terminator for tests: serves TLS on 127.0.0.1 and relays each connection, as plain TCP, to an upstream.

Usage: tls_proxy.py CERT.pem KEY.pem UPSTREAM_HOST:PORT
Prints the port it listens on (chosen by the system), then serves until killed. Test support only: it puts a TLS
server with a test CA's certificate in front of the plain-HTTP sqld that scripts/sqld.sh runs.
"""

import asyncio
import signal
import ssl
import sys


async def relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, ssl.SSLError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


async def main() -> None:
    cert, key, upstream = sys.argv[1], sys.argv[2], sys.argv[3]
    host, port = upstream.rsplit(":", 1)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)

    async def handle(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(host, int(port))
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(relay(client_reader, upstream_writer), relay(upstream_reader, client_writer))

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=context)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    # A parent that blocked SIGTERM in its spawning thread (a test runner) must still be able to stop us.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    asyncio.run(main())
