// The official MCP TypeScript SDK client against a veritee MCP endpoint:
// initialize, list tools, call each tool, and the error cases.
// Usage: node client.mjs MCP_URL CHECKS_JSON
//   CHECKS_JSON: [{"tool": NAME, "args": {...}, "error": bool, "expect": "substring of the text"}]
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { readFileSync } from 'node:fs';

const [url, checksFile, token] = process.argv.slice(2);
const checks = JSON.parse(readFileSync(checksFile, 'utf8'));
const problems = [];
const fail = (m) => { problems.push(m); console.log('FAIL: ' + m); };

const opts = token ? { requestInit: { headers: { Authorization: 'Bearer ' + token } } } : {};
const client = new Client({ name: 'veritee-test', version: '1.0.0' });
await client.connect(new StreamableHTTPClientTransport(new URL(url), opts));
const info = client.getServerVersion();
console.log('server', info.name, info.version);
const { tools } = await client.listTools();
const names = tools.map((t) => t.name).sort();
console.log('tools', names.join(' '));
for (const c of checks) {
  if (!names.includes(c.tool)) { fail('tool ' + c.tool + ' not listed'); continue; }
  const t = tools.find((x) => x.name === c.tool);
  if (!t.inputSchema || t.inputSchema.type !== 'object') fail(c.tool + ': no object input schema');
  const r = await client.callTool({ name: c.tool, arguments: c.args });
  const text = (r.content || []).map((x) => x.text).join('');
  if (Boolean(r.isError) !== Boolean(c.error)) fail(`${c.tool}: isError ${r.isError}, wanted ${Boolean(c.error)}: ${text}`);
  else if (c.expect && !text.includes(c.expect)) fail(`${c.tool}: answer lacks ${c.expect}: ${text.slice(0, 300)}`);
  else if (!c.error && (typeof r.structuredContent !== 'object')) fail(`${c.tool}: no structuredContent`);
  else console.log('ok', c.tool, c.error ? '(refused as expected)' : '');
}
// An unknown tool is a protocol error the SDK raises.
try {
  await client.callTool({ name: 'no_such_tool', arguments: {} });
  fail('an unknown tool was accepted');
} catch (e) { console.log('ok unknown tool refused:', e.message); }
await client.ping();
await client.close();
if (problems.length === 0) console.log('all checks passed');
process.exit(problems.length === 0 ? 0 : 1);
