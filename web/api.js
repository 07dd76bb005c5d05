// Talking to the explorer's server. The access token (when the server requires one) arrives in the page
// URL; fetches send it as a header, image URLs carry it as a query parameter.
const token = new URLSearchParams(location.search).get('token');

/** @param {string} path @param {Record<string, string | number>} [params] */
export function apiUrl(path, params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) q.set(k, String(v));
  if (token) q.set('token', token);
  const s = q.toString();
  return `/api/${path}${s ? `?${s}` : ''}`;
}

const headers = () => (token ? { 'X-Latentlens-Token': token } : {});

/** GET JSON; null on 404 (the analysis has not been run). */
export async function getJson(path) {
  const r = await fetch(apiUrl(path), { headers: headers() });
  if (r.status === 404) return null;
  if (!r.ok) throw new Error(`${path}: ${r.status} ${(await r.json().catch(() => ({}))).error ?? ''}`);
  return r.json();
}

/** POST JSON, returning the response as a Blob (e.g. a PNG); `params` go in the query (e.g. a volume's `at`). */
export async function postBlob(path, body, signal, params = {}) {
  const r = await fetch(apiUrl(path, params), {
    method: 'POST',
    headers: { ...headers(), 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
    signal,
  });
  if (!r.ok) throw new Error(`${path}: ${r.status} ${(await r.json().catch(() => ({}))).error ?? ''}`);
  return r.blob();
}

/** @param {string} run @param {number} i @param {Record<string, number>} [o] */
export const thumbUrl = (run, i, o = {}) => apiUrl(`${enc(run)}/thumb/${i}.png`, o);
/** A run-relative figure path as written by `latentlens explain` (figures/...). */
export const figureUrl = (run, rel) => apiUrl(`${enc(run)}/${rel.split('/').map(encodeURIComponent).join('/')}`);
export const enc = encodeURIComponent;
