// The Vision XL playground. Plain JavaScript, no framework, no build step.
// The form is built from GET /api/table (the core's parameter table); every check, price and
// snippet comes from the server (the core), so the page never repeats a rule.
// Views: each entry of VIEWS is a tab; a new view (e.g. "Compare") adds one entry and a section.
'use strict';

const $ = (sel) => document.querySelector(sel);
const el = (tag, attrs = {}, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'text') e.textContent = v; else e.setAttribute(k, v === true ? '' : v);
  }
  for (const k of kids) if (k !== null && k !== undefined) e.append(k);
  return e;
};

async function api(path, body) {
  const opts = body === undefined ? {} : {
    method: 'POST',
    headers: body instanceof Blob ? {} : { 'Content-Type': 'application/json' },
    body: body instanceof Blob ? body : JSON.stringify(body),
  };
  const r = await fetch(path, opts);
  const data = await r.json().catch(() => ({ error: { code: 'invalid_response', message: `HTTP ${r.status}` } }));
  return { ok: r.ok, data };
}

const S = { table: null, params: {}, snippets: {}, lang: 'rust', valid: false, job: null, session: null };

// ---- views (tabs) ----
const VIEWS = [
  { name: 'playground', title: 'Playground' },
  { name: 'compare', title: 'Compare', show: () => sweepCheck() },
];
function buildTabs() {
  const nav = $('#tabs');
  for (const v of VIEWS) {
    const b = el('button', { type: 'button', role: 'tab', id: `tab-${v.name}`, 'aria-controls': `view-${v.name}`, text: v.title });
    b.addEventListener('click', () => showView(v.name));
    nav.append(b);
  }
  showView(VIEWS[0].name);
}
function showView(name) {
  for (const v of VIEWS) {
    const on = v.name === name;
    $(`#tab-${v.name}`).setAttribute('aria-selected', String(on));
    const sec = $(`#view-${v.name}`);
    if (sec) sec.hidden = !on;
    if (on && v.show) v.show();
  }
}

// ---- the form, from the table ----
function control(p) {
  const id = `f-${p.name}`;
  const desc = [p.description];
  if (p.allowed) desc.push(`Allowed: ${p.allowed}.`);
  if (p.default) desc.push(`Default: ${p.default}.`);
  const common = { id, name: p.name, 'aria-describedby': `d-${p.name} e-${p.name}`, 'data-kind': p.kind };
  let input;
  if (p.kind === 'boolean') {
    input = el('select', common,
      el('option', { value: '', text: `unset (service default${p.default ? ': ' + p.default : ''})` }),
      el('option', { value: 'true', text: 'on (true)' }),
      el('option', { value: 'false', text: 'off (false)' }));
  } else if (p.choices) {
    input = el('select', common, el('option', { value: '', text: `unset${p.default ? ' (default: ' + p.default + ')' : ''}` }),
      ...p.choices.map((c) => el('option', { value: String(c), text: String(c) })));
  } else if (p.kind === 'string_list') {
    input = el('textarea', { ...common, rows: 2, placeholder: 'one asset reference per line' });
  } else if (p.name === 'prompt' || p.name === 'negative_prompt' || p.name === 'enhance_prompt_instruction') {
    input = el('textarea', { ...common, rows: p.name === 'prompt' ? 3 : 2, placeholder: p.default || '', required: p.required });
  } else {
    const num = p.kind === 'integer' || p.kind === 'number';
    input = el('input', { ...common, type: 'text', inputmode: num ? (p.kind === 'integer' ? 'numeric' : 'decimal') : null, autocomplete: 'off', placeholder: p.default || '' });
  }
  const wrap = el('div', { class: 'field', 'data-field': p.name },
    el('label', { for: id }, p.label, el('code', { class: 'sdk', text: p.name })),
    input,
    el('p', { class: 'desc', id: `d-${p.name}`, text: desc.join(' ') }),
    el('p', { class: 'filled', id: `p-${p.name}`, hidden: true }),
    el('p', { class: 'err', id: `e-${p.name}`, 'data-field': p.name }));
  if (p.name === 'init_image_id' || p.name === 'image_prompts') wrap.append(uploader(p.name));
  return wrap;
}

