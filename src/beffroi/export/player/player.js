/* Beffroi offline evidence player: plays the clips of a sealed export package from
 * file://, with no network, no framework and no build step. It reads the package
 * manifest from manifest.js (file:// pages cannot fetch JSON) and the clips from
 * ../clips/..., or from blob: URLs once the clerk opens the package folder (some
 * browsers taint a canvas that drew a video from another file:// URL, which forbids
 * saving the frame as PNG; blob: URLs are same-origin). See docs/design/player.md. */
"use strict";
(function () {
  const TZ = "Europe/Paris";
  const SPEEDS = [0.25, 0.5, 1, 2, 4, 8];
  const LEGAL_BASIS = {
    "60-1": "art. 60-1 du code de procédure pénale",
    "77-1-1": "art. 77-1-1 du code de procédure pénale",
    "99-3": "art. 99-3 du code de procédure pénale",
    igp: "instruction générale du parquet",
    other: "autre",
  };
  const $ = (id) => document.getElementById(id);
  const video = $("video");
  const overlay = $("incrustation");
  const slider = $("position");
  const hasFrameCallback = "requestVideoFrameCallback" in HTMLVideoElement.prototype;

  const state = {
    manifest: window.BEFFROI_MANIFEST || null,
    cameras: new Map(), // camera id -> {camera, files[], gaps[], requested[]}
    files: [], // every file of the package, by camera then start time
    current: null,
    presented: null, // media time of the frame on screen, from requestVideoFrameCallback
    seekTarget: null, // the last mid-frame time the player sought
    folder: null, // manifest path -> File, once the package folder is opened
    blobUrls: new Map(),
    frameCallback: 0,
    saveAfterFolder: false, // a save was refused (tainted canvas): save once the folder is open
    waiting: [], // actions that need the sought frame on screen (saving it)
  };

  // ---- time: the manifest is UTC; the clerk reads Paris time (with its offset) ----
  const parisParts = new Intl.DateTimeFormat("en-GB", {
    timeZone: TZ, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit",
  });
  function parts(ms) {
    const out = {};
    for (const p of parisParts.formatToParts(new Date(ms))) out[p.type] = p.value;
    return out;
  }
  function parisOffsetMinutes(ms) {
    const p = parts(ms);
    const asUtc = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second);
    return Math.round((asUtc - (ms - (((ms % 1000) + 1000) % 1000))) / 60000);
  }
  const pad = (n, w = 2) => String(n).padStart(w, "0");
  const millis = (ms) => pad(((ms % 1000) + 1000) % 1000, 3);
  function offsetLabel(minutes) {
    const sign = minutes < 0 ? "−" : "+";
    const m = Math.abs(minutes);
    return "UTC" + sign + Math.floor(m / 60) + (m % 60 ? ":" + pad(m % 60) : "");
  }
  function localText(ms, withMillis = true) {
    const p = parts(ms);
    return `${p.day}/${p.month}/${p.year} ${p.hour}:${p.minute}:${p.second}` +
      (withMillis ? "," + millis(ms) : "");
  }
  function utcText(ms) {
    return new Date(ms).toISOString().replace("T", " ").replace(".", ",").replace("Z", " UTC");
  }
  function durationText(seconds) {
    const s = Math.round(seconds * 10) / 10;
    if (s < 60) return String(s).replace(".", ",") + " s";
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = Math.round(s % 60);
    return (h ? h + " h " : "") + m + " min " + (r ? r + " s" : "");
  }
  /* A wall-clock time read in Paris may not exist (spring forward) or exist twice
   * (fall back): return every UTC instant that reads as that time. */
  function parisToUtc(y, mo, d, h, mi, s, ms) {
    const naive = Date.UTC(y, mo - 1, d, h, mi, s, ms);
    const found = [];
    for (const off of [60, 120]) {
      const t = naive - off * 60000;
      if (parisOffsetMinutes(t) === off) found.push(t);
    }
    return found.sort((a, b) => a - b);
  }

  // ---- manifest -> cameras and files ----
  function index(manifest) {
    for (const clip of manifest.clips || []) {
      const cam = clip.camera;
      if (!state.cameras.has(cam.id)) {
        state.cameras.set(cam.id, { camera: cam, files: [], gaps: [], requested: [] });
      }
      const entry = state.cameras.get(cam.id);
      if (clip.requested) entry.requested.push(clip.requested);
      for (const g of clip.gaps || []) {
        entry.gaps.push({ start: Date.parse(g.start), end: Date.parse(g.end), seconds: g.seconds });
      }
      for (const f of clip.files || []) {
        entry.files.push({
          camera: cam, path: f.path, start: Date.parse(f.start), end: Date.parse(f.end),
          fps: f.fps || 25, frames: f.frames || 0, width: f.width, height: f.height,
          duration: f.duration_s, sha256: f.sha256,
        });
      }
    }
    for (const entry of state.cameras.values()) {
      entry.files.sort((a, b) => a.start - b.start);
      entry.gaps.sort((a, b) => a.start - b.start);
      state.files.push(...entry.files);
    }
  }

  function say(text, where = "message") {
    $(where).textContent = text;
  }

  function renderRequisition(m) {
    const r = m.requisition || {}, a = r.authority || {}, e = m.export || {};
    const key = ((m.installation || {}).signing_key || {}).fingerprint;
    const rows = [
      ["Réquisition", r.number], ["Procédure", r.procedure],
      ["Cadre", LEGAL_BASIS[r.legal_basis] || r.legal_basis],
      ["Autorité", [a.rank, a.name].filter(Boolean).join(" ") +
        (a.service ? ", " + a.service : "") + (a.unit ? ", " + a.unit : "")],
      ["Exporté le", e.exported_at ? localText(Date.parse(e.exported_at), false) + " (heure de Paris)" : ""],
      ["Par", (e.exported_by || {}).username], ["Empreinte de la clé", key],
    ];
    const dl = $("requisition");
    for (const [k, v] of rows) {
      if (!v) continue;
      const dt = document.createElement("dt"), dd = document.createElement("dd");
      dt.textContent = k;
      dd.textContent = v;
      dl.append(dt, dd);
    }
  }

  function el(tag, text, cls) {
    const n = document.createElement(tag);
    if (text !== undefined) n.textContent = text;
    if (cls) n.className = cls;
    return n;
  }

  function fileLabel(f) {
    return `${localText(f.start, false)} → ${localText(f.end, false).slice(11)} ` +
      `(${durationText((f.end - f.start) / 1000)}, ${f.frames} images)`;
  }

  function renderCameras() {
    const box = $("cameras"), select = $("r-camera");
    for (const [id, entry] of state.cameras) {
      const cam = entry.camera;
      select.append(new Option(`${id} — ${cam.name}`, id));
      const sec = el("section", undefined, "camera");
      sec.append(el("h3", `${id} — ${cam.name}`));
      const where = [cam.commune_name || cam.commune, (cam.location || {}).address].filter(Boolean);
      if (where.length) sec.append(el("p", where.join(" · "), "lieu"));
      for (const req of entry.requested) {
        sec.append(el("p", `Période demandée : du ${localText(Date.parse(req.start), false)} ` +
          `au ${localText(Date.parse(req.end), false)}`, "periode"));
      }
      const list = el("ul");
      const items = entry.files.map((f) => ({ at: f.start, file: f }))
        .concat(entry.gaps.map((g) => ({ at: g.start, gap: g })))
        .sort((a, b) => a.at - b.at);
      for (const it of items) {
        const li = el("li");
        if (it.file) {
          const b = el("button", fileLabel(it.file), "fichier");
          b.type = "button";
          b.dataset.path = it.file.path;
          b.addEventListener("click", () => openFile(it.file, 0));
          li.append(b);
        } else {
          li.className = "lacune";
          li.textContent = `Aucun enregistrement : ${localText(it.gap.start, false)} → ` +
            `${localText(it.gap.end, false).slice(11)} (${durationText(it.gap.seconds)})`;
        }
        list.append(li);
      }
      if (!entry.files.length) list.append(el("li", "Aucun enregistrement sur la période demandée.", "lacune"));
      sec.append(list);
      box.append(sec);
    }
  }

  // ---- opening a file at an offset ----
  function sourceUrl(f) {
    if (state.folder && state.folder.has(f.path)) {
      if (!state.blobUrls.has(f.path)) {
        state.blobUrls.set(f.path, URL.createObjectURL(state.folder.get(f.path)));
      }
      return state.blobUrls.get(f.path);
    }
    return "../" + f.path.split("/").map(encodeURIComponent).join("/");
  }

  /* Seek to the middle of a frame's nominal interval: the decoder then shows that frame
   * even when the browser truncates the time or the camera's timestamps jitter. */
  function seekToFrame(k) {
    const f = state.current;
    if (!f) return;
    const last = Math.max(0, (f.frames || Math.round(video.duration * f.fps)) - 1);
    k = Math.min(Math.max(0, k), last);
    state.presented = null;
    state.seekTarget = (k + 0.5) / f.fps;
    video.currentTime = state.seekTarget;
  }

  function openFile(f, offsetSeconds, keepPlaying = false, then = null) {
    const wasPlaying = keepPlaying && !video.paused;
    state.current = f;
    state.presented = null;
    for (const b of document.querySelectorAll("button.fichier")) {
      b.setAttribute("aria-current", b.dataset.path === f.path ? "true" : "false");
    }
    $("r-camera").value = f.camera.id;
    slider.max = String(Math.max(0, f.frames - 1));
    if (f.width && f.height) video.parentElement.style.setProperty("--ratio", `${f.width} / ${f.height}`);
    video.addEventListener("loadedmetadata", function ready() {
      video.removeEventListener("loadedmetadata", ready);
      seekToFrame(Math.floor(offsetSeconds * f.fps + 1e-6));
      if (wasPlaying) video.play();
      if (then) then();
    });
    video.src = sourceUrl(f);
    watchFrames();
  }

  function neighbour(step) {
    const f = state.current;
    if (!f) return null;
    const files = state.cameras.get(f.camera.id).files;
    return files[files.indexOf(f) + step] || null;
  }

  // ---- the overlay: camera and frame time, redrawn at every presented frame ----
  /* The media time of the frame on screen: its own timestamp when the browser gives it
   * (requestVideoFrameCallback), unless that report is stale, i.e. from before a seek.
   * Chromium reports the frame's timestamp; Firefox 153 reports the time sought (measured),
   * which is mid-frame here: that one is brought back to the frame's nominal start. */
  function presentedTime() {
    const f = state.current, p = state.presented, t = video.currentTime;
    if (p === null || video.seeking) return null;
    if (video.paused && !(p <= t + 1e-3 && t - p < 1 / f.fps)) return null;
    if (p === state.seekTarget) return Math.floor(p * f.fps + 1e-3) / f.fps;
    return p;
  }

  function currentFrame() {
    const p = presentedTime();
    return Math.floor((p === null ? video.currentTime : p) * state.current.fps + 1e-3);
  }

  function frameTimeMs() {
    const f = state.current, p = presentedTime();
    return f.start + Math.round((p === null ? currentFrame() / f.fps : p) * 1000);
  }

  function drawOverlay() {
    const f = state.current;
    if (!f) return;
    const ms = frameTimeMs(), k = currentFrame();
    const speed = video.playbackRate === 1 ? "" : ` · vitesse ×${String(video.playbackRate).replace(".", ",")}`;
    overlay.replaceChildren(
      el("span", `${f.camera.id} — ${f.camera.name}`, "ligne camera"),
      el("span", `${localText(ms)} (heure de Paris, ${offsetLabel(parisOffsetMinutes(ms))})`, "ligne locale"),
      el("span", `${utcText(ms)} · image ${k + 1}/${f.frames}${speed}`, "ligne utc"),
    );
    overlay.dataset.utcMs = String(ms);
    overlay.dataset.frame = String(k);
    slider.value = String(k);
    slider.setAttribute("aria-valuetext", `${localText(ms)}, image ${k + 1} sur ${f.frames}`);
  }

  /* Run fn once the frame the player sought is on screen: a canvas drawn right at
   * 'seeked' can still get the previous picture (seen in Chromium). */
  function whenShown(fn) {
    if (!video.seeking && video.readyState >= 2 && (!hasFrameCallback || presentedTime() !== null)) {
      return fn();
    }
    state.waiting.push(fn);
    setTimeout(flushWaiting, 1000); // a frame report may never come (irregular timestamps)
  }

  function flushWaiting() {
    if (video.seeking || video.readyState < 2) return setTimeout(flushWaiting, 100);
    for (const fn of state.waiting.splice(0)) fn();
  }

  function watchFrames() {
    if (!hasFrameCallback) return;
    if (state.frameCallback) video.cancelVideoFrameCallback(state.frameCallback);
    const onFrame = (_now, meta) => {
      state.presented = meta.mediaTime;
      drawOverlay();
      if (state.waiting.length && presentedTime() !== null) flushWaiting();
      state.frameCallback = video.requestVideoFrameCallback(onFrame);
    };
    state.frameCallback = video.requestVideoFrameCallback(onFrame);
  }

  function animate() {
    // Without requestVideoFrameCallback (older Firefox), redraw at every repaint while playing.
    drawOverlay();
    if (!video.paused && !hasFrameCallback) requestAnimationFrame(animate);
  }

  // ---- commands ----
  function togglePlay() {
    if (!state.current) return say("Choisissez d'abord un fichier ou faites une recherche.");
    if (video.paused) video.play();
    else video.pause();
  }

  function step(n) {
    if (!state.current) return;
    if (!video.paused) video.pause();
    seekToFrame(currentFrame() + n);
  }

  function jump(seconds) {
    if (!state.current) return;
    seekToFrame(currentFrame() + Math.round(seconds * state.current.fps));
  }

  function setSpeed(rate) {
    video.defaultPlaybackRate = rate;
    video.playbackRate = rate;
    for (const b of document.querySelectorAll("[data-vitesse]")) {
      b.setAttribute("aria-pressed", String(Number(b.dataset.vitesse) === rate));
    }
    drawOverlay();
  }

  function changeSpeed(dir) {
    const i = SPEEDS.indexOf(video.playbackRate);
    setSpeed(SPEEDS[Math.min(SPEEDS.length - 1, Math.max(0, (i < 0 ? 2 : i) + dir))]);
  }

  function openNeighbour(dir) {
    const n = neighbour(dir);
    if (n) openFile(n, 0, true);
    else say(dir > 0 ? "C'est le dernier fichier de cette caméra." : "C'est le premier fichier de cette caméra.");
  }

  // ---- save the frame on screen as PNG (lossless), with its provenance in iTXt chunks ----
  const CRC_TABLE = (() => {
    const t = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      t[n] = c >>> 0;
    }
    return t;
  })();
  function crc32(bytes) {
    let c = 0xffffffff;
    for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  }
  function itxt(keyword, text) {
    const enc = new TextEncoder();
    const data = [...enc.encode(keyword), 0, 0, 0, ...enc.encode("fr"), 0, 0, ...enc.encode(text)];
    const body = new Uint8Array([...enc.encode("iTXt"), ...data]);
    const chunk = new Uint8Array(12 + data.length);
    const view = new DataView(chunk.buffer);
    view.setUint32(0, data.length);
    chunk.set(body, 4);
    view.setUint32(8 + data.length, crc32(body));
    return chunk;
  }
  async function withProvenance(blob, f, ms, k) {
    const png = new Uint8Array(await blob.arrayBuffer());
    const afterHeader = 8 + 25; // signature, then the IHDR chunk (13 bytes of data + 12)
    const m = state.manifest || {};
    const chunks = [
      itxt("Title", `${f.camera.id} — ${f.camera.name}`),
      itxt("Creation Time", new Date(ms).toISOString()),
      itxt("Comment", `${localText(ms)} (heure de Paris, ${offsetLabel(parisOffsetMinutes(ms))})`),
      itxt("Source", `Beffroi, réquisition ${(m.requisition || {}).number || "?"}, fichier ${f.path}` +
        ` (sha256 ${f.sha256 || "?"}), image ${k + 1}, position ${(k / f.fps).toFixed(3)} s`),
    ];
    return new Blob([png.slice(0, afterHeader), ...chunks, png.slice(afterHeader)], { type: "image/png" });
  }

  function saveFrame() {
    const f = state.current;
    if (!f || video.readyState < 2) return say("Aucune image à enregistrer : ouvrez d'abord un fichier.");
    if (!video.paused) video.pause();
    whenShown(saveShownFrame);
  }

  function saveShownFrame() {
    const f = state.current;
    const canvas = $("capture");
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0);
    const ms = frameTimeMs(), k = currentFrame();
    const name = `${f.camera.id}_${new Date(ms).toISOString().replace(/[-:]/g, "")}.png`;
    try {
      canvas.toBlob(async (blob) => {
        const a = el("a");
        a.href = URL.createObjectURL(await withProvenance(blob, f, ms, k));
        a.download = name;
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(a.href), 60000);
        say(`Image enregistrée : ${name} (${canvas.width}×${canvas.height}, PNG sans perte).`);
      }, "image/png");
    } catch (e) {
      if (e.name !== "SecurityError") throw e;
      // Measured in Chromium: a video read from another file:// URL taints the canvas.
      // Files chosen in a folder dialog play from blob: URLs, which do not.
      if (state.folder) return say("Le navigateur refuse d'enregistrer cette image.");
      state.saveAfterFolder = true;
      say("Pour enregistrer une image, le navigateur exige que vous ouvriez le dossier du " +
        "paquet (règle de sécurité des fichiers locaux). Choisissez le dossier qui contient " +
        "manifest.json : l'image sera alors enregistrée.");
      $("dossier").click();
    }
  }

  // ---- search by camera, date and time ----
  function search(ev) {
    ev.preventDefault();
    const camId = $("r-camera").value, entry = state.cameras.get(camId);
    const [y, mo, d] = $("r-date").value.split("-").map(Number);
    const tm = $("r-heure").value.match(/^(\d+):(\d+)(?::(\d+)(?:\.(\d+))?)?$/);
    if (!entry || !y || !tm) return say("Indiquez une caméra, une date et une heure.", "resultat");
    const ms = tm[4] ? Number((tm[4] + "00").slice(0, 3)) : 0;
    const fields = [y, mo, d, +tm[1], +tm[2], +(tm[3] || 0), ms];
    let note = "";
    let t;
    if ($("r-fuseau").value === "utc") {
      t = Date.UTC(fields[0], fields[1] - 1, ...fields.slice(2));
    } else {
      const found = parisToUtc(...fields);
      if (!found.length) {
        return say("Cette heure n'existe pas à Paris (passage à l'heure d'été). Saisissez-la en UTC.", "resultat");
      }
      t = found[0];
      if (found.length > 1) {
        note = " Heure ambiguë (passage à l'heure d'hiver) : la première occurrence est retenue ; " +
          "choisissez UTC pour l'autre.";
      }
    }
    const when = `le ${localText(t).slice(0, 10)} à ${localText(t).slice(11)} ` +
      `(heure de Paris, ${utcText(t)})`;
    const f = entry.files.find((x) => x.start <= t && t < x.end);
    if (f) {
      openFile(f, (t - f.start) / 1000);
      return say(`${camId} ${when} : fichier ${f.path}, image ` +
        `${Math.floor(((t - f.start) / 1000) * f.fps + 1e-6) + 1}.${note}`, "resultat");
    }
    const lines = [`Aucune image de la caméra ${camId} ${when}.${note}`];
    const gap = entry.gaps.find((g) => g.start <= t && t < g.end);
    if (gap) {
      lines.push(`Interruption de l'enregistrement du ${localText(gap.start)} au ${localText(gap.end)} ` +
        `(${durationText(gap.seconds)}).`);
    }
    const inRequest = entry.requested.some((r) => Date.parse(r.start) <= t && t < Date.parse(r.end));
    if (!inRequest) lines.push("Cette heure est hors de la période demandée par la réquisition.");
    lines.push(entry.files.length ? "Enregistrements de cette caméra dans le paquet :"
      : "Le paquet ne contient aucun enregistrement de cette caméra.");
    for (const x of entry.files) lines.push("• " + fileLabel(x));
    if (entry.gaps.length) lines.push("Interruptions :");
    for (const g of entry.gaps) {
      lines.push(`• ${localText(g.start, false)} → ${localText(g.end, false)} (${durationText(g.seconds)})`);
    }
    say(lines.join("\n"), "resultat");
  }

  // ---- opening the package folder: blob: URLs, so frames can be saved everywhere ----
  async function openFolder() {
    const chosen = [...$("dossier").files];
    const byPath = new Map();
    let manifestFile = null;
    for (const file of chosen) {
      const rel = file.webkitRelativePath || file.name;
      for (const f of state.files) {
        if (rel === f.path || rel.endsWith("/" + f.path)) byPath.set(f.path, file);
      }
      if (rel === "manifest.json" || /^[^/]+\/manifest\.json$/.test(rel)) manifestFile = file;
    }
    const missing = state.files.filter((f) => !byPath.has(f.path));
    if (!byPath.size) {
      return say("Ce dossier ne contient pas les vidéos du paquet : choisissez le dossier qui " +
        "contient manifest.json et le dossier clips.");
    }
    let warning = "";
    if (manifestFile) {
      try {
        const same = JSON.stringify(JSON.parse(await manifestFile.text())) === JSON.stringify(state.manifest);
        if (!same) warning = " Attention : le manifest.json de ce dossier diffère de celui du lecteur.";
      } catch (_e) {
        warning = " Attention : le manifest.json de ce dossier est illisible.";
      }
    }
    for (const url of state.blobUrls.values()) URL.revokeObjectURL(url);
    state.blobUrls.clear();
    state.folder = byPath;
    $("source").textContent = `Dossier ouvert : ${byPath.size} fichier(s) vidéo sur ${state.files.length}`;
    say(`Dossier du paquet ouvert : ${byPath.size} fichier(s) vidéo sur ${state.files.length}.` +
      (missing.length ? " Manquants : " + missing.map((f) => f.path).join(", ") + "." : "") + warning);
    const save = state.saveAfterFolder ? () => whenShown(saveShownFrame) : null;
    state.saveAfterFolder = false;
    if (state.current) openFile(state.current, (currentFrame() + 0.5) / state.current.fps, false, save);
  }

  // ---- keyboard ----
  function onKey(ev) {
    const t = ev.target;
    const typing = (t.tagName === "INPUT" && t.type !== "range") || t.tagName === "SELECT" ||
      t.tagName === "TEXTAREA";
    if (typing || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if ((t.tagName === "BUTTON" || t.tagName === "SUMMARY") && (ev.key === " " || ev.key === "Enter")) return;
    const actions = {
      " ": togglePlay,
      ArrowLeft: () => (ev.shiftKey ? jump(-10) : step(-1)),
      ArrowRight: () => (ev.shiftKey ? jump(10) : step(1)),
      ArrowUp: () => changeSpeed(1),
      ArrowDown: () => changeSpeed(-1),
      1: () => setSpeed(1),
      Home: () => seekToFrame(0),
      End: () => seekToFrame(Infinity),
      PageUp: () => openNeighbour(-1),
      PageDown: () => openNeighbour(1),
      p: saveFrame,
      P: saveFrame,
    };
    const action = actions[ev.key];
    if (!action) return;
    ev.preventDefault();
    action();
  }

  // ---- wiring ----
  function init() {
    if (!state.manifest) {
      say("Manifeste introuvable : le fichier player/manifest.js du paquet est absent ou illisible.");
      return;
    }
    index(state.manifest);
    renderRequisition(state.manifest);
    renderCameras();
    $("b-lecture").addEventListener("click", togglePlay);
    $("b-image-arriere").addEventListener("click", () => step(-1));
    $("b-image-avant").addEventListener("click", () => step(1));
    $("b-precedent-fichier").addEventListener("click", () => openNeighbour(-1));
    $("b-suivant-fichier").addEventListener("click", () => openNeighbour(1));
    $("b-image-png").addEventListener("click", saveFrame);
    for (const b of document.querySelectorAll("[data-vitesse]")) {
      b.addEventListener("click", () => setSpeed(Number(b.dataset.vitesse)));
    }
    $("recherche").addEventListener("submit", search);
    $("dossier").addEventListener("change", openFolder);
    slider.addEventListener("input", () => {
      if (!video.paused) video.pause();
      seekToFrame(Number(slider.value));
    });
    document.addEventListener("keydown", onKey);
    video.addEventListener("play", () => {
      $("b-lecture").textContent = "❚❚ Pause";
      animate();
    });
    video.addEventListener("pause", () => {
      $("b-lecture").textContent = "▶ Lecture";
      // Settle on the frame on screen, so that frame steps count from it.
      if (state.current && !video.ended) seekToFrame(currentFrame());
    });
    video.addEventListener("seeked", () => {
      drawOverlay();
      if (!hasFrameCallback && state.waiting.length) requestAnimationFrame(flushWaiting);
    });
    video.addEventListener("loadeddata", drawOverlay);
    video.addEventListener("ended", () => {
      const next = neighbour(1);
      say("Fin du fichier." + (next ? ` Fichier suivant de la caméra : ${fileLabel(next)} ` +
        `(interruption de ${durationText((next.start - state.current.end) / 1000)}) — Page suiv.` : ""));
    });
    video.addEventListener("error", () => {
      const f = state.current;
      say(`Impossible de lire ${f ? f.path : "le fichier"} : fichier absent ou format non pris en ` +
        "charge par ce navigateur. Essayez « Ouvrir le dossier du paquet… », Chromium, Firefox ou VLC.");
    });
    if (state.files.length) openFile(state.files[0], 0);
    else say("Ce paquet ne contient aucun enregistrement (aucune image sur les périodes demandées).");
  }

  window.beffroiPlayer = { state, parisToUtc, localText, utcText };
  init();
})();
