"""Searches a database EmbedSync wrote with libSQL's own engine (PyPI `libsql`).

Usage: libsql_search.py DB TABLE K VECTOR_JSON  -> prints [[id, score], ...] best first, score = 1 - vector_distance_cos.
DB is a file, or a server's http:// URL (the token is read from LIBSQL_AUTH_TOKEN).
"""
import json
import os
import sys

import libsql

db, table, k, vector = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
if db.startswith(("http://", "https://", "libsql://")):
    connection = libsql.connect(database=db, auth_token=os.environ.get("LIBSQL_AUTH_TOKEN", ""))
else:
    connection = libsql.connect(db)
rows = connection.execute(
    f'SELECT id, 1 - vector_distance_cos(embedding, vector32(?)) AS score FROM "{table}" ORDER BY score DESC, id LIMIT ?',
    (vector, k),
).fetchall()
print(json.dumps([[row[0], row[1]] for row in rows]))