function uploader(name) {
  const id = `u-${name}`;
  const input = el('input', { type: 'file', id, accept: 'image/*', 'data-upload': name });
  const box = el('div', { class: 'drop' }, el('label', { for: id, text: 'Upload or drop an image' }), input);
  const send = async (file) => {
    if (!file) return;
    setStatus(`uploading ${file.name}…`);
    const r = await api(`/api/assets?name=${encodeURIComponent(file.name)}`, file);
    if (!r.ok) return showError(r.data.error);
    const f = $(`#f-${name}`);
    f.value = name === 'image_prompts' && f.value.trim() ? `${f.value.trim()}\n${r.data.reference}` : r.data.reference;
    setStatus(`uploaded ${file.name}: ${r.data.reference}`);
    schedule();
  };
  input.addEventListener('change', () => send(input.files[0]));
  box.addEventListener('dragover', (e) => { e.preventDefault(); box.classList.add('over'); });
  box.addEventListener('dragleave', () => box.classList.remove('over'));
  box.addEventListener('drop', (e) => { e.preventDefault(); box.classList.remove('over'); send(e.dataTransfer.files[0]); });
  return box;
}

function buildForm() {
  const groups = $('#groups');
  for (const g of S.table.groups) {
    const fs = el('fieldset', { class: 'group', 'data-group': g.name }, el('legend', { text: g.title }));
    for (const p of g.params) { S.params[p.name] = p; fs.append(control(p)); }
    groups.append(fs);
  }
  for (const p of S.table.presets) $('#f-preset').append(el('option', { value: p.name, text: `${p.name}: ${p.description}` }));
  $('#form').addEventListener('input', schedule);
  $('#form').addEventListener('change', schedule);
  $('#form').addEventListener('submit', (e) => e.preventDefault());
}

// Reads the form: unset fields are left out; numbers that do not parse go as text so the core
// names the problem.
function readForm() {
  const params = {};
  for (const p of Object.values(S.params)) {
    const raw = $(`#f-${p.name}`).value;
    if (raw.trim() === '' && p.name !== 'prompt') continue;
    if (p.kind === 'boolean') params[p.name] = raw === 'true';
    else if (p.kind === 'integer' || p.kind === 'number') {
      const t = raw.trim(); const n = Number(t);
      params[p.name] = t !== '' && Number.isFinite(n) && (p.kind === 'number' || Number.isInteger(n)) ? n : raw;
    } else if (p.kind === 'string_list') params[p.name] = raw.split('\n').map((s) => s.trim()).filter(Boolean);
    else if (p.choices && typeof p.choices[0] === 'number') params[p.name] = Number(raw);
    else params[p.name] = raw;
  }
  const body = { params, preset: $('#f-preset').value || null };
  const k = $('#f-count').value.trim();
  if (k) body.count = /^\d+$/.test(k) ? Number(k) : -1;
  return body;
}

function loadForm(params) {
  for (const p of Object.values(S.params)) {
    const v = params[p.name];
    $(`#f-${p.name}`).value = v === undefined || v === null ? '' : Array.isArray(v) ? v.join('\n') : String(v);
  }
  $('#f-preset').value = '';
  $('#f-count').value = '';
  check();
}

// ---- live check ----
let timer = null;
function schedule() { clearTimeout(timer); timer = setTimeout(check, 120); }
let seq = 0;
async function check() {
  const mine = ++seq;
  const body = readForm();
  if (body.count === -1) delete body.count;
  const r = await api('/api/check', body);
  if (mine !== seq || !r.ok) return;
  render(r.data);
}

