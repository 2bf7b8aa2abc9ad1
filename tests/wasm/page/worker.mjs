// tests/wasm/page/worker.mjs: the core in a module worker; answers each message's request.
import { loadCore } from './crmcore.mjs';

const ready = loadCore();
self.onmessage = async (e) => {
  try {
    const core = await ready;
    self.postMessage({ response: core.evalRaw(e.data) });
  } catch (err) {
    self.postMessage({ error: String(err && err.stack ? err.stack : err) });
  }
};
