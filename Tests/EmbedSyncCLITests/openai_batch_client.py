"""Drives the fake provider's Batch API with the official `openai` SDK, as a user's own script would.

Usage: openai_batch_client.py BASE_URL API_KEY. Prints one JSON object: the batch's final status, the custom_ids of
the output and error files, and whether the SDK's list() found the batch.
"""
import io
import json
import sys

from openai import OpenAI

client = OpenAI(base_url=sys.argv[1], api_key=sys.argv[2], max_retries=0)
lines = [
    {"custom_id": f"r{i}", "method": "POST", "url": "/v1/embeddings",
     "body": {"model": "fake-embed", "input": [text], "encoding_format": "float", "dimensions": 16}}
    for i, text in enumerate(["alpha", "beta POISON", "gamma"], start=1)
]
data = "".join(json.dumps(line) + "\n" for line in lines).encode()
uploaded = client.files.create(file=("requests.jsonl", io.BytesIO(data)), purpose="batch")
batch = client.batches.create(input_file_id=uploaded.id, endpoint="/v1/embeddings", completion_window="24h")
seen = [batch.status]
while batch.status not in ("completed", "failed", "expired", "cancelled"):
    batch = client.batches.retrieve(batch.id)
    seen.append(batch.status)
listed = any(item.id == batch.id for item in client.batches.list(limit=10))


def custom_ids(file_id):
    if file_id is None:
        return []
    text = client.files.content(file_id).text
    return sorted(json.loads(line)["custom_id"] for line in text.splitlines() if line.strip())


output = client.files.content(batch.output_file_id).text.splitlines()
vector_length = len(json.loads(output[0])["response"]["body"]["data"][0]["embedding"])
print(json.dumps({
    "statuses": seen, "output": custom_ids(batch.output_file_id), "errors": custom_ids(batch.error_file_id),
    "listed": listed, "counts": [batch.request_counts.total, batch.request_counts.completed,
                                 batch.request_counts.failed], "vector_length": vector_length,
}))
