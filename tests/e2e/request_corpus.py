#!/usr/bin/env python3
"""The request corpus of the differential test (test_gateway_request.sh).

Written from the OpenAI API reference (create chat completion, create
completion, create embeddings), independently of the gateway's own schema
table: every request puts a distinct marker address (marker.N@example.com) in
every string position of one accepted shape, so a field the gateway forwards
without auditing would carry its marker to the capturing upstream.  Shapes the
gateway must refuse (token IDs, unknown fields, media and audio output,
duplicate keys, trailing bytes) come last, each with a marker.

  request_corpus.py           one JSON line per request: {"path", "body" (text), "expect": "redact"|"refuse"}
"""
import json
import sys

N = [0]


def m():
    N[0] += 1
    return "marker.%d@example.com" % N[0]


def args(obj):
    return json.dumps(obj)


def chat_shapes():
    part_text = lambda: {"type": "text", "text": m()}
    yield {"model": "m", "messages": [
        {"role": "system", "content": m(), "name": m()},
        {"role": "system", "content": [part_text(), m()]},
        {"role": "developer", "content": m(), "name": m()},
        {"role": "developer", "content": [part_text()]},
        {"role": "user", "content": m(), "name": m()},
        {"role": "user", "content": [m(), part_text(), m()]},
    ]}
    yield {"model": "m", "messages": [
        {"role": "user", "content": "call it"},
        {"role": "assistant", "content": m(), "name": m(), "refusal": m(),
         "tool_calls": [
             {"id": m(), "type": "function", "function": {"name": m(), "arguments": args({"to": m(), m(): [m()]})}},
             {"id": m(), "type": "custom", "custom": {"name": m(), "input": m()}}],
         "function_call": {"name": m(), "arguments": args({"x": m()})},
         "audio": {"id": m()}},
        {"role": "assistant", "content": [part_text(), {"type": "refusal", "refusal": m()}]},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "not json " + m()}}]},
        {"role": "tool", "tool_call_id": m(), "content": m()},
        {"role": "tool", "tool_call_id": "call_1", "content": [part_text()]},
        {"role": "function", "name": m(), "content": m()},
    ]}
    # What a client copies back from a response message.
    yield {"model": "m", "messages": [
        {"role": "assistant", "content": m(), "refusal": None,
         "annotations": [{"type": "url_citation", "url_citation": {
             "start_index": 0, "end_index": 3, "title": m(), "url": "https://example.org/" + m()}}]}]}
    yield {"model": "m", "messages": [{"role": "user", "content": "x"}],
           "tools": [
               {"type": "function", "function": {"name": m(), "description": m(), "strict": True, "parameters": {
                   "type": "object", "description": m(),
                   "properties": {m(): {"type": "string", "description": m(), "enum": [m(), m()]},
                                  "n": {"type": "integer", "examples": [m()]}},
                   "required": [m()]}}},
               {"type": "custom", "custom": {"name": m(), "description": m(),
                                             "format": {"type": "grammar",
                                                        "grammar": {"syntax": "lark", "definition": m()}}}}],
           "tool_choice": {"type": "function", "function": {"name": m()}}}
    yield {"model": "m", "messages": [{"role": "user", "content": "x"}],
           "functions": [{"name": m(), "description": m(), "parameters": {"properties": {m(): {"title": m()}}}}],
           "function_call": {"name": m()}}
    yield {"model": "m", "messages": [{"role": "user", "content": "x"}],
           "tool_choice": {"type": "custom", "custom": {"name": m()}}}
    yield {"model": "m", "messages": [{"role": "user", "content": "x"}],
           "tool_choice": {"type": "allowed_tools", "allowed_tools": {"mode": "required", "tools": [
               {"type": "function", "function": {"name": m()}}]}}}
    yield {"model": "m", "messages": [{"role": "user", "content": "x"}],
           "response_format": {"type": "json_schema", "json_schema": {
               "name": m(), "description": m(), "strict": True,
               "schema": {"type": "object", "properties": {m(): {"const": m()}}, "$defs": {m(): {}}}}},
           "stop": [m(), m()], "user": m(), "metadata": {m(): m()},
           "prediction": {"type": "content", "content": m()},
           "prompt_cache_key": m(), "safety_identifier": m()}
    yield {"model": "m", "messages": [{"role": "user", "content": "x"}],
           "stop": m(), "prediction": {"type": "content", "content": [part_text()]},
           "audio": {"format": "wav", "voice": m()}, "modalities": ["text"],
           "web_search_options": {"search_context_size": "medium", "user_location": {
               "type": "approximate",
               "approximate": {"city": m(), "country": m(), "region": m(), "timezone": m()}}}}
    yield {"model": "m", "messages": [{"role": "user", "content": m()}],
           "audio": {"format": "mp3", "voice": {"id": m()}},
           "frequency_penalty": 0.5, "presence_penalty": -0.5, "logit_bias": {"50256": -100},
           "logprobs": True, "top_logprobs": 2, "max_tokens": 16, "max_completion_tokens": 16, "n": 1,
           "parallel_tool_calls": True, "reasoning_effort": "low", "response_format": {"type": "json_object"},
           "seed": 42, "service_tier": "auto", "store": False, "stream": False,
           "stream_options": None, "temperature": 0.2, "top_p": 0.9, "verbosity": "low"}


