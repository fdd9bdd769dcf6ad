// A signature pad on glass: the party (or, on a refusal, the witness) signs with a finger on a canvas.
// Pointer events cover touch, pen and mouse alike; the strokes become a PNG that goes up like any photo
// (resumable upload, X-Content-SHA256) and is then recorded for the on-site record (笔录) by
// POST /api/v1/documents/signatures/{inspection_id} (documents.md §1 item 8).

/** A pad drawn into `canvas` (CSS size as laid out, backing store at the device pixel ratio). */
export function signaturePad(canvas, { onChange = () => {} } = {}) {
  const ratio = Math.max(1, Math.min(3, window.devicePixelRatio || 1));
  let strokes = 0;
  let drawing = null; // the pointer id drawing now
  let last = null;

  const ctx = canvas.getContext("2d");
  const size = () => {
    const box = canvas.getBoundingClientRect();
    canvas.width = Math.max(1, Math.round(box.width * ratio));
    canvas.height = Math.max(1, Math.round(box.height * ratio));
    clear();
  };

  function clear() {
    // An opaque white background: the PNG prints as it looks, not as black strokes on transparency.
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.strokeStyle = "#111";
    ctx.lineWidth = 2.5;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    strokes = 0;
    onChange(0);
  }

  const at = (ev) => {
    const box = canvas.getBoundingClientRect();
    return [ev.clientX - box.left, ev.clientY - box.top];
  };

  canvas.addEventListener("pointerdown", (ev) => {
    if (drawing !== null) return;
    ev.preventDefault();
    drawing = ev.pointerId;
    try { canvas.setPointerCapture(ev.pointerId); } catch (_) { /* synthetic events carry no capturable pointer */ }
    last = at(ev);
    ctx.beginPath();
    ctx.arc(last[0], last[1], ctx.lineWidth / 2, 0, Math.PI * 2);
    ctx.fillStyle = "#111";
    ctx.fill();
  });
  canvas.addEventListener("pointermove", (ev) => {
    if (ev.pointerId !== drawing) return;
    ev.preventDefault();
    const events = typeof ev.getCoalescedEvents === "function" ? ev.getCoalescedEvents() : [];
    for (const e of events.length ? events : [ev]) {
      const p = at(e);
      ctx.beginPath();
      ctx.moveTo(last[0], last[1]);
      ctx.lineTo(p[0], p[1]);
      ctx.stroke();
      last = p;
    }
  });
  const end = (ev) => {
    if (ev.pointerId !== drawing) return;
    drawing = null;
    strokes += 1;
    onChange(strokes);
  };
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);

  // Sized to its layout box when it first gets one (it may start hidden) and again if that box changes
  // before anything is drawn; a drawing is never stretched or dropped by a resize.
  let sized = [0, 0];
  new ResizeObserver(() => {
    const box = canvas.getBoundingClientRect();
    if (box.width === 0 || (box.width === sized[0] && box.height === sized[1]) || strokes > 0) return;
    sized = [box.width, box.height];
    size();
  }).observe(canvas);
  return {
    clear,
    strokes: () => strokes,
    /** The drawing as PNG bytes (a Blob). */
    png: () => new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error("toBlob failed"))), "image/png")),
  };
}
