// The explorer's HTTP server over a real (tiny) run folder: what it refuses (traversal, symlinks out,
// oversized bodies, missing tokens, foreign Host headers), what it computes (live decoding in a
// worker, with the server answering while the worker is busy) and its resource bounds (thumbnail cache
// bytes, scale, a full compute queue answering 503, abandoned requests dropped from the queue).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, type ExplorerServer } from '../../src/serve/index.js';
import { makeRunFolder, SPEC } from './fixture.js';

interface Reply {
  status: number;
  type: string;
  body: Buffer;
  ms: number;
  headers: Record<string, string | string[] | undefined>;
}

/** A raw request: the path goes on the wire exactly as given (fetch would normalise `..` and `%2e%2e`). */
function raw(
  base: string,
  path: string,
  o: { method?: string; headers?: Record<string, string>; body?: Buffer | string; chunked?: boolean } = {},
): Promise<Reply> {
  const u = new URL(base);
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method: o.method ?? 'GET', headers: o.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode!,
          type: String(res.headers['content-type'] ?? ''),
          body: Buffer.concat(chunks),
          ms: performance.now() - t0,
          headers: res.headers,
        }),
      );
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

let dir = '',
  tmp = '',
  runId = '';
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
  // A file from before the envelope is refused through the schema with what to re-run, not served half-read.
  writeFileSync(join(dir, 'tcav.json'), JSON.stringify({ dataSpec: SPEC, result: { concepts: [] } }));
  const old = await raw(server.url, `/api/${runId}/tcav`);
  assert.equal(old.status, 422);
  assert.match(JSON.parse(old.body.toString()).error, /^tcav\.json was written by an older latentlens .*re-run 'latentlens tcav'/);
  rmSync(join(dir, 'tcav.json'));
  assert.equal((await raw(server.url, `/api/${runId}/decoder`)).status, 404, 'not a decoder run');
});

test('path traversal, encoded dots, absolute paths and symlinks out of the run are refused', async () => {
  const attempts = [
    '/../package.json',
    '/web/../../package.json',
    '/%2e%2e/package.json',
    '/%2E%2E%2Fpackage.json',
    '/..%2f..%2fetc/passwd',
    `/api/${runId}/figures/../config.json`,
    `/api/${runId}/figures/%2e%2e/config.json`,
    `/api/${runId}/figures/%2fetc%2fpasswd`,
    `/api/${runId}/figures/..%5c..%5cconfig.json`,
    '/..\\package.json',
    `/api/${runId}/figures/%00.png`,
    `/api/${runId}/figures/leak.png`,
    `/api/${runId}/figures/up/outside.png`,
    '//etc/passwd',
    '/etc/passwd',
    `http://127.0.0.1/../package.json`,
    `/api/..%2f${runId}/config`,
    `/api/${runId}/embed/..%2fconfig`,
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
  assert.equal(
    (
      await raw(server.url, `/api/${runId}/decode`, {
        method: 'POST',
        headers: { ...json, 'Transfer-Encoding': 'chunked' },
        body: big,
        chunked: true,
      })
    ).status,
    413,
  );
  assert.equal(
    (await raw(server.url, `/api/${runId}/decode`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: decodeBody(0) }))
      .status,
    415,
  );
  assert.equal((await raw(server.url, `/api/${runId}/decode`, { method: 'POST', headers: json, body: '{nope' })).status, 400);
  assert.equal(
    (await raw(server.url, `/api/${runId}/decode`, { method: 'POST', headers: json, body: decodeBody(0, [{ map: 99, delta: 1 }]) })).status,
    400,
  );
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
    assert.equal(
      (await raw(base, `/api/${secured.runs[0]!.id}/decode`, { method: 'POST', headers: json, body: decodeBody(0) })).status,
      401,
    );
  } finally {
    await secured.close();
  }
  // Off loopback a token is always in force; a too-short one is refused before anything listens.
  await assert.rejects(startServer({ runs: [dir], host: '192.0.2.1', token: 'short' }), /token must be at least 8/);
});

const runStatus = async (base: string) => JSON.parse((await raw(base, '/api/status')).body.toString()).runs[0];
/** Polls the status until `done` holds for the run (at most `ms`). */
async function until(base: string, done: (r: Record<string, number>) => boolean, ms = 5000): Promise<Record<string, number>> {
  const t0 = Date.now();
  for (;;) {
    const r = await runStatus(base);
    if (done(r) || Date.now() - t0 > ms) return r;
    await new Promise((res) => setTimeout(res, 20));
  }
}
/** PNG width and height from its IHDR chunk. */
const pngSize = (b: Buffer) => [b.readUInt32BE(16), b.readUInt32BE(20)];

