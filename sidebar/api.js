// sidebar/api.js: the client of crmsyncd's HTTP API (/api/v1, docs/api.md). Every call is
// async with a timeout (AbortController), so the sidebar never blocks the mail client;
// errors are thrown as ApiError with the server's {code, message, path} when it sent one.
export const DEFAULT_TIMEOUT_MS = 10000;

export class ApiError extends Error {
  constructor(code, message, { status = 0, path, body } = {}) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
    this.path = path;
    this.body = body;
  }
}

export class ApiClient {
  /** base: the server's origin or a URL under it ('' = same origin); token: the user's API token. */
  constructor({ base = '', token = '', timeoutMs = DEFAULT_TIMEOUT_MS, fetchImpl } = {}) {
    this.base = base.replace(/\/+$/, '');
    this.token = token;
    this.timeoutMs = timeoutMs;
    this.fetch = fetchImpl ?? globalThis.fetch.bind(globalThis);
  }

  async request(method, path, body, { timeoutMs = this.timeoutMs } = {}) {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), timeoutMs);
    const headers = { Accept: 'application/json' };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res;
    try {
      res = await this.fetch(`${this.base}/api/v1${path}`, {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: ctl.signal,
      });
    } catch (e) {
      if (ctl.signal.aborted) throw new ApiError('E_TIMEOUT', `the server did not answer within ${Math.round(timeoutMs / 1000)} s`);
      throw new ApiError('E_NETWORK', `the server cannot be reached (${e.message})`);
    } finally {
      clearTimeout(timer);
    }
    let data = null;
    try {
      data = await res.json();
    } catch {
      data = null;
    }
    if (!res.ok || !data || data.ok !== true) {
      const err = data && data.error ? data.error : {};
      throw new ApiError(err.code ?? `HTTP_${res.status}`, err.message ?? `the server answered ${res.status}`,
        { status: res.status, path: err.path, body: data });
    }
    return data;
  }

  me() { return this.request('GET', '/me'); }
  lookup(addresses) { return this.request('POST', '/lookup', { addresses }); }
  save(item, selection) { return this.request('POST', '/save', { item, selection }); }
  doNotSync(address, scope) { return this.request('POST', '/do-not-sync', { address, scope }); }
  undoDoNotSync(entry) { return this.request('DELETE', '/do-not-sync', { entry }); }
  createRecord(record) { return this.request('POST', '/records', record); }
  status(key) { return this.request('GET', `/status?key=${encodeURIComponent(key)}`); }
  issues(limit = 20) { return this.request('GET', `/issues?limit=${encodeURIComponent(limit)}`); }
  putSettings(settings) { return this.request('PUT', '/me/settings', { settings }); }
  devItems() { return this.request('GET', '/dev/items'); }
}
