// The explorer's entry: one panel per served run; with two runs they sit side by side and follow the
// same case, so the same image can be compared through both models.
import { getJson } from './api.js';
import { h } from './dom.js';
import { RunPanel } from './panel.js';

/** State the panels share: the current case, with listeners. */
class SharedCase {
  constructor() {
    this.value = 0;
    this.listeners = new Set();
  }
  set(i, from) {
    this.value = i;
    for (const f of this.listeners) if (f !== from) f(i);
  }
}

async function main() {
  const status = document.getElementById('status');
  const panels = document.getElementById('panels');
  try {
    const runs = await getJson('runs');
    if (!runs?.length) throw new Error('the server serves no runs');
    const shared = new SharedCase();
    panels.classList.toggle('compare', runs.length > 1);
    const made = runs.map((r) => new RunPanel(r, shared, runs.length > 1));
    for (const p of made) panels.append(p.root);
    status.textContent = runs.length > 1 ? `comparing ${runs.map((r) => r.id).join(' and ')}` : `run ${runs[0].id}`;
    await Promise.all(made.map((p) => p.load()));
    status.textContent += ' · ready';
    document.body.dataset.ready = '1';
  } catch (err) {
    status.textContent = `error: ${err.message}`;
    panels.append(h('p', { class: 'error' }, String(err.message)));
  }
}

void main();