function render(d) {
  S.valid = d.valid;
  S.snippets = d.snippets;
  S.wire = JSON.stringify(d.wire, null, 2);
  const byField = {};
  for (const v of d.errors) (byField[v.field] ||= []).push(v.message);
  const warnBy = {};
  for (const v of d.warnings) (warnBy[v.field] ||= []).push(v.message);
  for (const p of Object.values(S.params)) {
    const e = $(`#e-${p.name}`); const f = $(`#f-${p.name}`);
    const errs = byField[p.name] || []; const warns = warnBy[p.name] || [];
    e.textContent = [...errs, ...warns.map((w) => `warning: ${w}`)].join(' ');
    e.className = errs.length ? 'err' : warns.length ? 'err warn' : 'err';
    f.setAttribute('aria-invalid', String(errs.length > 0));
    const filled = $(`#p-${p.name}`);
    const fv = d.filled[p.name]; const ov = d.overridden[p.name];
    const show = (v) => (Array.isArray(v) ? v.join(', ') : String(v));
    filled.hidden = fv === undefined && ov === undefined;
    filled.textContent = fv !== undefined ? `preset fills: ${show(fv)}` : ov !== undefined ? `your value wins over the preset's ${show(ov)}` : '';
  }
  const list = $('#violations');
  // Each message names its field (the core's rule); data-field ties it to the control.
  list.replaceChildren(...d.errors.map((v) => el('li', { 'data-field': v.field, class: 'error', text: v.message })),
    ...d.warnings.map((v) => el('li', { 'data-field': v.field, class: 'warning', text: `warning: ${v.message}` })));
  $('#price').textContent = d.credits === null ? 'price: –' : `price: ${d.credits} credits`;
  $('#hint').textContent = d.hint || '';
  const plan = d.plan;
  $('#plan').textContent = !plan ? '' : plan.error ? plan.error : `${plan.images} images: ${plan.credits} credits in calls of n = ${plan.calls.join(' + ')}`;
  $('#curl').textContent = d.snippets.curl;
  $('#wire').textContent = S.wire;
  showLang(S.lang);
  updateGenerate();
}

function buildLangs() {
  const box = $('#langs');
  for (const l of ['rust', 'python', 'node', 'c', 'cli']) {
    const b = el('button', { type: 'button', role: 'tab', 'data-lang': l, text: l === 'cli' ? 'CLI' : l === 'c' ? 'C' : l[0].toUpperCase() + l.slice(1) });
    b.addEventListener('click', () => showLang(l));
    box.append(b);
  }
}
function showLang(l) {
  S.lang = l;
  for (const b of document.querySelectorAll('#langs button')) b.setAttribute('aria-selected', String(b.dataset.lang === l));
  $('#code').textContent = S.snippets[l] || '';
  $('#code').dataset.lang = l;
}

function copyText(which) {
  const text = which === 'wire' ? S.wire : which === 'curl' ? S.snippets.curl : S.snippets[S.lang];
  if (navigator.clipboard) navigator.clipboard.writeText(text || '').then(() => setStatus('copied'), () => setStatus('copy failed: select the text instead'));
}

// ---- generate ----
function updateGenerate() {
  const on = S.session && S.session.mode !== 'off';
  $('#generate').disabled = !on || !S.valid || S.job !== null;
}
function setStatus(text) { $('#status').replaceChildren(el('p', { text })); }
function showError(e) {
  const box = el('div', { class: 'error-box' }, el('p', {}, el('code', { text: e.code }), ` ${e.message}`));
  if (e.may_have_been_charged) box.append(el('p', { class: 'charged', text: `This request may have been charged${e.record_id ? `: record ${e.record_id}` : ''}. Check it (visionxl get ${e.record_id || 'RECORD_ID'}) before sending it again.` }));
  else if (e.record_id) box.append(el('p', { text: `record ${e.record_id}` }));
  for (const v of e.violations || []) box.append(el('p', {}, el('code', { text: v.field }), ` ${v.message}`));
  $('#status').replaceChildren(box);
}

