"""Drives a live `embedsync serve` with the official `openai` Python SDK, as an application would.

Usage: python openai_sdk_check.py BASE_URL MODEL TEXT...
Prints one JSON object: the SDK's decoded vectors with its default encoding (base64) and with "float", the usage, and
the exception class names the SDK raised for an unknown model, an empty input and token-id input.
"""
import json
import sys

import openai

base_url, model, texts = sys.argv[1], sys.argv[2], sys.argv[3:]
client = openai.OpenAI(base_url=base_url, api_key="EMPTY", max_retries=0, timeout=120)

listed = [m.id for m in client.models.list()]
default = client.embeddings.create(model=model, input=texts)
floats = client.embeddings.create(model=model, input=texts, encoding_format="float")


def failure(**kwargs):
    try:
        client.embeddings.create(**kwargs)
    except openai.APIStatusError as error:
        body = error.body if isinstance(error.body, dict) else {}
        return {"class": type(error).__name__, "status": error.status_code, "code": body.get("code")}
    return {"class": None}


print(json.dumps({
    "models": listed,
    "model": default.model,
    "base64": [list(map(float, item.embedding)) for item in default.data],
    "float": [list(map(float, item.embedding)) for item in floats.data],
    "usage": {"prompt_tokens": default.usage.prompt_tokens, "total_tokens": default.usage.total_tokens},
    "errors": {
        "unknown_model": failure(model="no-such-model", input="x"),
        "empty_input": failure(model=model, input=""),
        "token_ids": failure(model=model, input=[[57668, 53901]]),
    },
}))
