// The explorer's HTTP server over a real (tiny) run folder: what it refuses (traversal, symlinks out,
// oversized bodies, missing tokens, foreign Host headers) and what it computes (live decoding in a
// worker, with the server answering while the worker is busy).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, type ExplorerServer } from '../../src/serve/index.js';
import { makeRunFolder } from './fixture.js';

interface Reply { status: number; type: string; body: Buffer; ms: number }

/** A raw request: the path goes on the wire exactly as given (fetch would normalise `..` and `%2e%2e`). */
function raw(base: string, path: string, o: { method?: string; headers?: Record<string, string>; body?: Buffer | string; chunked?: boolean } = {}): Promise<Reply> {
  const u = new URL(base);
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method: o.method ?? 'GET', headers: o.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, type: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks), ms: performance.now() - t0 }));
    });
    req.on('error', reject);
    if (o.chunked && o.body) {
      const b = Buffer.from(o.body);
      for (let i = 0; i < b.length; i += 8192) req.write(b.subarray(i, i + 8192));
      req.end();
    } else req.end(o.body);
  });
}

const json = { 'Content-Type': 'application/json' };
const decodeBody = (c: number, edits: unknown[] = []) => JSON.stringify({ case: c, edits });

let dir = '', tmp = '', runId = '';
let server: ExplorerServer;

before(async () => {
  ({ dir, tmp } = await makeRunFolder());
  symlinkSync(join(tmp, 'outside.png'), join(dir, 'figures', 'leak.png'));
  symlinkSync(tmp, join(dir, 'figures', 'up'));
  server = await startServer({ runs: [dir], threads: 1 });
  await server.ready;
  runId = server.runs[0]!.id;
});

