// The outbox: inspections and photos queued in IndexedDB, sent when the network allows, retried exactly as
// the capture API expects — the same photo and inspection ids, resumable uploads continued from the offset
// the server reports, If-Match with the last ETag seen (412: take the current ETag and send again; the
// server merges photo links), and submit retried with the same If-Match (a lost answer is a no-op success).
// A re-inspection carries reinspection_of (its task's earlier inspection). The party's signature is a PNG
// photo of the inspection, uploaded with the others, and recorded (documents/signatures) once the
// inspection exists, before it is submitted. The feed's tasks replace the phone's list on every pull.
import * as api from "./api.js";
import * as db from "./db.js";

export const CHUNK_BYTES = 128 * 1024;
const listeners = new Set();
let running = null;
let timer = null;
let delay = 3000;

export function onChange(fn) {
  listeners.add(fn);
}
function changed() {
  for (const fn of listeners) fn();
}

async function patchInspection(id, fn) {
  await db.update("inspections", id, (cur) => (cur ? { ...fn(cur), id } : null));
  changed();
}

async function patchPhoto(id, fields) {
  await db.update("photos", id, (cur) => (cur ? { ...cur, ...fields } : null));
  changed();
}

function offsetFrom(resp, body) {
  const header = resp.headers.get("Upload-Offset");
  if (header !== null && /^\d+$/.test(header)) return Number(header);
  return body && Number.isInteger(body.offset) ? body.offset : 0;
}

async function bodyOf(resp) {
  try { return await resp.json(); } catch (_) { return null; }
}

/** One photo, resumable: ask the server how much it has, send the rest in chunks. */
async function uploadPhoto(photo) {
  const url = `/api/v1/photos/${photo.id}/uploads`;
  const start = await api.request(url, { method: "POST" });
  const startBody = await bodyOf(start);
  if (!start.ok) throw new api.Problem(start.status, startBody);
  let offset = offsetFrom(start, startBody);
  await patchPhoto(photo.id, { offset, state: "uploading" });
  for (let guard = 0; guard < 10000; guard++) {
    const end = Math.min(offset + CHUNK_BYTES, photo.size);
    const complete = end >= photo.size;
    const resp = await api.request(url, {
      method: "PATCH",
      headers: {
        "Content-Type": "application/octet-stream",
        "Upload-Offset": String(offset),
        "Upload-Complete": complete ? "?1" : "?0",
        "X-Content-SHA256": photo.sha256,
      },
      body: photo.original.slice(offset, end),
    });
    if (resp.status === 204) {
      offset = offsetFrom(resp, null);
      await patchPhoto(photo.id, { offset });
      continue;
    }
    const body = await bodyOf(resp);
    if (resp.status === 200 || resp.status === 201) {
      await patchPhoto(photo.id, { offset: photo.size, uploaded: true, state: "uploaded" });
      return;
    }
    if (resp.status === 409 && body && body.code === "upload_offset_mismatch" && Number.isInteger(body.current_offset)) {
      offset = body.current_offset;
      continue;
    }
    throw new api.Problem(resp.status, body);
  }
}

const ANSWER_FIELDS = ["verdict", "values", "unit", "code", "choice", "count", "text", "note", "photos"];

export function putBody(insp) {
  const answers = {};
  for (const [key, a] of Object.entries(insp.answers || {})) {
    if (insp.applicable && !insp.applicable.includes(key)) continue;
    const out = {};
    for (const f of ANSWER_FIELDS) if (a[f] !== undefined && a[f] !== null && a[f] !== "") out[f] = a[f];
    if (Object.keys(out).length) answers[key] = out;
  }
  const body = {
    site_id: insp.site.id,
    checklist_key: insp.checklist.key,
    checklist_version: insp.checklist.version,
    officers: insp.officers.map((o) => (o.user_id ? o.user_id : { badge_number: o.badge_number })),
    started_at: insp.started_at,
    ended_at: insp.ended_at || null,
    location: insp.location || null,
    alert_level: insp.alert_level || "none",
    answers,
  };
  if (insp.checklist.hash) body.checklist_hash = insp.checklist.hash;
  if (insp.reinspection_of) body.reinspection_of = insp.reinspection_of; // 复查: the task's earlier inspection
  if (insp.note) body.note = insp.note;
  return body;
}