test('thumbnail scale: invalid values get 400, large ones are lowered so no side exceeds 1024 px', async () => {
  for (const bad of ['0', '17', '2.5', '-1', 'x', '']) {
    const r = await raw(server.url, `/api/${runId}/thumb/1.png?scale=${bad}`);
    assert.equal(r.status, 400, `scale=${bad}`);
    assert.match(JSON.parse(r.body.toString()).error, /scale must be an integer in 1\.\.16/);
  }
  // A voxel to slice through is for volume runs (test/serve/volumes.test.ts) only.
  {
    const r = await raw(server.url, `/api/${runId}/thumb/1.png?at=1,1,1`);
    assert.equal(r.status, 400);
    assert.match(JSON.parse(r.body.toString()).error, /at \(a voxel z,y,x\) is for volume runs only/);
  }
  // Two 32 px channels with a 4 px gap: scale 16 would be 1028 px wide, so 15 is drawn (964 x 480).
  const max = await raw(server.url, `/api/${runId}/thumb/1.png?scale=16`);
  assert.equal(max.status, 200);
  assert.equal(max.headers['x-latentlens-scale'], '15');
  assert.deepEqual(pngSize(max.body), [2 * 32 * 15 + 4, 32 * 15]);
  const one = await raw(server.url, `/api/${runId}/thumb/1.png?scale=16&channel=1`);
  assert.deepEqual(pngSize(one.body), [512, 512], 'one channel fits at 16');
  const dec = await raw(server.url, `/api/${runId}/decode?scale=16`, { method: 'POST', headers: json, body: decodeBody(1) });
  assert.deepEqual(pngSize(dec.body), [964, 480], 'decodings are bounded the same way');
});

test('100 maximal thumbnail requests keep the thumbnail cache under its byte bound', async () => {
  const first = (await raw(server.url, `/api/${runId}/thumb/0.png?scale=16`)).body.length;
  const bound = 5 * first; // a few entries: the 100 requests must evict
  const bounded = await startServer({ runs: [dir], threads: 1, thumbCacheBytes: bound });
  try {
    await bounded.ready;
    const id = bounded.runs[0]!.id;
    for (let b = 0; b < 100; b += 10) {
      const replies = await Promise.all(Array.from({ length: 10 }, (_, j) => raw(bounded.url, `/api/${id}/thumb/${b + j}.png?scale=16`)));
      for (const r of replies) assert.equal(r.status, 200);
      const { thumbCache } = (await runStatus(bounded.url)) as unknown as {
        thumbCache: { bytes: number; maxBytes: number; entries: number };
      };
      assert.equal(thumbCache.maxBytes, bound);
      assert.ok(thumbCache.bytes <= bound, `after ${b + 10} thumbnails the cache holds ${thumbCache.bytes} > ${bound} bytes`);
    }
    const { thumbCache } = (await runStatus(bounded.url)) as unknown as { thumbCache: { bytes: number; entries: number } };
    assert.ok(thumbCache.entries > 0 && thumbCache.entries < 100, `${thumbCache.entries} entries cached`);
  } finally {
    await bounded.close();
  }
});

test('a full compute queue answers 503 with Retry-After instead of growing', async () => {
  const busy = await startServer({ runs: [dir], threads: 1, decodeBusyMs: 800, maxQueue: 2 });
  try {
    await busy.ready;
    const id = busy.runs[0]!.id;
    const post = () => raw(busy.url, `/api/${id}/decode`, { method: 'POST', headers: json, body: decodeBody(2) });
    const a = post(),
      b = post();
    assert.equal((await until(busy.url, (r) => r.inFlight === 2)).inFlight, 2);
    const c = await post();
    assert.equal(c.status, 503);
    assert.match(String(c.headers['retry-after']), /^\d+$/);
    assert.ok(Number(c.headers['retry-after']) >= 1);
    assert.match(JSON.parse(c.body.toString()).error, /queue is full \(2 requests\)/);
    assert.equal((await raw(busy.url, `/api/${id}/latents/0`)).status, 503, 'every compute route shares the bound');
    const st = await runStatus(busy.url);
    assert.deepEqual([st.inFlight, st.maxQueue, st.refused], [2, 2, 2]);
    assert.deepEqual([(await a).status, (await b).status], [200, 200]);
    assert.equal((await post()).status, 200, 'served again once the queue drained');
  } finally {
    await busy.close();
  }
});

test('queued work whose client hung up is dropped before it starts', async () => {
  const busy = await startServer({ runs: [dir], threads: 1, decodeBusyMs: 1500 });
  try {
    await busy.ready;
    const id = busy.runs[0]!.id;
    const u = new URL(busy.url);
    const post = () => raw(busy.url, `/api/${id}/decode`, { method: 'POST', headers: json, body: decodeBody(4) });
    const running = post();
    await until(busy.url, (r) => r.inFlight === 1);
    const abandoned = Array.from({ length: 5 }, () => {
      const req = request({ host: u.hostname, port: u.port, path: `/api/${id}/decode`, method: 'POST', headers: json });
      req.on('error', () => {}); // the hang-up below
      req.end(decodeBody(4));
      return req;
    });
    assert.equal((await until(busy.url, (r) => r.inFlight === 6)).queued, 5);
    for (const req of abandoned) req.destroy();
    const after = await until(busy.url, (r) => r.queued === 0, 1000);
    assert.deepEqual([after.queued, after.inFlight, after.dropped], [0, 1, 5], 'the queue fell back while the first decode still ran');
    assert.equal((await running).status, 200);
    const fresh = await post();
    assert.equal(fresh.status, 200);
    assert.ok(fresh.ms < 2 * 1500, `a fresh decode waited ${fresh.ms.toFixed(0)} ms behind no abandoned work`);
    assert.equal((await runStatus(busy.url)).inFlight, 0);
  } finally {
    await busy.close();
  }
});
