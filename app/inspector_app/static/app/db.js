// IndexedDB: everything the app needs offline. Wiped at logout (and by Clear-Site-Data from the server).
const DB_NAME = "lantian-inspector";
const STORES = ["kv", "sites", "checklists", "inspections", "photos", "tasks"]; // v2: tasks (re-inspections due)
let opening = null;

function open() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const req = indexedDB.open(DB_NAME, 2);
      req.onupgradeneeded = () => {
        const db = req.result;
        for (const name of STORES) {
          if (!db.objectStoreNames.contains(name)) {
            const store = db.createObjectStore(name, { keyPath: name === "kv" ? "k" : "id" });
            if (name === "photos") store.createIndex("inspection_id", "inspection_id");
          }
        }
      };
      req.onsuccess = () => {
        const db = req.result;
        db.onversionchange = () => { db.close(); opening = null; };
        db.onclose = () => { opening = null; };
        resolve(db);
      };
      req.onerror = () => reject(req.error);
    });
  }
  return opening;
}

function done(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function tx(store, mode, fn) {
  const db = await open();
  const t = db.transaction(store, mode);
  const result = await fn(t.objectStore(store));
  await new Promise((resolve, reject) => {
    t.oncomplete = resolve;
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error);
  });
  return result;
}

export const get = (store, id) => tx(store, "readonly", (s) => done(s.get(id)));
export const put = (store, value) => tx(store, "readwrite", (s) => done(s.put(value)));
export const del = (store, id) => tx(store, "readwrite", (s) => done(s.delete(id)));
export const all = (store) => tx(store, "readonly", (s) => done(s.getAll()));
export const byIndex = (store, index, value) => tx(store, "readonly", (s) => done(s.index(index).getAll(value)));

/** Replace a store's whole content in one transaction (the server's current list, e.g. tasks). */
export const replaceAll = (store, values) => tx(store, "readwrite", async (s) => {
  await done(s.clear());
  for (const v of values) await done(s.put(v));
});

export async function kvGet(k) {
  const row = await get("kv", k);
  return row ? row.v : undefined;
}
export const kvSet = (k, v) => put("kv", { k, v });

/** Read-modify-write of one record inside one transaction. */
export function update(store, id, fn) {
  return tx(store, "readwrite", async (s) => {
    const current = await done(s.get(id));
    const next = fn(current);
    if (next) await done(s.put(next));
    return next;
  });
}

/** Delete the whole database (logout): nothing of this user stays on the phone. */
export async function wipe() {
  if (opening) {
    try { (await opening).close(); } catch (_) { /* already closed */ }
    opening = null;
  }
  await new Promise((resolve) => {
    const req = indexedDB.deleteDatabase(DB_NAME);
    req.onsuccess = req.onerror = req.onblocked = () => resolve();
  });
}