async function generate() {
  const body = readForm();
  delete body.count;
  const r = await api('/api/generate', body);
  if (!r.ok) return showError(r.data.error);
  S.job = r.data.job;
  $('#cancel').hidden = false;
  updateGenerate();
  poll();
}
async function poll() {
  if (S.job === null) return;
  const r = await api(`/api/jobs/${S.job}`);
  if (!r.ok) { finish(); return showError(r.data.error); }
  const s = r.data;
  $('#spent').textContent = s.spent;
  if (s.state === 'done' || s.state === 'failed' || s.state === 'cancelled') {
    finish();
    if (s.error) showError(s.error);
    else setStatus(`done: record ${s.record_id}, ${s.credits ?? s.price} credits, ${s.images.length} image(s) saved${s.emulated ? ' (EMULATED)' : ''}`);
    loadGallery();
    return;
  }
  const lines = [`${s.state}… (price ${s.price} credits)`];
  if (s.record_id) lines.push(`record ${s.record_id}`);
  for (const i of s.images) lines.push(`image ${i.index + 1}: ${Math.round(i.received / 1024)} KB${i.total ? ` of ${Math.round(i.total / 1024)} KB` : ''}`);
  $('#status').replaceChildren(...lines.map((t) => el('p', { text: t })));
  setTimeout(poll, 250);
}
function finish() { S.job = null; $('#cancel').hidden = true; updateGenerate(); }
async function cancel() { if (S.job !== null) await api(`/api/jobs/${S.job}/cancel`, {}); }

// ---- gallery ----
async function loadGallery() {
  const r = await api('/api/gallery');
  if (!r.ok) return;
  const g = $('#gallery');
  if (!r.data.images.length) return g.replaceChildren(el('p', { text: 'No images yet: they appear here with their settings.' }));
  g.replaceChildren(...r.data.images.map(card));
}
function card(it) {
  const alt = `${it.params.prompt || 'image'} (record ${it.record_id}, image ${Number(it.index) + 1})`;
  const thumb = el('button', { type: 'button', class: 'thumb', 'aria-label': `Open full size: ${alt}` }, el('img', { src: it.url, alt, loading: 'lazy' }));
  thumb.addEventListener('click', () => { $('#full-img').src = it.url; $('#full-img').alt = alt; $('#full').showModal(); });
  const use = el('button', { type: 'button', class: 'use', text: 'Use these settings' });
  use.addEventListener('click', () => { loadForm(it.params); $('#f-prompt').focus(); });
  const params = el('dl', { class: 'params' });
  for (const [k, v] of Object.entries(it.params)) params.append(el('dt', { text: k }), el('dd', { text: Array.isArray(v) ? v.join(', ') : String(v) }));
  return el('figure', { class: 'item', 'data-record': it.record_id },
    thumb,
    el('figcaption', {},
      it.emulated ? el('span', { class: 'badge', text: 'EMULATED' }) : null,
      el('p', { class: 'rec' }, 'record ', el('code', { class: 'record-id', text: it.record_id })),
      el('p', { text: `${it.credits ?? '?'} credits · seed ${it.seed ?? 'random'} · ${it.saved_at || ''}` }),
      el('details', {}, el('summary', { text: 'Parameters' }), params),
      use));
}