def completion_shapes():
    yield {"model": "m", "prompt": m(), "suffix": m(), "stop": [m()], "user": m(), "echo": False,
           "best_of": 1, "logprobs": 1, "max_tokens": 8, "logit_bias": {"1": 1}}
    yield {"model": "m", "prompt": [m(), m()], "stop": m()}


def embedding_shapes():
    yield {"model": "m", "input": m(), "user": m(), "encoding_format": "float", "dimensions": 4}
    yield {"model": "m", "input": [m(), m()], "encoding_format": "base64"}


def refused():
    """Shapes the gateway must refuse: nothing may reach the upstream."""
    yield "/v1/completions", json.dumps({"model": "m", "prompt": [[74, 2271], [1]]})
    yield "/v1/completions", json.dumps({"model": "m", "prompt": [74, 2271]})
    yield "/v1/embeddings", json.dumps({"model": "m", "input": [[5, 6]]})
    yield "/v1/chat/completions", json.dumps({"model": "m", "messages": [], "x_extra": m()})
    yield "/v1/chat/completions", json.dumps({"model": "m", "messages": [
        {"role": "user", "content": "x", "metadata": m()}]})
    yield "/v1/chat/completions", json.dumps({"model": "m", "messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "https://example.org/" + m()}}]}]})
    yield "/v1/chat/completions", json.dumps({"model": "m", "messages": [{"role": "user", "content": [
        {"type": "input_audio", "input_audio": {"data": m(), "format": "wav"}}]}]})
    yield "/v1/chat/completions", json.dumps({"model": "m", "modalities": ["text", "audio"],
                                              "audio": {"format": "wav", "voice": "alloy"},
                                              "messages": [{"role": "user", "content": m()}]})
    yield "/v1/chat/completions", '{"model":"m","messages":[{"role":"user","content":"a","content":"%s"}]}' % m()
    yield "/v1/chat/completions", '{"model":"m","messages":[{"role":"user","content":"a"}]} {"x":"%s"}' % m()
    yield "/v1/chat/completions", json.dumps({"model": m(), "messages": []})
    yield "/v1/completions", json.dumps({"model": "m", "prompt": "x", "messages": [{"role": "user", "content": m()}]})


def main():
    out = sys.stdout
    for path, gen in (("/v1/chat/completions", chat_shapes), ("/v1/completions", completion_shapes),
                      ("/v1/embeddings", embedding_shapes)):
        for body in gen():
            out.write(json.dumps({"path": path, "body": json.dumps(body), "expect": "redact"}) + "\n")
    for path, body in refused():
        out.write(json.dumps({"path": path, "body": body, "expect": "refuse"}) + "\n")


if __name__ == "__main__":
    main()
