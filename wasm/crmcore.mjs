// wasm/crmcore.mjs: the ES-module wrapper of the WebAssembly rules core (docs/wasm.md).
//
// This file is appended by emcc (--extern-post-js, mk/wasm.mk) after the Emscripten glue,
// so build/wasm/crmcore.mjs is one self-contained ES module: it refers to the glue's
// factory `crmCoreFactory` and adds the public API:
//
//   import { loadCore, CrmError } from './crmcore.mjs';
//   const core = await loadCore();            // or loadCore({ throws: true })
//   core.eval({ op: 'version' })              // -> the parsed response object
//   core.evalRaw('{"op":"version"}')          // -> the response string (UTF-8 request)
//   core.evalBytes(uint8Array)                // -> the response bytes, exactly as native
//   core.evalOrThrow(request)                 // -> the response; ok:false throws CrmError
//   core.version                              // -> "x.y.z"
//
// No eval/new Function, no Node-only API on the browser path (Node's fs is imported
// dynamically, and only when running under Node without a wasmBinary option): it loads
// under a Manifest V3 extension CSP (script-src 'self' 'wasm-unsafe-eval').
//
// Memory: each call allocates one buffer in the wasm heap (a 4-byte length slot followed
// by the request bytes), and the core allocates the response; both are freed in `finally`,
// whatever happens, so a failing call leaves the heap as it found it (tests/wasm/api.test.mjs
// checks this over 10,000 calls).

/* global crmCoreFactory */

// The glue's Node branch reads `__dirname`, which ES modules do not define; this hoisted
// module-scope binding keeps it from throwing. The wasm bytes are always handed to the
// glue under Node (option wasmBinary), so the glue never uses it to read a file.
// eslint-disable-next-line no-var, no-unused-vars
var __dirname = '';

