// sidebar/core.js: loads the rules core (WebAssembly, docs/wasm.md) from a base URL.
// Every decision the sidebar shows comes from core.eval(); nothing here re-implements a rule.
//
//   const core = await loadSidebarCore('/wasm/');        // dev host (served by crmsync api)
//   const core = await loadSidebarCore('../../wasm/');   // packaged add-in / extension
//   core.eval({op: 'classify', settings, records, item, context})
const cores = new Map();

/** Resolves to a core loaded from `<baseUrl>crmcore.mjs` (+ crmcore.wasm next to it).
 * One core per base URL per page: later calls reuse it. */
export function loadSidebarCore(baseUrl = '/wasm/') {
  const base = new URL(baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`, document.baseURI).href;
  if (!cores.has(base)) {
    const p = import(new URL('crmcore.mjs', base).href)
      .then((m) => m.loadCore({ wasmUrl: new URL('crmcore.wasm', base).href }));
    p.catch(() => cores.delete(base)); // a failed load may be retried
    cores.set(base, p);
  }
  return cores.get(base);
}

/** core.eval that turns an in-band error into a thrown Error with code/path (for callers
 * that cannot go on without the result). */
export function evalResult(core, request) {
  const r = core.eval(request);
  if (r.ok) return r.result;
  const e = new Error(r.error.message);
  e.code = r.error.code;
  e.path = r.error.path;
  throw e;
}
