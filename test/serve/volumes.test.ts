// The explorer over a real (tiny) volume run: the run list and meta say volumes, case images and
// decodings are three orthogonal slices per channel whose pixels are the volume's own voxels, `at=z,y,x`
// moves the slices and is refused out of range, latents have d x h x w cells, an edit changes the
// decoding, the rank, embedding and volume explanation files are served as written with every slice
// figure they list, and the path checks hold on a volume run as on a 2D one.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { rmSync } from 'node:fs';
import sharp from 'sharp';
import { loadCases } from '../../src/data/spec.js';
import { startServer, type ExplorerServer } from '../../src/serve/index.js';
import { toByte } from '../../src/util/png.js';
import { makeVolumeRunFolder, VOLUME_SPEC } from './volume-fixture.js';

let dir = '',
  tmp = '',
  id = '';
let server: ExplorerServer;
const api = (path: string, init?: RequestInit) => fetch(`${server.url.replace(/\/$/, '')}/api/${id}/${path}`, init);
const post = (path: string, body: unknown) =>
  api(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** A gray PNG's pixels. */
async function gray(r: Response): Promise<{ data: Buffer; width: number; height: number }> {
  assert.equal(r.status, 200, await r.clone().text());
  assert.equal(r.headers.get('content-type'), 'image/png');
  const { data, info } = await sharp(Buffer.from(await r.arrayBuffer()))
    .extractChannel(0)
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

before(async () => {
  ({ dir, tmp } = await makeVolumeRunFolder());
  server = await startServer({ runs: [dir], threads: 1 });
  await server.ready;
  id = server.runs[0]!.id;
});

after(async () => {
  await server?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('run list and meta of a volume run', async () => {
  const runs = (await (await fetch(`${server.url}api/runs`)).json()) as {
    id: string;
    error: string | null;
    files: Record<string, unknown>;
  }[];
  assert.equal(runs[0]!.error, null);
  assert.equal(runs[0]!.files.rank, true);
  assert.deepEqual(runs[0]!.files.explain, [0]);
  assert.deepEqual(runs[0]!.files.embed, ['pca']);
  const meta = await (await api('meta')).json();
  assert.equal(meta.volume, true);
  assert.deepEqual(meta.shape, [2, 16, 16, 16]);
  assert.deepEqual(meta.grid, [4, 4, 4]);
  assert.equal(meta.k, 3);
  assert.equal(meta.n, 24);
  assert.deepEqual(meta.channels, ['T1', 'FLAIR']);
  assert.equal(meta.composite, null);
});

test('case images: a row of depth, height and width slices per channel, the volume voxels themselves', async () => {
  const data = await loadCases(VOLUME_SPEC);
  const V = 16 ** 3;
  const voxel = (i: number, c: number, z: number, y: number, x: number) => data.images[i * 2 * V + c * V + (z * 16 + y) * 16 + x]!;
  const sheet = await gray(await api('thumb/3.png?scale=2&at=5,9,12'));
  // Three 32 px slices and two 4 px gaps wide, two 32 px rows and a gap high.
  assert.deepEqual([sheet.width, sheet.height], [3 * 32 + 8, 2 * 32 + 4]);
  const px = (row: number, col: number) => sheet.data[row * sheet.width + col]!;
  for (const [c, y0] of [
    [0, 0],
    [1, 36],
  ] as const)
    for (const [r, q] of [
      [0, 0],
      [7, 3],
      [15, 15],
      [10, 4],
    ] as const) {
      // depth slice z = 5 (rows y, columns x), height slice y = 9 (rows z, columns x), width slice x = 12 (rows z, columns y).
      assert.equal(px(y0 + 2 * r, 2 * q), toByte(voxel(3, c, 5, r, q), 0, 1), `depth c${c} ${r},${q}`);
      assert.equal(px(y0 + 2 * r + 1, 36 + 2 * q + 1), toByte(voxel(3, c, r, 9, q), 0, 1), `height c${c} ${r},${q}`);
      assert.equal(px(y0 + 2 * r, 72 + 2 * q), toByte(voxel(3, c, r, q, 12), 0, 1), `width c${c} ${r},${q}`);
    }
  // Default: through the centre voxel, about 128 px a slice; one channel is one row.
  const centre = await api('thumb/3.png');
  assert.equal(centre.headers.get('x-latentlens-scale'), '8');
  const one = await gray(await api('thumb/3.png?scale=1&channel=1'));
  assert.deepEqual([one.width, one.height], [3 * 16 + 8, 16]);
  assert.equal(one.data[3 * one.width + 20 + 7]!, toByte(voxel(3, 1, 3, 8, 7), 0, 1), 'height slice at the centre y = 8');
  for (const bad of ['16,0,0', '0,0,-1', '1,2', '1,2,3,4', 'a,b,c', '1.5,2,3', '..%2f,1,1'])
    assert.equal((await api(`thumb/3.png?at=${bad}`)).status, 400, `at=${bad}`);
  assert.equal((await api('thumb/24.png')).status, 404);
});

test('latents have d x h x w cells; decoding is a slice sheet that an edit changes', async () => {
  const lat = await (await api('latents/2')).json();
  assert.deepEqual(lat.grid, [4, 4, 4]);
  assert.equal(lat.maps.length, 3);
  assert.equal(lat.maps[0].length, 64);
  const mean = lat.maps[1].reduce((a: number, b: number) => a + b, 0) / 64;
  assert.ok(Math.abs(lat.pooled[1] - mean) < 1e-5);
  const pooled = await (await api('latents')).json();
  assert.equal(pooled.pooled.length, 24 * 3);
  assert.ok(Math.abs(pooled.pooled[2 * 3 + 1] - lat.pooled[1]) < 1e-4, 'the pooled table holds the same case means');

  const plain = await gray(await post('decode?scale=2', { case: 2, edits: [] }));
  assert.deepEqual([plain.width, plain.height], [3 * 32 + 8, 2 * 32 + 4]);
  const moved = await gray(await post('decode?scale=2&at=2,3,4', { case: 2, edits: [] }));
  assert.notDeepEqual(moved.data, plain.data, 'other slices');
  let changed = 0;
  for (let k = 0; k < 3; k++) {
    const edited = await gray(await post('decode?scale=2', { case: 2, edits: [{ map: k, delta: 5 }] }));
    let diff = 0;
    for (let p = 0; p < plain.data.length; p++) diff = Math.max(diff, Math.abs(edited.data[p]! - plain.data[p]!));
    if (diff > 8) changed++;
  }
  assert.ok(changed >= 1, 'shifting a map by 5 visibly changes the decoding');
  assert.equal((await post('decode', { case: 2, edits: [{ map: 3, delta: 1 }] })).status, 400);
  assert.equal((await post('decode?at=0,0,99', { case: 2, edits: [] })).status, 400);
  assert.equal((await post('decode', { case: 99, edits: [] })).status, 400);
});

test('rank, embedding and the volume explanation as written, every listed slice figure served', async () => {
  const rank = await (await api('rank')).json();
  assert.deepEqual(rank.inputs.latentShape, [3, 4, 4, 4]);
  assert.equal(rank.result.ranking.length, 3);
  const embed = await (await api('embed/pca')).json();
  assert.equal(embed.result.coords.length, 24);
  assert.deepEqual((await (await api('explain')).json()).maps, [0]);
  const ex = (await (await api('explain/0')).json()).result;
  assert.equal(ex.volumes, true);
  assert.deepEqual(
    ex.methods.map((m: { method: string }) => m.method),
    ['integrated-gradients', 'occlusion', 'grad-cam'],
  );
  // 3 methods x 2 shown volumes x 2 channels x 3 slices.
  assert.equal(ex.figures.length, 36);
  for (const f of ex.figures as { path: string; axis: string }[]) {
    const r = await api(f.path.split('/').map(encodeURIComponent).join('/'));
    assert.equal(r.status, 200, f.path);
    const png = await sharp(Buffer.from(await r.arrayBuffer())).metadata();
    assert.ok(png.width! >= 16 && png.height! >= 16, `${f.path} is an image`);
  }
});

test('path checks hold on a volume run', async () => {
  const u = new URL(server.url);
  const rawStatus = (path: string) =>
    new Promise<number>((resolve, reject) => {
      import('node:http').then(({ request }) => {
        const req = request({ host: u.hostname, port: u.port, path }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        });
        req.on('error', reject);
        req.end();
      }, reject);
    });
  assert.equal(await rawStatus(`/api/${id}/figures/../config.json`), 403);
  assert.equal(await rawStatus(`/api/${id}/figures/%2e%2e/rank.json`), 403);
  assert.equal(await rawStatus(`/api/${id}/figures/map-0%2f..%2f..%2fconfig.json`), 403);
  assert.equal(await rawStatus(`/api/${id}/figures/map-0/nothing.png`), 404);
  assert.equal(await rawStatus(`/api/${id}/explain/..`), 403);
  assert.equal(await rawStatus(`/api/${id}/model.safetensors`), 404);
});