function serverPart(item, etag) {
  return {
    etag: etag || item.etag,
    state: item.state,
    version: item.version,
    findings: item.findings || [],
    review: item.review || null,
    decision: item.decision || null,
    submission_count: item.submission_count,
    submitted_at: item.submitted_at,
  };
}

async function putInspection(insp) {
  const url = `/api/v1/inspections/${insp.id}`;
  let etag = insp.server && insp.server.etag;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const r = await api.json(url, { method: "PUT", body: putBody(insp), headers: etag ? { "If-Match": etag } : {} });
      await patchInspection(insp.id, (cur) => ({ ...cur, phase: "submit", server: serverPart(r.body, r.etag) }));
      return r.etag;
    } catch (e) {
      if (e instanceof api.Problem && e.status === 412 && e.body.current) {
        etag = e.body.current.etag; // a colleague changed it: ours is the newer edit; links are merged by the server
        continue;
      }
      if (e instanceof api.Problem && e.status === 428) {
        etag = (await api.json(url)).etag; // our create landed, its answer was lost, and someone edited since
        continue;
      }
      throw e;
    }
  }
  throw new Error("still stale after 5 tries");
}

async function submitInspection(insp, etag) {
  const url = `/api/v1/inspections/${insp.id}/submit`;
  const r = await api.json(url, { method: "POST", headers: { "If-Match": etag } });
  await patchInspection(insp.id, (cur) => ({ ...cur, phase: "penalties", server: serverPart(r.body, r.etag) }));
}

async function fetchPenalties(id) {
  const r = await api.json(`/api/v1/inspections/${id}/penalties`);
  const lines = (r.body.lines || []).map((l) => ({
    rule_key: l.rule_key, kind: l.kind, status: l.status, title: l.title, amount_fen: l.amount_fen, amount_yuan: l.amount_yuan,
  }));
  await patchInspection(id, (cur) => ({ ...cur, phase: "done", status: "sent", penalties: { totals: r.body.totals, issuable: r.body.issuable, lines } }));
}

/** The signature body (documents/signatures): the party signed, or refused before a named witness. */
export function signatureBody(sig) {
  const body = { photo_id: sig.photo_id, status: sig.status };
  if (sig.signer_name) body.signer_name = sig.signer_name;
  if (sig.witness) body.witness = sig.witness;
  return body;
}

/** Record the party's signature image (already uploaded with the photos) once the inspection exists. */
async function registerSignature(id) {
  const insp = await db.get("inspections", id);
  const sig = insp && insp.signature;
  if (!sig || sig.registered) return;
  const r = await api.json(`/api/v1/documents/signatures/${id}`, { method: "POST", body: signatureBody(sig) });
  await patchInspection(id, (cur) => ({ ...cur, signature: { ...cur.signature, registered: true, server_id: r.body.id, server_sha256: r.body.photo_sha256 } }));
}

/** Re-inspection tasks (orders to correct past their deadline): the server's list replaces the phone's. */
export async function storeTasks(tasks) {
  await db.replaceAll("tasks", (tasks || []).map((t) => ({ ...t, id: t.order_id })));
}

export async function fetchTasks() {
  const r = await api.json("/api/v1/tasks");
  await storeTasks(r.body.items);
  return r.body.items;
}