// ---- compare: a sweep over the form's settings ----
// The axes' values are sent as typed; the server parses them with the core's axis parser and
// answers the grid, the price and every violation (naming its value or cell).
const MAX_AXES = 3;
const ROLES = ['columns', 'rows', 'sheets'];
const SW = { job: null, valid: false, seq: 0, timer: null };
function axisRow(name = '', values = '') {
  const names = [...Object.keys(S.params), 'prompt_sr'];
  const i = $('#axes').children.length;
  const sel = el('select', { 'aria-label': 'Parameter to vary', 'data-axis': 'name' },
    ...names.map((n) => el('option', { value: n, text: n })));
  sel.value = name || names[0];
  const vals = el('input', { type: 'text', autocomplete: 'off', 'aria-label': 'Values', 'data-axis': 'values', placeholder: '7,10,13 or 20..40:10 or a fox|a wolf', value: values });
  const rm = el('button', { type: 'button', text: 'Remove', 'aria-label': 'Remove this axis' });
  const row = el('div', { class: 'axis' }, el('span', { class: 'role', text: ROLES[i] }), sel, vals, rm);
  rm.addEventListener('click', () => { row.remove(); relabelAxes(); sweepSchedule(); });
  $('#axes').append(row);
  relabelAxes();
  return row;
}
function relabelAxes() {
  const rows = [...$('#axes').children];
  rows.forEach((r, i) => { r.querySelector('.role').textContent = ROLES[i]; });
  $('#add-axis').disabled = rows.length >= MAX_AXES;
}
function buildCompare() {
  axisRow('guidance_scale');
  $('#add-axis').addEventListener('click', () => { axisRow(); sweepSchedule(); });
  $('#axes').addEventListener('input', sweepSchedule);
  $('#axes').addEventListener('change', sweepSchedule);
  $('#sweep-run').addEventListener('click', sweepRun);
  $('#sweep-cancel').addEventListener('click', () => { if (SW.job !== null) api(`/api/jobs/${SW.job}/cancel`, {}); });
}
function readSweep() {
  const body = readForm();
  delete body.count;
  body.axes = [...$('#axes').children]
    .map((r) => ({ name: r.querySelector('[data-axis=name]').value, values: r.querySelector('[data-axis=values]').value }))
    .filter((a) => a.values.trim() !== '');
  return body;
}
function sweepSchedule() { clearTimeout(SW.timer); SW.timer = setTimeout(sweepCheck, 120); }
async function sweepCheck() {
  const mine = ++SW.seq;
  const body = readSweep();
  const r = await api('/api/sweep/check', body);
  if (mine !== SW.seq || !r.ok) return;
  const d = r.data;
  SW.valid = d.valid && body.axes.length > 0;
  $('#sweep-cells').textContent = d.shape ? `${d.shape.slice(0, Math.max(1, body.axes.length)).join(' × ')} = ${d.cells} cells` : 'cells: –';
  $('#sweep-price').textContent = d.credits === null ? 'price: –' : `price: ${d.credits} credits`;
  $('#sweep-seed').textContent = !d.shape ? '' : d.seed === null || d.seed === undefined ? 'one random seed for every cell, chosen at Run' : `seed ${d.seed} for every cell`;
  $('#sweep-violations').replaceChildren(
    ...d.errors.map((v) => el('li', { 'data-field': v.field, class: 'error', text: v.message })),
    ...d.warnings.map((v) => el('li', { 'data-field': v.field, class: 'warning', text: `warning: ${v.message}` })),
    ...(body.axes.length ? [] : [el('li', { class: 'warning', text: 'add values to an axis to compare settings' })]));
  sweepButtons();
}
function sweepButtons() {
  const on = S.session && S.session.mode !== 'off';
  $('#sweep-run').disabled = !on || !SW.valid || SW.job !== null;
  $('#sweep-cancel').hidden = SW.job === null;
}
function sweepStatus(lines) { $('#sweep-status').replaceChildren(...lines.map((t) => el('p', { text: t }))); }
async function sweepRun() {
  const r = await api('/api/sweep', readSweep());
  if (!r.ok) return sweepStatus([`${r.data.error.code}: ${r.data.error.message}`]);
  SW.job = r.data.job;
  $('#sweep-result').hidden = true;
  sweepButtons();
  sweepPoll();
}
async function sweepPoll() {
  if (SW.job === null) return;
  const r = await api(`/api/jobs/${SW.job}`);
  if (!r.ok) { SW.job = null; sweepButtons(); return sweepStatus([`${r.data.error.code}: ${r.data.error.message}`]); }
  const s = r.data; const w = s.sweep || {};
  $('#spent').textContent = s.spent;
  if (s.state === 'done' || s.state === 'failed' || s.state === 'cancelled') {
    SW.job = null;
    sweepButtons();
    if (s.error) return sweepStatus([`${s.error.code}: ${s.error.message}`]);
    const lines = [`done: ${w.total} cells (${w.failed} failed), ${w.credits} credits, seed ${w.seed ?? 'per cell'}${s.emulated ? ' (EMULATED)' : ''}`];
    const charged = w.cells.filter((c) => c.error && c.error.may_have_been_charged).length;
    if (charged) lines.push(`${charged} cell(s) may have been charged (no image, record id unknown): a new Run sends them again, so check your credits first.`);
    if (w.sheet_error) lines.push(`the sheet failed: ${w.sheet_error.code}: ${w.sheet_error.message}`);
    sweepStatus(lines);
    return showSheet(w);
  }
  sweepStatus([`${s.state}… ${w.completed ?? 0} of ${w.total ?? '?'} cells (price ${s.price} credits)`]);
  setTimeout(sweepPoll, 250);
}
// The sheet, then a grid per sheet linking every cell to its image (or showing its error code).
function showSheet(w) {
  const img = $('#sweep-sheet');
  const first = (w.sheets || [])[0];
  img.hidden = !first;
  if (first) { img.src = first.url; img.alt = `Contact sheet: ${w.total} cells, ${first.width} × ${first.height} px`; }
  const [cols, rows, sheets] = w.shape;
  const label = (a, i) => (w.axes[a] ? `${w.axes[a].name}=${w.axes[a].labels[i]}` : '');
  const body = [];
  for (let sh = 0; sh < sheets; sh++) {
    if (sheets > 1) body.push(el('tr', {}, el('th', { colspan: cols + 1, text: label(2, sh) })));
    body.push(el('tr', {}, el('th', {}), ...Array.from({ length: cols }, (_, c) => el('th', { scope: 'col', text: label(0, c) }))));
    for (let r = 0; r < rows; r++) {
      const tds = [];
      for (let c = 0; c < cols; c++) {
        const cell = w.cells[(sh * rows + r) * cols + c];
        tds.push(el('td', {}, cell.url
          ? el('a', { href: cell.url, target: '_blank', rel: 'noopener', 'data-testid': 'sweep-cell', text: `open image` , title: cell.label })
          : el('span', { class: 'failed', title: cell.error ? cell.error.message : '', text: cell.error ? cell.error.code : cell.state })));
      }
      body.push(el('tr', {}, el('th', { scope: 'row', text: label(1, r) }), ...tds));
    }
  }
  $('#sweep-grid').replaceChildren(...body);
  $('#sweep-result').hidden = false;
}

// ---- session ----
async function loadSession() {
  const r = await api('/api/session');
  S.session = r.data;
  const m = $('#mode');
  m.textContent = r.data.message;
  m.dataset.mode = r.data.mode;
  $('#spent').textContent = r.data.spent;
  $('#cap').textContent = r.data.max_credits !== null ? ` of at most ${r.data.max_credits}` : '';
}

async function main() {
  buildTabs();
  buildLangs();
  const [t] = await Promise.all([api('/api/table'), loadSession()]);
  S.table = t.data;
  buildForm();
  $('#generate').addEventListener('click', generate);
  $('#cancel').addEventListener('click', cancel);
  buildCompare();
  for (const b of document.querySelectorAll('button.copy')) b.addEventListener('click', () => copyText(b.dataset.copy));
  await check();
  await loadGallery();
  document.body.dataset.ready = 'true';
}
main();