after(async () => {
  await server?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('serves the UI, the run list and the run files', async () => {
  const index = await raw(server.url, '/');
  assert.equal(index.status, 200);
  assert.match(index.body.toString(), /latentlens explorer/);
  const runs = JSON.parse((await raw(server.url, '/api/runs')).body.toString());
  assert.equal(runs[0].id, runId);
  assert.deepEqual(runs[0].files.embed, ['pca']);
  const rank = await raw(server.url, `/api/${runId}/rank`);
  assert.equal(rank.status, 200);
  assert.equal(JSON.parse(rank.body.toString()).format, 'latentlens-rank');
  const thumb = await raw(server.url, `/api/${runId}/thumb/5.png?scale=2`);
  assert.equal(thumb.type, 'image/png');
  assert.equal(thumb.body.subarray(1, 4).toString(), 'PNG');
  const lat = JSON.parse((await raw(server.url, `/api/${runId}/latents/5`)).body.toString());
  assert.equal(lat.pooled.length, 4);
  assert.equal((await raw(server.url, `/api/${runId}/tcav`)).status, 404, 'an analysis not run is a 404');
});

test('path traversal, encoded dots, absolute paths and symlinks out of the run are refused', async () => {
  const attempts = [
    '/../package.json', '/web/../../package.json', '/%2e%2e/package.json', '/%2E%2E%2Fpackage.json', '/..%2f..%2fetc/passwd',
    `/api/${runId}/figures/../config.json`, `/api/${runId}/figures/%2e%2e/config.json`, `/api/${runId}/figures/%2fetc%2fpasswd`,
    `/api/${runId}/figures/..%5c..%5cconfig.json`, '/..\\package.json', `/api/${runId}/figures/%00.png`,
    `/api/${runId}/figures/leak.png`, `/api/${runId}/figures/up/outside.png`, '//etc/passwd', '/etc/passwd',
    `http://127.0.0.1/../package.json`, `/api/..%2f${runId}/config`, `/api/${runId}/embed/..%2fconfig`,
  ];
  for (const p of attempts) {
    const r = await raw(server.url, p);
    assert.ok(r.status === 403 || r.status === 404, `${p} answered ${r.status}`);
    assert.doesNotMatch(r.body.toString(), /secret outside|"name": ?"latentlens"|root:/, `${p} leaked a file`);
  }
  // Symlinks that stay inside the run folder are fine.
  symlinkSync(join(dir, 'figures', 'embed-pca.png'), join(dir, 'figures', 'alias.png'));
  assert.equal((await raw(server.url, `/api/${runId}/figures/alias.png`)).status, 200);
});

test('an oversized POST gets 413, by Content-Length or streamed', async () => {
  const big = JSON.stringify({ case: 0, edits: [], pad: 'x'.repeat(70 * 1024) });
  assert.equal((await raw(server.url, `/api/${runId}/decode`, { method: 'POST', headers: json, body: big })).status, 413);
  assert.equal((await raw(server.url, `/api/${runId}/decode`, { method: 'POST', headers: { ...json, 'Transfer-Encoding': 'chunked' }, body: big, chunked: true })).status, 413);
  assert.equal((await raw(server.url, `/api/${runId}/decode`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: decodeBody(0) })).status, 415);
  assert.equal((await raw(server.url, `/api/${runId}/decode`, { method: 'POST', headers: json, body: '{nope' })).status, 400);
  assert.equal((await raw(server.url, `/api/${runId}/decode`, { method: 'POST', headers: json, body: decodeBody(0, [{ map: 99, delta: 1 }]) })).status, 400);
  assert.equal((await raw(server.url, `/api/${runId}/decode`, { method: 'POST', headers: json, body: decodeBody(1e6) })).status, 400);
  assert.equal((await raw(server.url, `/api/${runId}/decode`, { method: 'DELETE' })).status, 405);
});

test('a foreign Host header is refused on loopback (DNS rebinding)', async () => {
  assert.equal((await raw(server.url, '/api/status', { headers: { Host: 'evil.example:80' } })).status, 403);
  assert.equal((await raw(server.url, '/api/status', { headers: { Host: 'localhost' } })).status, 200);
});

test('decode returns a PNG that changes when an edit changes a map, and is deterministic', async () => {
  const post = (edits: unknown[]) => raw(server.url, `/api/${runId}/decode`, { method: 'POST', headers: json, body: decodeBody(7, edits) });
  const plain = await post([]);
  assert.equal(plain.status, 200);
  assert.equal(plain.type, 'image/png');
  assert.deepEqual((await post([])).body, plain.body, 'same request, same PNG');
  const stats = JSON.parse((await raw(server.url, `/api/${runId}/latents`)).body.toString());
  const edited = await post([{ map: 0, delta: 4 * (stats.std[0] + 0.1) }]);
  assert.equal(edited.status, 200);
  assert.notDeepEqual(edited.body, plain.body, 'editing map 0 changes the decoding');
  const valued = await post([{ map: 1, value: stats.max[1] + 2 }]);
  assert.notDeepEqual(valued.body, plain.body);
});

test('the status endpoint answers while a decode keeps the worker busy', async () => {
  const slow = await startServer({ runs: [dir], threads: 1, decodeBusyMs: 2500 });
  try {
    await slow.ready;
    const id = slow.runs[0]!.id;
    const decode = raw(slow.url, `/api/${id}/decode`, { method: 'POST', headers: json, body: decodeBody(3) });
    await new Promise((r) => setTimeout(r, 300));
    const st = await raw(slow.url, '/api/status');
    assert.equal(st.status, 200);
    assert.ok(st.ms < 1000, `status took ${st.ms.toFixed(0)} ms`);
    assert.equal(JSON.parse(st.body.toString()).runs[0].inFlight, 1, 'the decode was still in flight');
    const thumbWhileBusy = await raw(slow.url, '/api/runs');
    assert.equal(thumbWhileBusy.status, 200);
    const d = await decode;
    assert.equal(d.status, 200);
    assert.ok(d.ms >= 2400, 'the decode itself waited for the busy worker');
  } finally {
    await slow.close();
  }
});

test('a token, when configured, is required on every request', async () => {
  const secured = await startServer({ runs: [dir], threads: 1, token: 'correct-horse-battery' });
  try {
    assert.match(secured.url, /\?token=correct-horse-battery$/);
    const base = secured.url;
    assert.equal((await raw(base, '/api/status')).status, 401);
    assert.equal((await raw(base, '/')).status, 401);
    assert.equal((await raw(base, '/api/status?token=wrong-token-value')).status, 401);
    assert.equal((await raw(base, '/api/status?token=correct-horse-battery')).status, 200);
    assert.equal((await raw(base, '/api/status', { headers: { 'X-Latentlens-Token': 'correct-horse-battery' } })).status, 200);
    assert.equal((await raw(base, '/api/status', { headers: { Authorization: 'Bearer correct-horse-battery' } })).status, 200);
    assert.equal((await raw(base, `/api/${secured.runs[0]!.id}/decode`, { method: 'POST', headers: json, body: decodeBody(0) })).status, 401);
  } finally {
    await secured.close();
  }
  // Off loopback a token is always in force; a too-short one is refused before anything listens.
  await assert.rejects(startServer({ runs: [dir], host: '192.0.2.1', token: 'short' }), /token must be at least 8/);
});