async function send(id) {
  let insp = await db.get("inspections", id);
  await patchInspection(id, (cur) => ({ ...cur, last_error: null, waiting: false }));
  if (insp.phase === "photos" || !insp.phase) {
    const photos = (await db.byIndex("photos", "inspection_id", id)).filter((p) => !p.uploaded);
    for (const p of photos) await uploadPhoto(p);
    await patchInspection(id, (cur) => ({ ...cur, phase: "put" }));
    insp = await db.get("inspections", id);
  }
  if (insp.phase === "put") {
    const etag = await putInspection(insp);
    insp = await db.get("inspections", id);
    insp.server.etag = etag;
  }
  if (insp.phase === "submit") {
    await registerSignature(id);
    try {
      await submitInspection(insp, insp.server.etag);
    } catch (e) {
      if (e instanceof api.Problem && e.status === 412) {
        // changed since our edit (a colleague): send our edit again on top, then submit.
        await patchInspection(id, (cur) => ({ ...cur, phase: "put", server: { ...cur.server, etag: e.body.current && e.body.current.etag } }));
        return send(id);
      }
      throw e;
    }
    insp = await db.get("inspections", id);
  }
  if (insp.phase === "penalties") await fetchPenalties(id);
}

/** Bring the phone up to date with the server (the sync feed): states, server findings, supervisors' returns. */
export async function pullFeed() {
  let cursor = await db.kvGet("feed_cursor");
  for (let page = 0; page < 50; page++) {
    const q = cursor ? `&updated_since=${encodeURIComponent(cursor)}` : "";
    const r = await api.json(`/api/v1/inspections?limit=100${q}`);
    for (const item of r.body.items) {
      await db.update("inspections", item.id, (cur) => {
        const server = serverPart(item, item.etag);
        if (!cur) {
          return {
            id: item.id, site: item.site, checklist: item.checklist, officers: [], answers: item.answers || {},
            started_at: item.started_at, ended_at: item.ended_at, location: item.location, alert_level: item.alert_level,
            status: item.state === "returned" ? "returned" : "remote", phase: "done", server,
          };
        }
        const next = { ...cur, server: cur.phase === "done" || !cur.phase || cur.status !== "queued" ? server : cur.server };
        if (item.state === "returned" && cur.status === "sent") next.status = "returned";
        return next;
      });
    }
    if (page === 0 && Array.isArray(r.body.tasks)) await storeTasks(r.body.tasks); // the same on every page
    cursor = r.body.next_cursor;
    await db.kvSet("feed_cursor", cursor);
    if (!r.body.has_more) break;
  }
  changed();
}

function schedule() {
  clearTimeout(timer);
  timer = setTimeout(() => syncNow(), delay);
  delay = Math.min(delay * 2, 60000);
}

async function runOnce() {
  const queued = (await db.all("inspections")).filter((i) => i.status === "queued");
  for (const insp of queued) {
    try {
      await send(insp.id);
    } catch (e) {
      if (e instanceof api.Offline || (e instanceof api.Problem && (e.status >= 500 || e.status === 429))) {
        await patchInspection(insp.id, (cur) => ({ ...cur, waiting: true, last_error: { message: e instanceof api.Offline ? "网络不可用，稍后自动重试 / no network, will retry" : e.message } }));
        schedule();
        return;
      }
      if (e instanceof api.AuthLost) {
        await patchInspection(insp.id, (cur) => ({ ...cur, waiting: true, last_error: { message: "请重新登录后继续发送 / log in again to send" } }));
        return;
      }
      // The server refused it (e.g. 422 incomplete): the inspector must fix it; it stays on the phone.
      await patchInspection(insp.id, (cur) => ({
        ...cur, status: "blocked", phase: cur.phase === "submit" ? "put" : cur.phase,
        last_error: { message: e.message, code: e.code, errors: (e.body && e.body.errors) || [] },
      }));
    }
  }
  delay = 3000;
  try { await pullFeed(); } catch (e) { if (!(e instanceof api.Offline)) console.warn("feed", e); }
}

/** Send what is queued now (one run at a time); failures on the network schedule a retry with back-off. */
export function syncNow() {
  if (!running) running = runOnce().finally(() => { running = null; changed(); });
  return running;
}

export function start() {
  window.addEventListener("online", () => { delay = 3000; syncNow(); });
  syncNow();
  setInterval(() => { if (!running) syncNow(); }, 30000);
}
