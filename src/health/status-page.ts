import { createHash } from 'node:crypto';
/**
 * GET /status: one HTML page, no build step and no external assets. It reads GET /status/data (with the API key it
 * asks for and keeps in session storage when the service has API_KEYS) and refreshes itself.
 */
export const STATUS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>LLM backend status</title>
<style>
  body { font: 15px/1.45 system-ui, sans-serif; margin: 0; background: #f4f5f7; color: #1d2330; }
  header { background: #1d2330; color: #fff; padding: 12px 24px; display: flex; justify-content: space-between; }
  main { max-width: 1100px; margin: 0 auto; padding: 16px 24px 40px; display: grid; gap: 16px; }
  section { background: #fff; border-radius: 10px; padding: 14px 18px; box-shadow: 0 1px 3px #0002; }
  h2 { margin: 0 0 10px; font-size: 16px; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #e6e8ee; font-size: 14px; }
  .badge { display: inline-block; padding: 1px 9px; border-radius: 999px; font-size: 12px; font-weight: 600; }
  .closed, .up { background: #dff3e4; color: #17663a; }
  .open, .down { background: #fbe3e1; color: #a12622; }
  .half_open { background: #fff1d6; color: #8a5a00; }
  .disabled, .skipped, .not_configured { background: #eceef3; color: #4a5366; }
  .sticky { font-weight: 700; }
  .muted { color: #6b7489; font-size: 13px; }
  #key-form { display: none; gap: 8px; align-items: center; }
  #key-form input { padding: 6px 8px; border: 1px solid #c5cad6; border-radius: 6px; min-width: 280px; }
  #key-form button { padding: 6px 12px; border: 0; border-radius: 6px; background: #2f6fed; color: #fff; }
  .grid { display: grid; grid-template-columns: repeat(5, 1fr); gap: 12px; }
  .stat { font-size: 22px; font-weight: 600; }
  .bars { display: flex; align-items: flex-end; gap: 1px; height: 40px; }
  .bars div { background: #2f6fed; width: 100%; min-height: 1px; }
  #simulated { background: #fff1d6; color: #6b4500; border: 1px solid #f0c36a; font-weight: 600; }
</style>
</head>
<body>
<header><strong>LLM backend status</strong><span id="updated" class="muted">loading…</span></header>
<main>
  <section id="simulated" hidden>Simulated answers: no provider API key is set (or LLM_SIMULATOR=true), so every
    route is the embedded provider simulator. The states below are real; the answers and costs are not.</section>
  <section id="key-section">
    <form id="key-form"><label for="key">This service needs an API key:</label>
      <input id="key" type="password" autocomplete="off" placeholder="API key"><button>Show status</button></form>
    <div id="message" class="muted"></div>
  </section>
  <section><h2>Routes</h2>
    <table><thead><tr><th>#</th><th>Route</th><th>State</th><th>Sticky</th><th>Last probe</th><th>Successes / failures</th></tr></thead>
    <tbody id="routes"></tbody></table>
    <p id="sticky" class="muted"></p>
  </section>
  <section><h2>Last hour</h2><div class="grid" id="stats"></div><div class="bars" id="bars"></div></section>
  <section><h2>Spend today (UTC), per client</h2>
    <table><thead><tr><th>Client</th><th>Tokens (as budgets count them)</th><th>Estimated cost</th></tr></thead>
    <tbody id="spend"></tbody></table></section>
  <section><h2>Provider keys (by name)</h2>
    <table><thead><tr><th>Provider</th><th>Key</th><th>State</th><th>Until</th><th>Left</th></tr></thead>
    <tbody id="keys"></tbody></table></section>
  <section><h2>Timeline: failovers, recoveries, circuits</h2><table><tbody id="timeline"></tbody></table></section>
  <section><h2>Dependencies</h2><div id="dependencies"></div></section>
</main>
<script>
  const params = new URLSearchParams(location.search);
  // Between 1 s and a minute, whatever the address says.
  const refreshMs = Math.min(60000, Math.max(1000, Number(params.get('refresh')) || 5000));
  const keyForm = document.getElementById('key-form');
  const text = (value) => document.createTextNode(value == null ? '' : String(value));
  const el = (tag, attrs, ...children) => {
    const node = document.createElement(tag);
    // Styles through the CSSOM: the page's content security policy allows no style attributes.
    for (const [name, value] of Object.entries(attrs || {}))
      if (name === 'style') node.style.cssText = value; else node.setAttribute(name, value);
    for (const child of children) node.append(child instanceof Node ? child : text(child));
    return node;
  };
  const badge = (state) => el('span', { class: 'badge ' + state, 'data-state': state }, state.replace('_', ' '));
  const ago = (iso) => iso ? new Date(iso).toLocaleTimeString() : '—';

  keyForm.addEventListener('submit', (event) => {
    event.preventDefault();
    sessionStorage.setItem('llm-status-key', document.getElementById('key').value);
    keyForm.style.display = 'none';
    showKeySection();
    load();
  });

  function render(data) {
    document.getElementById('simulated').hidden = !data.llm.simulated;
    document.getElementById('updated').textContent = 'updated ' + new Date(data.generatedAt).toLocaleTimeString();
    const routes = document.getElementById('routes');
    routes.replaceChildren(...data.llm.routes.map((route, index) => el('tr', { 'data-route': route.provider + ':' + route.model },
      el('td', {}, index === 0 ? 'primary' : String(index)),
      el('td', {}, route.provider + ':' + route.model),
      el('td', {}, badge(route.state), route.reason ? ' ' + route.reason : ''),
      el('td', { class: route.sticky ? 'sticky' : '' }, route.sticky ? 'traffic starts here' : ''),
      el('td', {}, route.lastProbe ? route.lastProbe.outcome + ' at ' + ago(route.lastProbe.at) : '—'),
      el('td', {}, route.counts ? route.counts.successes + ' / ' + (route.counts.availabilityFailures + route.counts.rateLimits + route.counts.badOutputs + route.counts.otherFailures) : '—'))));
    const sticky = data.llm.sticky;
    document.getElementById('sticky').textContent = 'Sticky route: ' + sticky.provider + ':' + sticky.model +
      (sticky.since ? ' since ' + new Date(sticky.since).toLocaleString() + ' (' + sticky.reason + ')' : ' (the primary, never moved)');
    const recent = data.recent;
    const failures = recent.attempts - (recent.byOutcome.success || 0);
    document.getElementById('stats').replaceChildren(
      ...[['Attempts', recent.attempts], ['Failed attempts', failures],
          ['Latency p50 / p95', recent.latencyMs.p50 == null ? '—' : recent.latencyMs.p50 + ' / ' + recent.latencyMs.p95 + ' ms'],
          ['Estimated cost', '$' + recent.estimatedCostUsd.toFixed(4)],
          ['Prompt cache hits', recent.cacheHitShare == null ? '—' : Math.round(recent.cacheHitShare * 100) + ' % of input']]
        .map(([label, value]) => el('div', {}, el('div', { class: 'muted' }, label), el('div', { class: 'stat' }, value))),
      el('div', { class: 'muted', style: 'grid-column: 1 / -1' }, 'By outcome: ' +
        (Object.entries(recent.byOutcome).map(([outcome, count]) => outcome + ' ' + count).join(', ') || 'none yet')));
    const peak = Math.max(1, ...recent.perMinute);
    document.getElementById('bars').replaceChildren(...recent.perMinute.map((count) =>
      el('div', { style: 'height:' + Math.round((count / peak) * 100) + '%', title: count + ' attempts' })));
    document.getElementById('spend').replaceChildren(...(data.spendToday.length === 0
      ? [el('tr', {}, el('td', { class: 'muted' }, 'Nothing spent yet today.'))]
      : data.spendToday.map((entry) => el('tr', { 'data-client': entry.client },
          el('td', {}, entry.client), el('td', {}, String(entry.tokens)), el('td', {}, '$' + entry.usd.toFixed(4))))));
    const keys = Object.entries(data.llm.keys || {}).flatMap(([provider, list]) => list.map((key) =>
      el('tr', { 'data-key': provider + '/' + key.name },
        el('td', {}, provider), el('td', {}, key.name), el('td', {}, key.state),
        el('td', { class: 'muted' }, key.until ? ago(key.until) : ''),
        el('td', {}, key.remaining == null ? '' : String(key.remaining)))));
    document.getElementById('keys').replaceChildren(...(keys.length === 0
      ? [el('tr', {}, el('td', { class: 'muted' }, 'No provider keys.'))] : keys));
    const timeline = document.getElementById('timeline');
    timeline.replaceChildren(...(data.timeline.length === 0 ? [el('tr', {}, el('td', { class: 'muted' }, 'Nothing yet: traffic has stayed where it started.'))] :
      data.timeline.map((event) => el('tr', { 'data-event': event.type },
        el('td', { class: 'muted' }, ago(event.at)),
        el('td', {}, event.type.replace('_', ' ')),
        el('td', {}, (event.from ? event.from + ' → ' : '') + event.route),
        el('td', { class: 'muted' }, event.reason || '')))));
    document.getElementById('dependencies').replaceChildren(...Object.entries(data.dependencies).map(([name, dependency]) =>
      el('div', { 'data-dependency': name }, name + ' ', badge(dependency.state), dependency.detail ? ' ' + dependency.detail : '')));
  }

  /** The key box shows only while there is something to say (a key to ask for, an error). */
  function showKeySection() {
    const message = document.getElementById('message').textContent;
    document.getElementById('key-section').hidden = keyForm.style.display !== 'flex' && !message;
  }

  async function load() {
    const key = sessionStorage.getItem('llm-status-key');
    try {
      const response = await fetch('status/data', { headers: key ? { 'x-api-key': key } : {} });
      if (response.status === 401) {
        keyForm.style.display = 'flex';
        document.getElementById('message').textContent = key ? 'That key was not accepted.' : '';
        return;
      }
      document.getElementById('message').textContent = '';
      render(await response.json());
    } catch (error) {
      document.getElementById('message').textContent = 'Cannot reach the service: ' + error.message;
    } finally {
      showKeySection();
    }
  }
  load();
  setInterval(() => { if (keyForm.style.display !== 'flex') load(); }, refreshMs);
</script>
</body>
</html>
`;

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
const inline = (tag: string) =>
  new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(STATUS_PAGE)?.[1] ?? '';

/** The page's own content security policy: its inline script and style (by hash), its data from this origin. */
export const STATUS_PAGE_CSP = [
  "default-src 'none'",
  `script-src ${sha256(inline('script'))}`,
  `style-src ${sha256(inline('style'))}`,
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