/** An ok:false response turned into an exception (only when the caller asks for it). */
export class CrmError extends Error {
  /**
   * @param {string} code     the core's error code, e.g. "E_BAD_ADDRESS"
   * @param {string} message  the core's message
   * @param {string|undefined} path  the part of the request at fault, e.g. "item.to[2].address"
   * @param {object|undefined} response  the whole parsed response
   */
  constructor(code, message, path, response) {
    super(path ? `${code}: ${message} (at ${path})` : `${code}: ${message}`);
    this.name = 'CrmError';
    this.code = code;
    this.detail = message;
    this.path = path;
    this.response = response;
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8');
const REQUEST_LIMIT = 64 * 1024 * 1024; // > CRM_MAX_REQUEST_BYTES: the core answers E_TOO_LARGE

function isNode() {
  return typeof process === 'object' && process !== null && typeof process.versions === 'object' &&
    process.versions !== null && typeof process.versions.node === 'string';
}

/** Request -> UTF-8 bytes. Strings are encoded as UTF-8 (lone surrogates become U+FFFD, as
 * TextEncoder does); objects are JSON.stringify'd; bytes are passed through untouched. */
function toBytes(request) {
  if (request instanceof Uint8Array) return request;
  if (request instanceof ArrayBuffer) return new Uint8Array(request);
  if (ArrayBuffer.isView(request)) return new Uint8Array(request.buffer, request.byteOffset, request.byteLength);
  if (typeof request === 'string') return encoder.encode(request);
  if (request === undefined) throw new TypeError('loadCore: eval needs a request (object, string or bytes)');
  return encoder.encode(JSON.stringify(request));
}

function errorOf(response) {
  const e = response && typeof response === 'object' && response.error ? response.error : {};
  return new CrmError(String(e.code || 'E_UNKNOWN'), String(e.message || 'the core answered ok:false'),
    e.path === undefined ? undefined : String(e.path), response);
}

/**
 * Loads and instantiates the core. Options (all optional):
 *  - wasmBinary: ArrayBuffer|Uint8Array of crmcore.wasm (skips fetching it);
 *  - wasmUrl: string|URL where crmcore.wasm is served (default: next to this module);
 *  - module: a compiled WebAssembly.Module of crmcore.wasm (e.g. shared with a worker);
 *  - throws: when true, core.eval throws CrmError for ok:false responses.
 * Each call returns an independent core (its own wasm instance and memory).
 */
export async function loadCore(opts = {}) {
  const moduleArg = {
    print: () => {},
    printErr: (text) => { if (typeof console === 'object') console.warn(`crmcore: ${text}`); },
  };
  if (opts.wasmBinary) {
    moduleArg.wasmBinary = opts.wasmBinary;
  } else if (opts.module) {
    const mod = opts.module;
    moduleArg.instantiateWasm = (imports, receive) => {
      WebAssembly.instantiate(mod, imports).then((instance) => receive(instance, mod));
      return {};
    };
  } else if (opts.wasmUrl) {
    const url = String(opts.wasmUrl);
    moduleArg.locateFile = () => url;
  } else if (isNode() && typeof window === 'undefined') {
    // Node: the glue cannot fetch a file: URL; read the bytes next to this module.
    const fs = await import('node:fs/promises');
    moduleArg.wasmBinary = await fs.readFile(new URL('crmcore.wasm', import.meta.url));
  }
  const m = await crmCoreFactory(moduleArg);
  const readCString = (ptr) => {
    const heap = m.HEAPU8;
    let end = ptr >>> 0;
    while (heap[end] !== 0) end++;
    return decoder.decode(heap.subarray(ptr >>> 0, end));
  };

  let ctx = m._crm_ctx_new(0) >>> 0;
  if (ctx === 0) throw new CrmError('E_NOMEM', 'cannot create a core context', undefined, undefined);
  const throws = opts.throws === true;

  const evalBytes = (request) => {
    if (ctx === 0) throw new Error('crmcore: this core was closed');
    const bytes = toBytes(request);
    const n = Math.min(bytes.length, REQUEST_LIMIT);
    const buf = m._crm_wasm_alloc(n + 4) >>> 0;
    if (buf === 0) throw new CrmError('E_NOMEM', 'out of memory for the request', undefined, undefined);
    let resp = 0;
    try {
      m.HEAPU8.set(n === bytes.length ? bytes : bytes.subarray(0, n), buf + 4);
      resp = m._crm_ctx_eval(ctx, buf + 4, n, buf) >>> 0;
      if (resp === 0) throw new CrmError('E_NOMEM', 'out of memory for the response', undefined, undefined);
      // Read the views only now: the call may have grown (and so replaced) the memory.
      const len = m.HEAPU32[buf >>> 2];
      return m.HEAPU8.slice(resp, resp + len);
    } finally {
      if (resp !== 0) m._crm_ctx_release(ctx, resp);
      m._crm_wasm_free(buf);
    }
  };
  const evalRaw = (request) => decoder.decode(evalBytes(request));
  const evalOrThrow = (request) => {
    const response = JSON.parse(evalRaw(request));
    if (!response || response.ok !== true) throw errorOf(response);
    return response;
  };
  const evalParsed = (request) => {
    const response = JSON.parse(evalRaw(request));
    if (throws && (!response || response.ok !== true)) throw errorOf(response);
    return response;
  };

  return Object.freeze({
    /** The parsed response; with loadCore({throws: true}), ok:false throws CrmError. */
    eval: evalParsed,
    /** The response string for a request string (sent as UTF-8), object or bytes. */
    evalRaw,
    /** The response bytes for the request bytes: byte-identical to native crm_eval. */
    evalBytes,
    /** The parsed response; ok:false always throws CrmError. */
    evalOrThrow,
    /** The core's version, "x.y.z". */
    version: readCString(m._crm_version()),
    /** The schema version of the JSON boundary. */
    schema: m._crm_wasm_schema_version(),
    /** The bundled domain data, e.g. "psl ...; email-providers ...". */
    domainData: readCString(m._crm_domain_data_version()),
    /** Heap figures: bytes allocated now, and the size of the wasm memory. */
    stats: () => ({ heapUsed: m._crm_wasm_heap_used() >>> 0, memoryBytes: m.HEAPU8.length }),
    /** Frees the core's context; later calls throw. The wasm memory goes with the object. */
    close: () => { if (ctx !== 0) { m._crm_ctx_free(ctx); ctx = 0; } },
  });
}

// (The module's default export is the glue's raw factory, crmCoreFactory; use loadCore.)
