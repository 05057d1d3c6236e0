// The official OpenAI client against the gateway: a plain and a streamed chat,
// an upstream error raised as APIError, embeddings and the model list.
// usage: node chat.mjs BASE_URL   (BASE_URL like http://127.0.0.1:8080/v1)
import OpenAI from 'openai';
import assert from 'node:assert/strict';

const client = new OpenAI({ baseURL: process.argv[2], apiKey: 'test-key', maxRetries: 0, timeout: 10000 });

const plain = await client.chat.completions.create({
  model: 'echo', messages: [{ role: 'user', content: 'hello from the openai client' }],
});
assert.equal(plain.choices[0].message.content, 'hello from the openai client');
assert.ok(plain.usage.total_tokens > 0);

const stream = await client.chat.completions.create({
  model: 'echo', stream: true, stream_options: { include_usage: true },
  messages: [{ role: 'user', content: 'streamed words arrive one by one' }],
});
let text = '', chunks = 0, usage = null;
for await (const chunk of stream) {
  chunks++;
  if (chunk.choices.length > 0) text += chunk.choices[0].delta.content ?? '';
  if (chunk.usage) usage = chunk.usage;
}
assert.equal(text, 'streamed words arrive one by one');
assert.ok(chunks >= 5, `only ${chunks} chunks`);
assert.ok(usage && usage.completion_tokens === 6);

await assert.rejects(
  client.chat.completions.create({ model: 'echo-status-429', messages: [{ role: 'user', content: 'x' }] }),
  (e) => e instanceof OpenAI.APIError && e.status === 429 && e.code === 'echo_status_429');

const emb = await client.embeddings.create({ model: 'echo', input: 'abc' });
assert.equal(emb.data[0].embedding.length, 16);
const models = await client.models.list();
assert.equal(models.data[0].id, 'echo');
console.log('openai client: plain, streamed, error, embeddings and models ok');
